#include "api/static_assets.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "base/strings.h"

namespace wharf::api {

namespace {

// No inline script or style, nothing from other origins, no framing. The UI needs nothing more.
constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The API reference's page: the same, but <style> elements carrying this answer's nonce are
// allowed. Redoc's search runs in a worker it starts from a blob: URL.
constexpr std::string_view kDocsCspHead = "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-";
constexpr std::string_view kDocsCspTail =
    "'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";
constexpr std::string_view kNoncePlaceholder = "__WHARF_CSP_NONCE__";

constexpr std::string_view kDocsNotBuilt = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wharf API reference</title></head>
<body><h1>Wharf API reference</h1>
<p>The reference page was not built into this binary: run <code>make build</code> (it builds <code>web/</code> first).
The document it renders is <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3).</p></body></html>
)";

constexpr std::string_view kNotBuilt = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wharf</title></head>
<body><h1>Wharf is running</h1>
<p>The web UI was not built into this binary: run <code>make build</code> (it builds <code>web/</code> first).
The HTTP API works: see the <a href="/api/v1/openapi.json">API document (OpenAPI 3)</a>.</p></body></html>
)";

const EmbeddedFile* Find(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedFiles())
    if (path == f.path) return &f;
  return nullptr;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// 128 random bits from the kernel's CSPRNG, base64: a CSP nonce no page can predict.
std::string NewNonce() {
  unsigned char b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    else if (errno != EINTR) std::abort();  // no kernel randomness: nothing safe to fall back to
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

void AddSecurityHeaders(HttpResponse& r, std::string_view csp = kCsp) {
  r.headers.emplace_back("Content-Security-Policy", std::string(csp));
  r.headers.emplace_back("X-Frame-Options", "DENY");
  // Invitation tokens travel in the page URL (/invite/<token>): never leak it to other sites.
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

HttpResponse FileResponse(const EmbeddedFile& f, std::string_view cache_control) {
  HttpResponse r;
  r.content_type = std::string(ContentTypeFor(f.path));
  r.body.assign(f.data, f.size);
  r.headers.emplace_back("Cache-Control", std::string(cache_control));
  AddSecurityHeaders(r);
  r.route = "web";
  return r;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  if (EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(path, ".js") || EndsWith(path, ".mjs")) return "text/javascript; charset=utf-8";
  if (EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(path, ".svg")) return "image/svg+xml";
  if (EndsWith(path, ".png")) return "image/png";
  if (EndsWith(path, ".ico")) return "image/x-icon";
  if (EndsWith(path, ".json") || EndsWith(path, ".map")) return "application/json";
  if (EndsWith(path, ".woff2")) return "font/woff2";
  if (EndsWith(path, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

HttpResponse ApiDocsResponse() {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");  // a new nonce every time
  const EmbeddedFile* f = Find("/api-docs.html");
  if (!f) {
    r.body = std::string(kDocsNotBuilt);
    AddSecurityHeaders(r);
    return r;
  }
  const std::string nonce = NewNonce();
  r.body.assign(f->data, f->size);
  for (size_t at = r.body.find(kNoncePlaceholder); at != std::string::npos; at = r.body.find(kNoncePlaceholder, at))
    r.body.replace(at, kNoncePlaceholder.size(), nonce);
  AddSecurityHeaders(r, std::string(kDocsCspHead) + nonce + std::string(kDocsCspTail));
  return r;
}

std::optional<HttpResponse> WebAppResponse(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  const std::string_view path = req.path;
  if (path == "/api" || path.starts_with("/api/")) return std::nullopt;
  if (path.starts_with("/assets/")) {
    // Vite names these by content hash: safe to cache for good.
    if (const EmbeddedFile* f = Find(path)) return FileResponse(*f, "public, max-age=31536000, immutable");
    HttpResponse r;
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "No such asset. The UI may have been updated: reload the page.\n";
    r.route = "web";
    return r;
  }
  // api-docs.html is served at /api/docs with its nonce (ApiDocsResponse), not as a plain file.
  if (path != "/" && path != "/index.html" && path != "/api-docs.html") {
    if (const EmbeddedFile* f = Find(path)) return FileResponse(*f, "public, max-age=3600");
  }
  if (const EmbeddedFile* index = Find("/index.html")) return FileResponse(*index, "no-cache");
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::string(kNotBuilt);
  AddSecurityHeaders(r);
  r.route = "web";
  return r;
}

}  // namespace wharf::api
