// Validators for S3-compatible backup storage settings (no I/O). Each returns the normalized
// value or a field error that says what is wrong and what a good value looks like.
//
//   WHARF_ASSIGN_OR_RETURN(std::string ep, domain::ValidateS3Endpoint(in.endpoint, "endpoint"));  // "" = AWS
//   WHARF_ASSIGN_OR_RETURN(std::string b, domain::ValidateBucketName(in.bucket, "bucket"));
//   WHARF_ASSIGN_OR_RETURN(std::string p, domain::NormalizeStoragePrefix(in.prefix, "prefix"));  // "db/" or ""
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace wharf::domain {

// "" (AWS S3) or an http(s) URL with a host, an optional port, and no path, query, fragment or
// user info; answers "scheme://host[:port]" (host lower-cased, trailing '/' removed).
Result<std::string> ValidateS3Endpoint(std::string_view endpoint, std::string_view field);
// host[:port] of a validated endpoint ("" for AWS).
std::string S3EndpointHost(std::string_view endpoint);
// S3's general-purpose bucket naming rules: 3–63 characters of lower-case letters, digits, '.'
// and '-'; starts and ends with a letter or digit; no "..", not an IPv4 address, no "xn--",
// "sthree-" or "amzn-s3-demo-" prefix, no "-s3alias" or "--ol-s3" suffix.
Result<std::string> ValidateBucketName(std::string_view bucket, std::string_view field);
// A key prefix: "" or "a/b/" (a leading '/' is dropped and a trailing '/' added); at most 512
// bytes; no control characters, '\', '?', '#', "//", or "." / ".." segments.
Result<std::string> NormalizeStoragePrefix(std::string_view prefix, std::string_view field);
// A region name: lower-case letters, digits and '-', 2–40 characters ("us-east-1", "auto").
Result<std::string> ValidateStorageRegion(std::string_view region, std::string_view field);
// An access key id: 3–128 characters of letters, digits and "._+=-" (AWS AKIA…/ASIA…, R2's 32
// hex digits, B2's 25-character key ids, MinIO user names).
Result<std::string> ValidateAccessKeyId(std::string_view id, std::string_view field);

}  // namespace wharf::domain
