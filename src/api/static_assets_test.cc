#include "api/static_assets.h"

#include <gtest/gtest.h>

namespace wharf::api {
namespace {

HttpRequest Get(std::string path, std::string method = "GET") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(StaticAssets, ApiPathsAndWritesAreNotTheUis) {
  EXPECT_FALSE(WebAppResponse(Get("/api/v1/nope")));
  EXPECT_FALSE(WebAppResponse(Get("/api")));
  EXPECT_FALSE(WebAppResponse(Get("/o/acme/team", "POST")));
}

TEST(StaticAssets, ClientRoutesGetTheShellWithAStrictCsp) {
  for (const char* path : {"/", "/o/acme/team", "/invite/whi_abc", "/login"}) {
    auto r = WebAppResponse(Get(path));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
    EXPECT_NE(HeaderOf(*r, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(HeaderOf(*r, "Content-Security-Policy").find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(HeaderOf(*r, "Referrer-Policy"), "no-referrer");
    EXPECT_NE(r->body.find("/api/v1/openapi.json"), std::string::npos) << "the no-JS fallback links the API";
  }
  EXPECT_TRUE(WebAppResponse(Get("/o/acme/team", "HEAD")));
}

TEST(StaticAssets, MissingAssetIs404NotTheShell) {
  auto r = WebAppResponse(Get("/assets/index-doesnotexist.js"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(StaticAssets, HashedAssetsAreCachedForAYear) {
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    std::string_view path = f.path;
    if (!path.starts_with("/assets/")) continue;
    auto r = WebAppResponse(Get(std::string(path)));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), f.size);
    EXPECT_EQ(HeaderOf(*r, "Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(r->content_type, ContentTypeFor(path));
  }
}

TEST(StaticAssets, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("/assets/a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/assets/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/favicon.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/x.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace wharf::api
