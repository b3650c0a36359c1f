// Test tool (not installed): uploads a generated stream of N MiB to an S3 endpoint through
// S3Client::Upload, reads it back through GetObject, and prints one JSON line with both SHA-256
// hashes, the part count and the peak resident memory, so tests/e2e can check the multipart path
// and its memory bound against a real S3 host. The secret comes from S3_SECRET_ACCESS_KEY.
//
//   S3_SECRET_ACCESS_KEY=… s3_roundtrip ENDPOINT REGION BUCKET ACCESS_KEY_ID KEY MIB [PART_MIB] [FAIL_AT_MIB]
//
// With FAIL_AT_MIB the reader fails after that many MiB (the upload must be aborted).
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/strings.h"
#include "integrations/s3.h"

using namespace wharf;

namespace {
struct Sha256 {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  Sha256() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
  void Update(const char* p, size_t n) { EVP_DigestUpdate(ctx.get(), p, n); }
  std::string Hex() {
    unsigned char out[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), out, &len);
    return HexEncode(std::string_view(reinterpret_cast<char*>(out), len));
  }
};
// Peak resident memory of this process image (VmHWM; ru_maxrss would carry the forking
// parent's peak across execve on Linux).
long MaxRssKb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  std::fclose(f);
  return kb;
}
std::string Json(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o + "\"";
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: s3_roundtrip ENDPOINT REGION BUCKET ACCESS_KEY_ID KEY MIB [PART_MIB] [FAIL_AT_MIB]\n");
    return 2;
  }
  const char* env = std::getenv("S3_SECRET_ACCESS_KEY");
  SecretBytes secret = SecretBytes::FromString(env ? env : "");
  integrations::S3Client s3({.endpoint = argv[1], .region = argv[2], .bucket = argv[3], .access_key_id = argv[4],
                             .secret_access_key = &secret});
  const std::string key = argv[5];
  const uint64_t total = std::stoull(argv[6]) << 20;
  const size_t part = argc > 7 ? std::stoull(argv[7]) << 20 : 8 << 20;
  const uint64_t fail_at = argc > 8 ? std::stoull(argv[8]) << 20 : 0;
  const long rss_before = MaxRssKb();
  uint64_t sent = 0;
  uint32_t x = 2463534242u;  // xorshift: deterministic, incompressible-looking bytes
  Sha256 up;
  auto reader = [&](char* buf, size_t cap) -> Result<size_t> {
    if (fail_at && sent >= fail_at) return Err(ErrorCode::kUnavailable, "the source stream failed on purpose");
    size_t n = static_cast<size_t>(std::min<uint64_t>(cap, std::min<uint64_t>(total - sent, 256 * 1024)));
    for (size_t i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      buf[i] = static_cast<char>(x);
    }
    up.Update(buf, n);
    sent += n;
    return n;
  };
  auto r = s3.Upload(key, reader, {.part_size = part});
  const long rss_upload = MaxRssKb();
  if (!r) {
    std::printf("{\"ok\":false,\"error\":%s,\"code\":%s,\"sent\":%llu,\"max_rss_kb_before\":%ld,\"max_rss_kb\":%ld}\n",
                Json(integrations::DescribeS3Error(r.error())).c_str(), Json(r.error().code).c_str(),
                static_cast<unsigned long long>(sent), rss_before, rss_upload);
    return 1;
  }
  Sha256 down;
  int64_t chunks = 0;
  auto got = s3.GetObject(key, [&](std::string_view c) {
    down.Update(c.data(), c.size());
    ++chunks;
    return true;
  });
  if (!got) {
    std::printf("{\"ok\":false,\"error\":%s}\n", Json(integrations::DescribeS3Error(got.error())).c_str());
    return 1;
  }
  std::printf(
      "{\"ok\":true,\"size\":%lld,\"parts\":%d,\"etag\":%s,\"sha256_up\":\"%s\",\"sha256_down\":\"%s\","
      "\"downloaded\":%lld,\"chunks\":%lld,\"max_rss_kb_before\":%ld,\"max_rss_kb_upload\":%ld,\"max_rss_kb\":%ld}\n",
      static_cast<long long>(r->size), r->parts, Json(r->etag).c_str(), up.Hex().c_str(), down.Hex().c_str(),
      static_cast<long long>(got->size), static_cast<long long>(chunks), rss_before, rss_upload, MaxRssKb());
  return 0;
}
