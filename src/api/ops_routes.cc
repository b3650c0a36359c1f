// The web UI's entry points, health, metrics and this API's own OpenAPI document.
#include "api/routes.h"

#include "api/schema.h"
#include "api/static_assets.h"

namespace wharf::api {

void AddOperationsRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // The web UI (api/static_assets.cc): "/" and "/invite/{token}" are listed for the API document;
  // every other non-/api GET falls back to the UI in Dispatch().
  rt.Add("GET", "/", A::kNone, "operations", "The web UI", {200},
      [](Call& c) -> Result<HttpResponse> { return *WebAppResponse(c.req); })
      .Media("text/html");
  rt.Add("GET", "/invite/{token}", A::kNone, "invitations",
      "Invitation landing page of the web UI (never consumes the invitation)", {200},
      [](Call& c) -> Result<HttpResponse> { return *WebAppResponse(c.req); })
      .Media("text/html");
  rt.Add("GET", "/reset-password/{token}", A::kNone, "auth",
      "Password-reset page of the web UI (opening it uses nothing; the form does)", {200},
      [](Call& c) -> Result<HttpResponse> { return *WebAppResponse(c.req); })
      .Media("text/html");
  rt.Add("GET", "/verify-email/{token}", A::kNone, "auth",
      "Email verification page of the web UI (the link is used when its button is pressed)", {200},
      [](Call& c) -> Result<HttpResponse> { return *WebAppResponse(c.req); })
      .Media("text/html");
  rt.Add("GET", "/healthz", A::kNone, "operations", "The process is up", {200},
      [](Call&) -> Result<HttpResponse> { return Json(200, {{"status", "ok"}}); },
      oas::Object({{"status", oas::Enum({"ok"})}}));
  rt.Add("GET", "/readyz", A::kNone, "operations", "The store is reachable and migrated", {200, 503},
      [&s](Call&) -> Result<HttpResponse> {
        if (!s.Ready()) return Err(ErrorCode::kUnavailable, "The store is not reachable.");
        return Json(200, {{"status", "ready"}});
      },
      oas::Object({{"status", oas::Enum({"ready"})}}));
  rt.Add("GET", "/metrics", A::kNone, "operations", "Prometheus metrics", {200}, [&rt](Call&) -> Result<HttpResponse> {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = rt.metrics().Render();
    return r;
  }).Media("text/plain");
  rt.Add("GET", "/api/v1/openapi.json", A::kNone, "operations", "This document", {200},
      [&rt](Call&) -> Result<HttpResponse> {
        HttpResponse r;
        r.body = rt.openapi();
        return r;
      },
      oas::OpenObject({{"openapi", oas::String()}, {"info", oas::Map()}, {"paths", oas::Map()}}));
  rt.Add("GET", "/api/docs", A::kNone, "operations",
      "The API reference: this document rendered by Redoc in the browser (HTML; docs/api.md)", {200},
      [](Call&) -> Result<HttpResponse> { return ApiDocsResponse(); })
      .Media("text/html");

}

}  // namespace wharf::api
