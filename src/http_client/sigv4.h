// AWS Signature Version 4: signs requests with the Authorization header or as presigned URLs.
// It passes every case of the AWS signing test suite (shared/testdata/aws-sigv4) at every stage.
//
//   sigv4::Credentials creds{"AKID…", SecretBytes::FromString(secret), ""};
//   sigv4::Params p{.region = "us-east-1", .service = "sts", .time = clock.Now()};
//   sigv4::Request req{"POST", "/", {{"Host", "sts.amazonaws.com"}}, body};
//   sigv4::Signed s = sigv4::SignHeaders(req, creds, p);   // s.request carries Authorization
//
// The secret is used only inside the HMAC key derivation; it never appears in any output.
// Pure functions of their inputs; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::http_client::sigv4 {

struct Credentials {
  std::string access_key_id;
  SecretBytes secret_access_key;
  std::string session_token;  // empty when not using temporary credentials
};

struct Params {
  std::string region;
  std::string service;
  Timestamp time = 0;         // ms since the epoch, UTC
  bool normalize_path = true; // false for S3: the path is signed as given (no dot-segment removal)
  bool sign_body = false;     // header form: add x-amz-content-sha256
  int64_t expires_seconds = 3600;  // query (presigned) form only
  // Send the session token without signing it (added after signing), as some services require.
  bool omit_session_token = false;
  // When non-empty, the payload hash to sign (and send as x-amz-content-sha256) instead of
  // SHA-256(body): S3's "UNSIGNED-PAYLOAD", or a hash the caller computed while reading the body,
  // so a large body need not be copied into the Request.
  std::string payload_hash;
};

// An HTTP request as signed: `target` is the raw path plus optional "?query"; header lines keep
// their raw form (a value may span continuation lines) so a signed request prints as given.
struct Request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // raw name, raw value
  std::string body;
};

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
  Request request;        // with X-Amz-* and Authorization headers, or the presigned query
};

// Header form: adds [X-Amz-Security-Token], X-Amz-Date, [x-amz-content-sha256], Authorization.
Signed SignHeaders(const Request& req, const Credentials& creds, const Params& p);
// Query form (presigned URL): appends X-Amz-Algorithm, -Credential, -Date, -SignedHeaders,
// -Expires, [-Security-Token] and -Signature to the target.
Signed Presign(const Request& req, const Credentials& creds, const Params& p);

// Lowercase hex SHA-256 of `data` (the payload hash S3 expects in x-amz-content-sha256).
std::string Sha256Hex(std::string_view data);

// RFC 3986 encoding of everything but unreserved characters (and '/' when keep_slash).
std::string UriEncode(std::string_view s, bool keep_slash);
// Parses a raw HTTP/1.1 request as written in the test suite's request.txt files.
Result<Request> ParseRawRequest(std::string_view raw);
// Prints a request in the same form.
std::string PrintRequest(const Request& req);
// "2015-08-30T12:36:00Z" → ms since the epoch.
Result<Timestamp> ParseIso8601(std::string_view s);

}  // namespace wharf::http_client::sigv4
