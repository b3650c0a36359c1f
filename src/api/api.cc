#include "api/api.h"

#include "api/body.h"
#include "api/router.h"
#include "api/routes.h"
#include "base/strings.h"

namespace wharf::api {

struct Api::Impl {
  Router rt;

  Impl(services::Services& s, Metrics& m, ApiOptions o) : rt(s, m, std::move(o)) {
    AddSharedSchemas(rt);
    AddApplicationRoutes(rt);
    AddTemplateRoutes(rt);
    AddDeploymentRoutes(rt);
    AddReleaseRoutes(rt);
    AddOperationsRoutes(rt);
    AddAuthRoutes(rt);
    AddSecondFactorRoutes(rt);
    AddSsoRoutes(rt);
    AddAccountRoutes(rt);
    AddTeamRoutes(rt);
    AddSshKeyRoutes(rt);
    AddSecurityGroupRoutes(rt);
    AddIntegrationRoutes(rt);
    AddEc2SyncRoutes(rt);
    AddServerRoutes(rt);
    AddDiagnoseRoutes(rt);
    AddAuditRoutes(rt);
    AddBackupRoutes(rt);
    AddNotificationRoutes(rt);
    rt.Finish();
  }
};

Api::Api(services::Services& services, Metrics& metrics, ApiOptions options)
    : impl_(std::make_unique<Impl>(services, metrics, std::move(options))) {}
Api::~Api() = default;
bool Api::MayBlock(const HttpRequest& req) {
  // Requests that may wait on the network (a worker node over SSH, a registry, a git host, AWS,
  // S3) run on the blocking pool, never on an I/O thread. Reads are local except the few that ask
  // a remote system; any write may (verify, test, diagnose, sync, deploy, backup, saving a service
  // that checks its source, sign-in's argon2id), and its own cost dwarfs the hand-off.
  if (req.method != "GET" && req.method != "HEAD") return true;
  return req.path.ends_with("/firewall") || req.path.ends_with("/drift") || req.path.ends_with("/download");
}

bool Api::IsOutboundCheck(const HttpRequest& req) {
  if (req.method != "POST" || !req.path.starts_with("/api/v1/orgs/")) return false;
  std::string_view last = std::string_view(req.path).substr(req.path.rfind('/') + 1);
  return last == "verify" || last == "test" || last == "test-connection" || last == "check" ||
         last == "diagnose" || last == "sync" || last == "repin-host-key";
}

std::optional<std::string> Api::OutboundOrg(const HttpRequest& req) {
  if (!IsOutboundCheck(req)) return std::nullopt;
  std::string_view rest = std::string_view(req.path).substr(std::string_view("/api/v1/orgs/").size());
  std::string slug;
  if (!PercentDecode(rest.substr(0, rest.find('/')), &slug)) return std::nullopt;
  std::string token;
  std::string_view header = req.Header("authorization");
  if (header.size() > 7 && ToLower(header.substr(0, 7)) == "bearer ") token = std::string(Trim(header.substr(7)));
  else if (header.empty()) token = CookieValue(req.Header("cookie"), kCookieName);
  services::RequestContext ctx{req.request_id, req.remote_ip, {}};
  auto who = impl_->rt.svc().auth().Authenticate(token, ctx);
  if (!who) return std::nullopt;
  auto p = impl_->rt.svc().auth().ResolvePrincipal(**who, slug, ctx);
  if (!p) return std::nullopt;
  return p->org_id;
}

HttpResponse Api::Handle(const HttpRequest& req) { return impl_->rt.Handle(req); }

std::string HttpRequest::Query(std::string_view name, bool* present) const {
  if (present) *present = false;
  for (auto part : Split(query, '&')) {
    auto eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    if (k != name) continue;
    std::string v;
    std::string raw(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    for (char& ch : raw)
      if (ch == '+') ch = ' ';
    if (!PercentDecode(raw, &v)) v.clear();
    if (present) *present = true;
    return v;
  }
  return {};
}

}  // namespace wharf::api

