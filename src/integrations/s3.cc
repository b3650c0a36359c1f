#include "integrations/s3.h"

#include <algorithm>
#include <chrono>

#include "base/strings.h"
#include "http_client/http.h"
#include "http_client/sigv4.h"
#include "integrations/xml.h"

namespace wharf::integrations {

namespace sigv4 = http_client::sigv4;

struct S3Client::Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

namespace {

struct UrlParts {
  std::string scheme;     // "https"
  std::string authority;  // "host[:port]"
};

UrlParts SplitUrl(std::string_view url) {
  UrlParts u;
  auto p = url.find("://");
  u.scheme = std::string(url.substr(0, p));
  std::string_view rest = url.substr(p + 3);
  u.authority = std::string(rest.substr(0, rest.find('/')));
  return u;
}

S3Error Failure(const char* op, S3Error::Kind kind, std::string message) {
  S3Error e;
  e.kind = kind;
  e.operation = op;
  e.message = std::move(message);
  return e;
}

bool BadKey(std::string_view key) {
  if (key.empty() || key.size() > 1024) return true;
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f || c == '?') return true;
  return false;
}

std::string QueryValue(std::string_view v) { return sigv4::UriEncode(v, false); }

}  // namespace

std::string DescribeS3Error(const S3Error& e) {
  std::string out = e.operation.empty() ? std::string() : e.operation + ": ";
  if (e.kind == S3Error::Kind::kService || (e.kind == S3Error::Kind::kProtocol && e.status)) {
    out += "HTTP " + std::to_string(e.status);
    if (!e.code.empty()) out += " " + e.code;
    if (!e.message.empty()) out += ": " + e.message;
  } else {
    out += e.message;
  }
  return out;
}

S3Client::S3Client(S3Config config) : config_(std::move(config)) {
  while (!config_.endpoint.empty() && config_.endpoint.back() == '/') config_.endpoint.pop_back();
}

std::string S3Client::EndpointUrl() const {
  if (!config_.endpoint.empty()) return config_.endpoint;
  return "https://s3." + config_.region + ".amazonaws.com";
}

S3Result<S3Client::Reply> S3Client::Send(const char* op, std::string method, std::string_view key, std::string query,
                                         std::string body, std::vector<std::pair<std::string, std::string>> headers,
                                         const ChunkSink* sink) {
  if (!key.empty() && BadKey(key))
    return tl::unexpected(Failure(op, S3Error::Kind::kProtocol,
                                  "the object key is empty, longer than 1024 bytes, or holds '?' or a control character"));
  UrlParts base = SplitUrl(EndpointUrl());
  std::string host = base.authority;
  std::string raw_path;  // as signed: decoded; sent: URI-encoded once (S3 does not double-encode)
  if (config_.path_style) {
    raw_path = "/" + config_.bucket + (key.empty() ? std::string() : "/" + std::string(key));
  } else {
    host = config_.bucket + "." + host;
    raw_path = "/" + std::string(key);
  }
  const Timestamp now = config_.now ? config_.now()
                                    : std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
  sigv4::Request req{method, raw_path + (query.empty() ? "" : "?" + query), {{"Host", host}}, {}};
  for (auto& h : headers) req.headers.push_back(h);
  sigv4::Params params{.region = config_.region, .service = "s3", .time = now, .normalize_path = false,
                       .sign_body = true};
  params.payload_hash = sigv4::Sha256Hex(body);
  sigv4::Credentials creds{config_.access_key_id,
                           config_.secret_access_key ? config_.secret_access_key->Clone() : SecretBytes(), ""};
  sigv4::Signed s = sigv4::SignHeaders(req, creds, params);

  http_client::HttpCall call{.method = method,
                             .url = base.scheme + "://" + host + sigv4::UriEncode(raw_path, true) +
                                    (query.empty() ? "" : "?" + query)};
  call.headers = std::move(s.request.headers);
  call.headers.emplace_back("Expect", "");  // no 100-continue round trip (an empty value removes curl's)
  call.body = std::move(body);
  call.timeout_ms = config_.timeout_ms;
  call.connect_timeout_ms = config_.connect_timeout_ms;
  call.user_agent = "wharf/0.1 (backup storage)";
  call.address_allowed = config_.address_allowed;
  call.layer = Layer::kBackupStorage;  // a download streams to `sink`; only an error body is kept
  auto r = sink ? http_client::FetchStream(call, *sink) : http_client::Fetch(call);
  for (auto& [k, v] : call.headers)
    if (k == "Authorization") std::fill(v.begin(), v.end(), '\0');
  if (!r) return tl::unexpected(Failure(op, S3Error::Kind::kNetwork, r.error().message));
  Reply reply{r->status, std::move(r->headers), std::move(r->body)};
  if (reply.status >= 200 && reply.status < 300) return reply;

  S3Error e;
  e.kind = S3Error::Kind::kService;
  e.operation = op;
  e.status = reply.status;
  e.region = reply.Header("x-amz-bucket-region");
  e.request_id = reply.Header("x-amz-request-id");
  auto doc = ParseXml(reply.body);
  if (doc && doc->name == "Error") {
    e.code = doc->ChildText("Code");
    e.message = doc->ChildText("Message");
    if (!doc->ChildText("Region").empty()) e.region = doc->ChildText("Region");
    if (e.request_id.empty()) e.request_id = doc->ChildText("RequestId");
  } else if (method == "HEAD" || Trim(reply.body).empty()) {
    // No body (HEAD, or a terse proxy): infer the code from the status, as the AWS SDKs do.
    switch (reply.status) {
      case 301: e.code = "PermanentRedirect"; e.message = "The bucket is in another region."; break;
      case 400: e.code = "BadRequest"; e.message = "Bad request (often a wrong region)."; break;
      case 403: e.code = "Forbidden"; e.message = "Access denied (a HEAD answer carries no reason)."; break;
      case 404: e.code = key.empty() ? "NoSuchBucket" : "NotFound"; e.message = "Not found."; break;
      default: e.message = "No error body."; break;
    }
  } else {
    e.kind = S3Error::Kind::kProtocol;
    e.message = "The answer is not an S3 error document (is the endpoint an S3 API?)";
  }
  return tl::unexpected(std::move(e));
}

S3Result<std::string> S3Client::PutObject(std::string_view key, std::string body, std::string_view content_type) {
  if (key.empty()) return tl::unexpected(Failure("PutObject", S3Error::Kind::kProtocol, "the object key is empty"));
  auto r = Send("PutObject", "PUT", key, "", std::move(body), {{"Content-Type", std::string(content_type)}});
  if (!r) return tl::unexpected(r.error());
  return r->Header("etag");
}

S3Result<S3ObjectInfo> S3Client::GetObject(std::string_view key, const ChunkSink& sink) {
  if (key.empty()) return tl::unexpected(Failure("GetObject", S3Error::Kind::kProtocol, "the object key is empty"));
  S3ObjectInfo info;
  bool stopped = false;
  ChunkSink counting = [&](std::string_view chunk) {
    info.size += static_cast<int64_t>(chunk.size());
    if (!sink(chunk)) {
      stopped = true;
      return false;
    }
    return true;
  };
  auto r = Send("GetObject", "GET", key, "", "", {}, &counting);
  if (!r) return tl::unexpected(r.error());
  if (stopped) return tl::unexpected(Failure("GetObject", S3Error::Kind::kSource, "the download was stopped by its sink"));
  std::string length = r->Header("content-length");
  if (!length.empty() && length != std::to_string(info.size))
    return tl::unexpected(Failure("GetObject", S3Error::Kind::kProtocol,
                                  "received " + std::to_string(info.size) + " bytes of " + length));
  info.etag = r->Header("etag");
  info.content_type = r->Header("content-type");
  return info;
}

S3Result<S3ListPage> S3Client::ListObjectsV2(std::string_view prefix, std::string_view token, int max_keys,
                                             std::string_view delimiter) {
  std::string q;
  if (!token.empty()) q += "continuation-token=" + QueryValue(token) + "&";
  if (!delimiter.empty()) q += "delimiter=" + QueryValue(delimiter) + "&";
  q += "list-type=2&max-keys=" + std::to_string(std::clamp(max_keys, 1, 1000));
  if (!prefix.empty()) q += "&prefix=" + QueryValue(prefix);
  auto r = Send("ListObjectsV2", "GET", "", q, "", {});
  if (!r) return tl::unexpected(r.error());
  auto doc = ParseXml(r->body);
  if (!doc || doc->name != "ListBucketResult")
    return tl::unexpected(Failure("ListObjectsV2", S3Error::Kind::kProtocol, "the answer is not a ListBucketResult"));
  S3ListPage page;
  for (const XmlNode* c : doc->Children("Contents")) {
    S3Object o{c->ChildText("Key"), 0, c->ChildText("ETag"), c->ChildText("LastModified")};
    try {
      o.size = std::stoll(c->ChildText("Size"));
    } catch (...) {
      o.size = 0;
    }
    page.objects.push_back(std::move(o));
  }
  for (const XmlNode* c : doc->Children("CommonPrefixes")) page.common_prefixes.push_back(c->ChildText("Prefix"));
  page.truncated = doc->ChildText("IsTruncated") == "true";
  page.next_continuation_token = doc->ChildText("NextContinuationToken");
  return page;
}

S3Result<void> S3Client::DeleteObject(std::string_view key) {
  if (key.empty()) return tl::unexpected(Failure("DeleteObject", S3Error::Kind::kProtocol, "the object key is empty"));
  auto r = Send("DeleteObject", "DELETE", key, "", "", {});
  if (!r) return tl::unexpected(r.error());
  return {};
}

S3Result<void> S3Client::HeadBucket() {
  auto r = Send("HeadBucket", "HEAD", "", "", "", {});
  if (!r) return tl::unexpected(r.error());
  return {};
}

S3Result<std::string> S3Client::CreateMultipartUpload(std::string_view key, std::string_view content_type) {
  if (key.empty())
    return tl::unexpected(Failure("CreateMultipartUpload", S3Error::Kind::kProtocol, "the object key is empty"));
  auto r = Send("CreateMultipartUpload", "POST", key, "uploads", "", {{"Content-Type", std::string(content_type)}});
  if (!r) return tl::unexpected(r.error());
  auto doc = ParseXml(r->body);
  if (!doc || doc->name != "InitiateMultipartUploadResult" || doc->ChildText("UploadId").empty())
    return tl::unexpected(Failure("CreateMultipartUpload", S3Error::Kind::kProtocol, "the answer holds no UploadId"));
  return doc->ChildText("UploadId");
}

S3Result<std::string> S3Client::UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                                           std::string body) {
  auto r = Send("UploadPart", "PUT", key,
                "partNumber=" + std::to_string(part_number) + "&uploadId=" + QueryValue(upload_id), std::move(body),
                {{"Content-Type", "application/octet-stream"}});
  if (!r) return tl::unexpected(r.error());
  std::string etag = r->Header("etag");
  if (etag.empty())
    return tl::unexpected(Failure("UploadPart", S3Error::Kind::kProtocol, "the answer to a part has no ETag"));
  return etag;
}

S3Result<std::string> S3Client::CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                                                        const std::vector<S3Part>& parts) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& p : parts)
    xml += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" + XmlEscape(p.etag) +
           "</ETag></Part>";
  xml += "</CompleteMultipartUpload>";
  auto r = Send("CompleteMultipartUpload", "POST", key, "uploadId=" + QueryValue(upload_id), std::move(xml),
                {{"Content-Type", "application/xml"}});
  if (!r) return tl::unexpected(r.error());
  // S3 may answer 200 and still fail: the error is then in the body.
  auto doc = ParseXml(r->body);
  if (doc && doc->name == "Error") {
    S3Error e;
    e.operation = "CompleteMultipartUpload";
    e.status = r->status;
    e.code = doc->ChildText("Code");
    e.message = doc->ChildText("Message");
    return tl::unexpected(std::move(e));
  }
  if (!doc || doc->name != "CompleteMultipartUploadResult")
    return tl::unexpected(
        Failure("CompleteMultipartUpload", S3Error::Kind::kProtocol, "the answer is not a CompleteMultipartUploadResult"));
  return doc->ChildText("ETag");
}

S3Result<void> S3Client::AbortMultipartUpload(std::string_view key, std::string_view upload_id) {
  auto r = Send("AbortMultipartUpload", "DELETE", key, "uploadId=" + QueryValue(upload_id), "", {});
  if (!r) return tl::unexpected(r.error());
  return {};
}

S3Result<UploadResult> S3Client::Upload(std::string_view key, const PullReader& reader, const UploadOptions& options) {
  const size_t part_size = std::max(options.part_size, kS3MinPartSize);
  bool eof = false;
  // Fills `buf` (sized part_size) from the reader; sets eof when the reader says so.
  auto fill = [&](std::string& buf) -> S3Result<void> {
    buf.resize(part_size);
    size_t filled = 0;
    while (filled < part_size) {
      auto n = reader(buf.data() + filled, part_size - filled);
      if (!n) return tl::unexpected(Failure("Upload", S3Error::Kind::kSource, n.error().message));
      if (*n == 0) {
        eof = true;
        break;
      }
      filled += std::min(*n, part_size - filled);
    }
    buf.resize(filled);
    return {};
  };
  UploadResult out;
  std::string buf;
  if (auto f = fill(buf); !f) return tl::unexpected(f.error());
  if (eof) {
    out.size = static_cast<int64_t>(buf.size());
    auto etag = PutObject(key, std::move(buf), options.content_type);
    if (!etag) return tl::unexpected(etag.error());
    out.etag = *etag;
    return out;
  }
  auto upload_id = CreateMultipartUpload(key, options.content_type);
  if (!upload_id) return tl::unexpected(upload_id.error());
  std::vector<S3Part> parts;
  auto fail = [&](S3Error e) -> S3Result<UploadResult> {
    (void)AbortMultipartUpload(key, *upload_id);  // best effort; the original error is what matters
    return tl::unexpected(std::move(e));
  };
  for (;;) {
    if (buf.empty()) break;  // the stream ended exactly on a part boundary
    const int number = static_cast<int>(parts.size()) + 1;
    if (number > 10000) return fail(Failure("UploadPart", S3Error::Kind::kSource, "the stream needs more than 10000 parts: raise part_size"));
    out.size += static_cast<int64_t>(buf.size());
    auto etag = UploadPart(key, *upload_id, number, std::move(buf));
    buf = std::string();  // the part's memory went with the request
    if (!etag) return fail(etag.error());
    parts.push_back({number, *etag});
    if (eof) break;
    if (auto f = fill(buf); !f) return fail(f.error());
  }
  auto etag = CompleteMultipartUpload(key, *upload_id, parts);
  if (!etag) return fail(etag.error());
  out.parts = static_cast<int>(parts.size());
  out.etag = *etag;
  return out;
}

}  // namespace wharf::integrations
