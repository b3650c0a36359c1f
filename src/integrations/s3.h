// An S3 client for backup storage: AWS S3 and S3-compatible hosts (R2, B2, MinIO, …), signed
// with SigV4 (http_client/sigv4.h), over libcurl (http_client/http.h).
//
//   SecretBytes secret = …;
//   integrations::S3Client s3({.endpoint = "", .region = "eu-west-1", .bucket = "acme-backups",
//                              .access_key_id = "AKIA…", .secret_access_key = &secret});
//   auto put = s3.PutObject("db/2026-11-25.dump", bytes);
//   auto up = s3.Upload("db/big.dump", [&](char* buf, size_t cap) { return dump.Read(buf, cap); });
//   auto got = s3.GetObject("db/big.dump", [&](std::string_view chunk) { return sink.Write(chunk); });
//   if (!up) Log(integrations::DescribeS3Error(up.error()));
//
// Addressing: a blank endpoint means AWS (`https://s3.<region>.amazonaws.com`), virtual-host style
// (`https://<bucket>.s3.<region>.amazonaws.com/<key>`) unless `path_style`; a custom endpoint is
// used as given, path style (`<endpoint>/<bucket>/<key>`) by default, which every S3-compatible
// host accepts. Payloads are signed (x-amz-content-sha256 is the body's SHA-256) so plain-HTTP
// endpoints keep their integrity too.
//
// Memory: Upload() holds one part (`part_size`, ≥ 5 MiB, default 8 MiB) at a time, whatever the
// stream's length; GetObject() hands chunks to the sink as curl receives them. A failed or
// cancelled multipart upload is aborted (AbortMultipartUpload), so no orphaned parts are billed.
//
// Errors: every call returns S3Error, which keeps what the service said (HTTP status, S3 error
// code, message, region) apart from "no answer" (kNetwork), so callers can tell a wrong endpoint
// from a wrong region, a missing bucket, a policy denial and a bad key or secret. Nothing in an
// S3Error or its description contains the secret or a signature.
//
// Object keys must not contain '?' or control characters (Wharf generates its keys). Each call is
// a blocking request; an S3Client may be used from one thread at a time, and copies are cheap.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::integrations {

struct S3Config {
  std::string endpoint;  // "" = AWS S3; else "https://host[:port]" (or http:// for local hosts)
  std::string region;    // "us-east-1", "auto" (R2), …
  std::string bucket;
  bool path_style = true;
  std::string access_key_id;
  const SecretBytes* secret_access_key = nullptr;  // not owned; must outlive the client
  int connect_timeout_ms = 5000;
  int timeout_ms = 60000;  // per request (a part's upload included)
  std::function<bool(std::string_view ip)> address_allowed;  // the private-target guard; empty = all
  std::function<Timestamp()> now;                            // signing time; empty = the system clock
};

struct S3Error {
  enum class Kind {
    kNetwork,   // no answer: DNS, connect, TLS, timeout
    kService,   // the service answered with an error (status, code, message)
    kProtocol,  // an answer that is not S3's (not XML, missing fields)
    kSource,    // the upload's reader failed; `message` is its error
  };
  Kind kind = Kind::kService;
  std::string operation;  // "PutObject", "UploadPart", …
  int status = 0;         // HTTP status when the service answered
  std::string code;       // S3 error code: "NoSuchBucket", "SignatureDoesNotMatch", …
  std::string message;    // S3's message, or what went wrong
  std::string region;     // the bucket's region when the service named it (<Region>, x-amz-bucket-region)
  std::string request_id;
};
template <typename T>
using S3Result = tl::expected<T, S3Error>;

// One line for logs and reports: "PutObject: HTTP 403 SignatureDoesNotMatch: The request
// signature we calculated does not match…".
std::string DescribeS3Error(const S3Error& e);

struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string etag;
  std::string last_modified;
};

struct S3ListPage {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

struct S3ObjectInfo {
  int64_t size = 0;  // bytes received
  std::string etag;
  std::string content_type;
};

struct S3Part {
  int number = 0;
  std::string etag;
};

// Fills `buf` with up to `cap` bytes of the stream and returns how many; 0 = the end. An error
// stops the upload (the multipart upload is aborted) and comes back as S3Error::Kind::kSource.
using PullReader = std::function<Result<size_t>(char* buf, size_t cap)>;
// Receives the object's bytes in order; false stops the download (GetObject then fails).
using ChunkSink = std::function<bool(std::string_view chunk)>;

struct UploadOptions {
  size_t part_size = 8 << 20;  // bytes per part; raised to 5 MiB (S3's minimum) if smaller
  std::string content_type = "application/octet-stream";
};

struct UploadResult {
  int64_t size = 0;
  int parts = 0;  // 0 = a single PutObject (the stream fit in one part)
  std::string etag;
};

constexpr size_t kS3MinPartSize = 5 << 20;

class S3Client {
 public:
  explicit S3Client(S3Config config);

  // The endpoint requests go to: the configured one, or https://s3.<region>.amazonaws.com.
  std::string EndpointUrl() const;

  S3Result<std::string> PutObject(std::string_view key, std::string body,
                                  std::string_view content_type = "application/octet-stream");  // → ETag
  // Streams the object to `sink`; a non-2xx answer is an S3Error (nothing reaches the sink).
  S3Result<S3ObjectInfo> GetObject(std::string_view key, const ChunkSink& sink);
  // One page of keys under `prefix` (max_keys ≤ 1000); pass the previous page's
  // next_continuation_token to go on.
  S3Result<S3ListPage> ListObjectsV2(std::string_view prefix, std::string_view continuation_token = {},
                                     int max_keys = 1000, std::string_view delimiter = {});
  S3Result<void> DeleteObject(std::string_view key);
  // HEAD on the bucket: exists and is reachable with this key. A HEAD answer has no body, so
  // the code is inferred from the status (404 NoSuchBucket, 403 AccessDenied, 301/400 region).
  S3Result<void> HeadBucket();

  S3Result<std::string> CreateMultipartUpload(std::string_view key,
                                              std::string_view content_type = "application/octet-stream");
  S3Result<std::string> UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                                   std::string body);  // → the part's ETag
  S3Result<std::string> CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                                                const std::vector<S3Part>& parts);  // → ETag
  S3Result<void> AbortMultipartUpload(std::string_view key, std::string_view upload_id);

  // Reads `reader` to its end and stores it at `key`: one PutObject when the stream fits in one
  // part, else a multipart upload with parts of `part_size` (aborted on any failure).
  S3Result<UploadResult> Upload(std::string_view key, const PullReader& reader, const UploadOptions& options = {});

 private:
  struct Reply;
  S3Result<Reply> Send(const char* operation, std::string method, std::string_view key, std::string query,
                       std::string body, std::vector<std::pair<std::string, std::string>> headers,
                       const ChunkSink* sink = nullptr);
  S3Config config_;
};

}  // namespace wharf::integrations
