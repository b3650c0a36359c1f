// The web UI, embedded in the binary at build time (scripts/embed_web.cmake turns web/dist into
// a generated source), served by the router for GET requests outside /api/.
//
//   if (auto r = WebAppResponse(req)) return *r;   // the SPA shell, a hashed asset, or a 404 for a missing asset
//
// Thread-safety: everything here reads immutable static data.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "api/http.h"

namespace wharf::api {

struct EmbeddedFile {
  const char* path;  // "/index.html", "/assets/index-1a2b3c.js"
  const char* data;
  size_t size;
};

// The files of web/dist (generated; empty when the UI was not built).
std::span<const EmbeddedFile> EmbeddedFiles();

// The UI's answer to `req`, or nullopt when the request is not the UI's (not GET/HEAD, or under
// /api/). A path naming an embedded file gets that file; a missing file under /assets/ gets 404;
// any other path gets index.html, so the client-side router handles it (/o/acme/team, /invite/x).
// Hashed assets are cached for a year; HTML is never cached and carries a strict CSP.
std::optional<HttpResponse> WebAppResponse(const HttpRequest& req);

// The API reference page (GET /api/docs): web/dist/api-docs.html with a fresh nonce in its
// <meta name="csp-nonce">, under the UI's CSP plus style-src 'nonce-…': Redoc adds <style>
// elements while it renders and puts that nonce on them. Scripts stay 'self' only. Without a built
// UI, a short page that links the document.
HttpResponse ApiDocsResponse();

// The Content-Type for a file name by its extension.
std::string_view ContentTypeFor(std::string_view path);

}  // namespace wharf::api
