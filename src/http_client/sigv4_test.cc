// The AWS SigV4 signing test suite (from awslabs/aws-c-auth, handed to us as shared/testdata/aws-sigv4
// and kept verbatim in tests/vectors/aws-sigv4 so a clean clone has it; a test checks the copy
// still equals shared/testdata whenever that directory is present), used as is: each case checks each stage — canonical request, string to sign, signature, signed request —
// for both the Authorization-header form and the presigned (query) form.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "http_client/sigv4.h"

namespace wharf::http_client::sigv4 {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* root = std::getenv("WHARF_SOURCE_DIR");
  return fs::path(root ? root : ".");
}
fs::path SuiteDir() { return SourceDir() / "tests" / "vectors" / "aws-sigv4"; }

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(SuiteDir(), ec))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = SuiteDir() / GetParam();
    auto ctx = nlohmann::json::parse(Read(dir_ / "context.json"));
    creds_.access_key_id = ctx["credentials"]["access_key_id"];
    creds_.secret_access_key = SecretBytes::FromString(ctx["credentials"]["secret_access_key"].get<std::string>());
    if (ctx["credentials"].contains("token")) creds_.session_token = ctx["credentials"]["token"];
    params_.region = ctx["region"];
    params_.service = ctx["service"];
    params_.time = *ParseIso8601(ctx["timestamp"].get<std::string>());
    params_.normalize_path = ctx.value("normalize", true);
    params_.sign_body = ctx.value("sign_body", false);
    params_.expires_seconds = ctx.value("expiration_in_seconds", 3600);
    params_.omit_session_token = ctx.value("omit_session_token", false);
    auto req = ParseRawRequest(Read(dir_ / "request.txt"));
    ASSERT_TRUE(req) << req.error().message;
    req_ = *req;
  }
  fs::path dir_;
  Credentials creds_;
  Params params_;
  Request req_;
};

TEST_P(SigV4Suite, HeaderCanonicalRequest) {
  EXPECT_EQ(SignHeaders(req_, creds_, params_).canonical_request, Read(dir_ / "header-canonical-request.txt"));
}
TEST_P(SigV4Suite, HeaderStringToSign) {
  EXPECT_EQ(SignHeaders(req_, creds_, params_).string_to_sign, Read(dir_ / "header-string-to-sign.txt"));
}
TEST_P(SigV4Suite, HeaderSignature) {
  EXPECT_EQ(SignHeaders(req_, creds_, params_).signature, Read(dir_ / "header-signature.txt"));
}
TEST_P(SigV4Suite, HeaderSignedRequest) {
  EXPECT_EQ(PrintRequest(SignHeaders(req_, creds_, params_).request), Read(dir_ / "header-signed-request.txt"));
}
TEST_P(SigV4Suite, QueryCanonicalRequest) {
  EXPECT_EQ(Presign(req_, creds_, params_).canonical_request, Read(dir_ / "query-canonical-request.txt"));
}
TEST_P(SigV4Suite, QueryStringToSign) {
  EXPECT_EQ(Presign(req_, creds_, params_).string_to_sign, Read(dir_ / "query-string-to-sign.txt"));
}
TEST_P(SigV4Suite, QuerySignature) {
  EXPECT_EQ(Presign(req_, creds_, params_).signature, Read(dir_ / "query-signature.txt"));
}
TEST_P(SigV4Suite, QuerySignedRequest) {
  EXPECT_EQ(PrintRequest(Presign(req_, creds_, params_).request), Read(dir_ / "query-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4Suite, ::testing::ValuesIn(Cases()), [](const auto& info) {
  std::string n = info.param;
  for (char& c : n) if (c == '-') c = '_';
  return n;
});

// A missing suite must fail, never pass by running nothing.
TEST(SigV4Test, TheSuiteIsPresent) { ASSERT_EQ(Cases().size(), 38u) << "expected the AWS suite at " << SuiteDir(); }

// The vendored copy is the suite as handed to us: byte for byte, whenever shared/testdata is here.
TEST(SigV4Test, TheVendoredSuiteEqualsSharedTestdata) {
  const fs::path shared = SourceDir() / ".." / "shared" / "testdata" / "aws-sigv4";
  if (!fs::exists(shared)) return;  // a clean clone: TheSuiteIsPresent checks the copy on its own
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(shared)) {
    if (!e.is_regular_file()) continue;
    const fs::path copy = SuiteDir() / fs::relative(e.path(), shared);
    ASSERT_TRUE(fs::exists(copy)) << copy;
    EXPECT_EQ(Read(e.path()), Read(copy)) << copy;
    ++files;
  }
  size_t ours = 0;
  for (const auto& e : fs::recursive_directory_iterator(SuiteDir())) ours += e.is_regular_file();
  EXPECT_EQ(files, ours);
}

TEST(SigV4Test, SecretNeverAppearsInOutput) {
  Credentials c{"AKID", SecretBytes::FromString("very-secret-key-material"), ""};
  Params p{"us-east-1", "sts", 1'440'938'160'000};
  Request r{"POST", "/", {{"Host", "sts.amazonaws.com"}}, "Action=GetCallerIdentity"};
  for (const Signed& s : {SignHeaders(r, c, p), Presign(r, c, p)}) {
    EXPECT_EQ(PrintRequest(s.request).find("very-secret"), std::string::npos);
    EXPECT_EQ(s.canonical_request.find("very-secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace wharf::http_client::sigv4
