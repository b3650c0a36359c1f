#include "api/api.h"
#include "api/body.h"
#include "api/json_writer.h"
#include "api/sse.h"
#include "api/static_assets.h"

#include <chrono>
#include <charconv>
#include <functional>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/strings.h"

namespace wharf::api {

using nlohmann::json;
using services::RequestContext;

namespace {

constexpr std::string_view kCookieName = "wharf_session";

std::string Time(Timestamp t) { return FormatRfc3339(t); }
json TimeOrNull(Timestamp t) { return t ? json(FormatRfc3339(t)) : json(nullptr); }

json UserJson(const domain::User& u) {
  return {{"id", u.id}, {"email", u.email}, {"name", u.name}, {"instance_admin", u.instance_admin},
          {"created_at", Time(u.created_at)}, {"updated_at", Time(u.updated_at)}};
}
json UserBrief(const domain::User& u) { return {{"id", u.id}, {"email", u.email}, {"name", u.name}}; }

json OrgJson(const services::OrgView& v) {
  const auto& o = v.org;
  return {{"id", o.id}, {"slug", o.slug}, {"name", o.name}, {"owner_id", o.owner_id},
          {"seat_limit", o.seat_limit}, {"seats_used", v.seats_used}, {"created_at", Time(o.created_at)},
          {"updated_at", Time(o.updated_at)}, {"created_by", o.created_by}};
}

json RoleJson(const services::RoleView& v) {
  const auto& r = v.role;
  json members = json::array();
  for (auto& u : v.members) members.push_back(UserBrief(u));
  return {{"id", r.id}, {"name", r.name}, {"description", r.description}, {"builtin", r.builtin},
          {"permissions", domain::PermissionsToJson(r.builtin ? domain::Permissions::All() : r.permissions)},
          {"resource_scope", domain::ResourceScopeToJson(r.resource_scope)},
          {"member_count", v.members.size()}, {"members", members}, {"created_at", Time(r.created_at)},
          {"updated_at", Time(r.updated_at)}, {"created_by", r.created_by}};
}

json MemberJson(const services::MemberView& m) {
  return {{"user", UserBrief(m.user)}, {"role", {{"id", m.role.id}, {"name", m.role.name}, {"builtin", m.role.builtin}}},
          {"owner", m.owner}, {"joined_at", Time(m.joined_at)}};
}

json InvitationJson(const services::InvitationView& v) {
  const auto& i = v.invitation;
  json out = {{"id", i.id}, {"email", i.email}, {"role", {{"id", v.role.id}, {"name", v.role.name}}},
              {"status", domain::InvitationStatusName(i.status)}, {"expires_at", Time(i.expires_at)},
              {"email_status", i.email_status}, {"created_at", Time(i.created_at)},
              {"updated_at", Time(i.updated_at)}, {"created_by", i.created_by}};
  if (!i.email_error.empty()) out["email_error"] = i.email_error;
  if (!v.link.empty()) out["link"] = v.link;
  return out;
}

json SshKeyJson(const domain::SshKey& k) {
  return {{"id", k.id}, {"name", k.name}, {"type", k.type}, {"public_key", k.public_key},
          {"fingerprint", k.fingerprint}, {"private_key", {{"set", k.private_key_set}}},
          {"created_at", Time(k.created_at)}, {"updated_at", Time(k.updated_at)}, {"created_by", k.created_by}};
}

json RuleJson(const domain::SecurityRule& r) {
  json j = {{"type", r.type}, {"protocol", r.protocol}, {"source", r.source}, {"description", r.description}};
  if (r.protocol == "tcp" || r.protocol == "udp") {
    j["from_port"] = r.from_port;
    j["to_port"] = r.to_port;
  }
  return j;
}

json SecurityGroupJson(const services::SecurityGroupView& v) {
  const auto& g = v.group;
  json in = json::array(), out = json::array();
  for (auto& r : g.inbound) in.push_back(RuleJson(r));
  for (auto& r : g.outbound) out.push_back(RuleJson(r));
  json j = {{"id", g.id}, {"name", g.name}, {"description", g.description}, {"inbound", in}, {"outbound", out},
            {"server_ids", v.server_ids}, {"created_at", Time(g.created_at)}, {"updated_at", Time(g.updated_at)},
            {"created_by", g.created_by}};
  if (!v.warnings.empty()) j["warnings"] = v.warnings;
  return j;
}

// A live log stream's reader, re-checked while it streams (docs/security.md, "Long streams"):
// every Config::stream_recheck_ms, and at once when a credential was forgotten (sign-out) or the
// org's roles or memberships changed (the access generation moved).
class StreamAccess {
 public:
  StreamAccess(services::Services& s, std::shared_ptr<const services::Authenticated> who, std::string org_slug,
               authz::Principal p)
      : s_(s), who_(std::move(who)), org_slug_(std::move(org_slug)), p_(std::move(p)),
        generation_(s_.auth().AccessGeneration(p_.org_id)), last_(std::chrono::steady_clock::now()) {}

  const authz::Principal& principal() const { return p_; }

  // nullopt while the reader may still read; else the closing SSE event that says why not.
  std::optional<std::string> Recheck(const RequestContext& ctx) {
    const auto now = std::chrono::steady_clock::now();
    const uint64_t generation = s_.auth().AccessGeneration(p_.org_id);
    if (generation == generation_ &&
        now - last_ < std::chrono::milliseconds(s_.config().stream_recheck_ms))
      return std::nullopt;
    generation_ = generation;
    last_ = now;
    auto p = s_.auth().RecheckPrincipal(*who_, org_slug_, ctx);
    if (!p) return Revoked(p.error());
    p_ = std::move(*p);
    return std::nullopt;
  }

  // The closing event for an error the re-checked reader got (see Reason), or nullopt when
  // `e` is not about access.
  static std::optional<std::string> Revoked(const Error& e) {
    std::string reason;
    switch (e.code) {
      case ErrorCode::kUnauthenticated: reason = "signed_out"; break;
      case ErrorCode::kNotFound: reason = "access_removed"; break;
      case ErrorCode::kForbidden: reason = "permission_removed"; break;
      default: return std::nullopt;
    }
    json data = {{"reason", reason}, {"message", e.message}};
    if (e.details.is_object() && e.details.contains("permission")) data["permission"] = e.details["permission"];
    return "event: revoked\ndata: " + data.dump() + "\n\n";
  }

 private:
  services::Services& s_;
  std::shared_ptr<const services::Authenticated> who_;
  std::string org_slug_;
  authz::Principal p_;
  uint64_t generation_;
  std::chrono::steady_clock::time_point last_;
};

json JobJson(const domain::Job& j, bool with_log) {
  json out = {{"id", j.id}, {"kind", j.kind}, {"target_id", j.target_id}, {"status", j.status},
              {"error", j.error.empty() ? json() : json(j.error)}, {"created_at", Time(j.created_at)},
              {"started_at", j.started_at ? json(Time(j.started_at)) : json()},
              {"finished_at", j.finished_at ? json(Time(j.finished_at)) : json()}, {"created_by", j.created_by},
              {"attempts", j.attempts}, {"claimed_by", j.claimed_by.empty() ? json() : json(j.claimed_by)},
              {"lease_until", j.status == "running" && j.lease_until ? json(Time(j.lease_until)) : json()},
              {"cancel_requested", j.cancel_requested}};
  json payload = json::parse(j.payload, nullptr, false);
  out["payload"] = payload.is_discarded() ? json::object() : payload;
  if (with_log) {
    out["log"] = j.log;
    out["log_offset"] = j.log_offset;  // characters dropped before `log` by retention
  }
  return out;
}

json ServerJson(const domain::Server& s) {
  json j = {{"id", s.id}, {"name", s.name}, {"host", s.host}, {"port", s.port}, {"username", s.username},
            {"ssh_key_id", s.ssh_key_id}, {"security_group_ids", s.security_group_ids},
            {"host_key_fingerprint", s.host_key_fingerprint.empty() ? json() : json(s.host_key_fingerprint)},
            {"status", s.status}, {"last_check_at", s.last_check_at ? json(Time(s.last_check_at)) : json()},
            {"last_error", s.last_error.empty() ? json() : json(s.last_error)},
            {"next_check_at", s.next_check_at ? json(Time(s.next_check_at)) : json()},
            {"created_at", Time(s.created_at)}, {"updated_at", Time(s.updated_at)}, {"created_by", s.created_by}};
  j["last_check"] = s.last_check.empty() ? json() : json::parse(s.last_check, nullptr, false);
  return j;
}

// Every integration's read shape: its non-secret fields, each sealed field as {set}, and the
// verify fields. Secret values never leave the services layer.
json IntegrationJson(const domain::Integration& i, std::initializer_list<const char*> fields,
                     std::initializer_list<const char*> secrets) {
  json j = {{"id", i.id}, {"name", i.name}};
  for (const char* f : fields) {
    auto it = i.fields.find(f);
    j[f] = it == i.fields.end() ? json() : json(it->second);
  }
  for (const char* f : secrets) j[f] = {{"set", i.sealed.count(f) > 0}};
  j["verified"] = i.verified;
  j["last_verified_at"] = TimeOrNull(i.last_verified_at);
  j["last_error"] = i.last_error.empty() ? json() : json::parse(i.last_error, nullptr, false);
  j["expires_at"] = TimeOrNull(i.expires_at);
  j["created_at"] = Time(i.created_at);
  j["updated_at"] = Time(i.updated_at);
  j["created_by"] = i.created_by;
  return j;
}
json RegistryJson(const domain::Integration& i) { return IntegrationJson(i, {"host", "username", "namespace"}, {"password"}); }
json BackupStorageJson(const domain::Integration& i) {
  json j = IntegrationJson(i, {"endpoint", "region", "bucket", "prefix", "access_key_id"}, {"secret_access_key"});
  if (j["endpoint"].is_null()) j["endpoint"] = "";
  if (j["prefix"].is_null()) j["prefix"] = "";
  j["endpoint_url"] = i.Field("endpoint").empty() ? "https://s3." + i.Field("region") + ".amazonaws.com" : i.Field("endpoint");
  j["path_style"] = i.Field("path_style") == "true";
  j["note"] = "Backup storage keys are used only for backups; they are separate from the AWS compute keys of cloud "
              "accounts (cloud-accounts), and neither is ever used for the other.";
  return j;
}

// A git provider: the fields of its type, the secrets as {set}, and its webhook: the URL to
// configure on the git host and what the last deliveries were.
json GitProviderJson(const domain::Integration& i, const std::string& public_url) {
  const bool app = i.Field("type") == "github_app";
  json j = app ? IntegrationJson(i, {"type", "app_id", "installation_id", "api_url"}, {"private_key", "webhook_secret"})
               : IntegrationJson(i, {"type", "base_url", "username", "token_scope", "repository"}, {"token", "webhook_secret"});
  auto ms = [&](const char* k) -> json {
    std::string v = i.Field(k);
    return v.empty() ? json() : json(Time(std::atoll(v.c_str())));
  };
  auto str = [&](const char* k) -> json {
    std::string v = i.Field(k);
    return v.empty() ? json() : json(v);
  };
  json last_push = json::parse(i.Field("last_push").empty() ? "null" : i.Field("last_push"), nullptr, false);
  if (last_push.is_object() && last_push.contains("at")) last_push["at"] = Time(last_push["at"].get<int64_t>());
  j["webhook"] = {{"url", public_url + "/api/v1/webhooks/git/" + i.id},
                  {"last_delivery_at", ms("webhook_last_at")},
                  {"last_accepted_at", ms("webhook_last_accepted_at")},
                  {"last_event", str("webhook_last_event")},
                  {"last_outcome", str("webhook_last_outcome")},
                  {"last_message", str("webhook_last_message")},
                  {"last_delivery_id", str("webhook_last_delivery_id")},
                  {"deliveries", std::atoll(i.Field("webhook_deliveries").c_str())},
                  {"rejected", std::atoll(i.Field("webhook_rejected").c_str())},
                  {"replays", std::atoll(i.Field("webhook_replays").c_str())},
                  {"last_push", last_push.is_discarded() ? json() : last_push}};
  return j;
}

json CloudAccountJson(const domain::Integration& i) {
  json j = IntegrationJson(i, {"provider", "access_key_id", "region", "account_id", "arn"},
                           {"secret_access_key", "session_token"});
  j["credential_use"] = "compute";  // EC2 provisioning; backup storage has its own S3 keys
  return j;
}
json Ec2LinkJson(const domain::Integration& l) {
  return {{"security_group_id", l.Field("security_group_id")}, {"cloud_account_id", l.Field("cloud_account_id")},
          {"region", l.Field("region")}, {"vpc_id", l.Field("vpc_id")}, {"ec2_group_id", l.Field("ec2_group_id")},
          {"last_synced_at", l.Field("last_synced_at").empty() ? json() : json(l.Field("last_synced_at"))},
          {"created_at", Time(l.created_at)}};
}

void WriteSshKey(JsonWriter& w, const domain::SshKeyView& k) {
  w.BeginObject();
  w.Key("id"); w.String(k.id);
  w.Key("name"); w.String(k.name);
  w.Key("type"); w.String(k.type);
  w.Key("public_key"); w.String(k.public_key);
  w.Key("fingerprint"); w.String(k.fingerprint);
  w.Key("private_key"); w.BeginObject(); w.Key("set"); w.Bool(k.private_key_set); w.EndObject();
  w.Key("created_at"); w.Time(k.created_at);
  w.Key("updated_at"); w.Time(k.updated_at);
  w.Key("created_by"); w.String(k.created_by);
  w.EndObject();
}

json AuditJson(const domain::AuditEvent& e) {
  return {{"id", std::to_string(e.id)}, {"at", Time(e.at)}, {"actor", {{"id", e.actor_id}, {"email", e.actor_email}}},
          {"action", e.action}, {"collection", e.collection}, {"resource_id", e.resource_id},
          {"outcome", e.outcome}, {"request_id", e.request_id}, {"ip", e.ip}, {"detail", e.detail}};
}

json TokenJson(const domain::ApiToken& t, const std::string& org_slug) {
  return {{"id", t.id}, {"name", t.name}, {"org", org_slug},
          {"permissions", t.permissions ? domain::PermissionsToJson(*t.permissions) : json(nullptr)},
          {"expires_at", TimeOrNull(t.expires_at)}, {"created_at", Time(t.created_at)},
          {"last_used_at", TimeOrNull(t.last_used_at)}};
}

// Text from nodes and git hosts may be invalid UTF-8: replaced, never thrown over.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}
HttpResponse NoContent() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

template <typename T, typename F>
json ListJson(const services::Page<T>& page, F&& f) {
  json items = json::array();
  for (auto& x : page.items) items.push_back(f(x));
  return {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}};
}

// A backup row (integrations table, kind "backups") as the API shows it. No secret is in it.
json BackupJson(const domain::Integration& b) {
  auto num = [&](const char* k) -> json {
    std::string v = b.Field(k);
    if (v.empty()) return nullptr;
    try {
      return std::stoll(v);
    } catch (...) {
      return nullptr;
    }
  };
  auto str = [&](const char* k) -> json {
    std::string v = b.Field(k);
    return v.empty() ? json(nullptr) : json(v);
  };
  auto err = [&](const char* k) -> json {
    std::string v = b.Field(k);
    if (v.empty()) return nullptr;
    json e = json::parse(v, nullptr, false);
    return e.is_discarded() ? json(nullptr) : e;
  };
  json j{{"id", b.id},
         {"application_id", b.Field("application_id")},
         {"service_id", b.Field("service_id")},
         {"service_name", b.Field("service_name")},
         {"engine", b.Field("engine")},
         {"storage", b.Field("storage")},
         {"backup_storage_id", str("backup_storage_id")},
         {"object_key", str("object_key")},
         {"path", str("path")},
         {"status", b.Field("status")},
         {"size", num("size")},
         {"sha256", str("sha256")},
         {"trigger", b.Field("trigger")},
         {"schedule_id", str("schedule_id")},
         {"job_id", str("job_id")},
         {"error", err("error")},
         {"started_at", num("started_at")},
         {"finished_at", num("finished_at")},
         {"created_at", b.created_at},
         {"created_by", b.created_by.empty() ? json(nullptr) : json(b.created_by)}};
  if (!b.Field("restore_job_id").empty())
    j["restore"] = {{"status", b.Field("restore_status")}, {"job_id", b.Field("restore_job_id")},
                    {"error", err("restore_error")},        {"started_at", num("restore_started_at")},
                    {"finished_at", num("restore_finished_at")}};
  else
    j["restore"] = nullptr;
  return j;
}

json BackupScheduleJson(const domain::Integration& s) {
  auto num = [&](const char* k) -> json {
    std::string v = s.Field(k);
    if (v.empty()) return nullptr;
    try {
      return std::stoll(v);
    } catch (...) {
      return nullptr;
    }
  };
  json last = nullptr;
  if (!s.Field("last_error").empty()) {
    last = json::parse(s.Field("last_error"), nullptr, false);
    if (last.is_discarded()) last = nullptr;
  }
  return json{{"id", s.id},
              {"application_id", s.Field("application_id")},
              {"service_id", s.Field("service_id")},
              {"frequency", s.Field("frequency")},
              {"retention", num("retention")},
              {"storage", s.Field("storage")},
              {"backup_storage_id", s.Field("backup_storage_id").empty() ? json(nullptr) : json(s.Field("backup_storage_id"))},
              {"next_run_at", num("next_run_at")},
              {"last_run_at", num("last_run_at")},
              {"last_backup_id", s.Field("last_backup_id").empty() ? json(nullptr) : json(s.Field("last_backup_id"))},
              {"last_pruned", num("last_pruned")},
              {"last_error", last},
              {"created_at", s.created_at},
              {"updated_at", s.updated_at}};
}

json BackupStartedJson(const services::BackupStarted& b) {
  json j = BackupJson(b.backup);
  j["job"] = JobJson(b.job, false);
  return j;
}

Result<int> LimitParam(const HttpRequest& req) {
  bool present = false;
  std::string s = req.Query("limit", &present);
  if (!present) return 50;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 200)
    return FieldError("limit", "must be an integer from 1 to 200");
  return v;
}

}  // namespace

// ------------------------------------------------------------------------------------------------

enum class AuthMode { kNone, kUser, kOrg };

struct Call {
  const HttpRequest& req;
  std::vector<std::string> params;
  RequestContext ctx;
  std::shared_ptr<const services::Authenticated> who;
  std::optional<authz::Principal> principal;
  const authz::Principal& p() const { return *principal; }
};

using Handler = std::function<Result<HttpResponse>(Call&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segs;
  AuthMode auth;
  Handler fn;
  std::string summary;
  std::vector<int> statuses;
  std::string tag;
  int metrics_index = -1;
};

struct Api::Impl {
  services::Services& svc;
  Metrics& metrics;
  ApiOptions options;
  std::vector<Route> routes;
  std::string openapi;

  Impl(services::Services& s, Metrics& m, ApiOptions o) : svc(s), metrics(m), options(std::move(o)) {
    AddRoutes();
    openapi = BuildOpenApi();
  }

  void Add(std::string method, std::string pattern, AuthMode auth, std::string tag, std::string summary,
           std::vector<int> statuses, Handler fn) {
    Route r{std::move(method), pattern, {}, auth, std::move(fn), std::move(summary), std::move(statuses), std::move(tag)};
    for (auto s : Split(std::string_view(pattern).substr(1), '/')) r.segs.emplace_back(s);
    r.metrics_index = metrics.RegisterRoute(r.pattern);
    routes.push_back(std::move(r));
  }

  std::string SessionCookie(const SecretBytes& token) const {
    std::string c = std::string(kCookieName) + "=" + std::string(token.view()) +
                    "; HttpOnly; SameSite=Lax; Path=/; Max-Age=" +
                    std::to_string(svc.config().session_ttl_ms / 1000);
    if (options.secure_cookies) c += "; Secure";
    return c;
  }

  // ---- dispatch ----

  HttpResponse Handle(const HttpRequest& req) {
    log::ThreadOrgScope org_scope;  // the lines of an org-scoped request carry its org_id
    auto start = std::chrono::steady_clock::now();
    HttpResponse res = Dispatch(req);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.ObserveRequest(res.metrics_index, res.status, secs);
    if (res.route.empty()) res.route = "unmatched";
    res.headers.emplace_back("X-Request-Id", req.request_id);
    if (res.status >= 500)
      log::Error("request", {{"request_id", req.request_id}, {"method", req.method}, {"route", res.route},
                             {"status", res.status}, {"ms", secs * 1000}});
    else if (req.method != "GET" || res.status >= 400)  // every change and every refusal
      log::Info("request", {{"request_id", req.request_id}, {"method", req.method}, {"route", res.route},
                            {"status", res.status}, {"ms", secs * 1000}, {"ip", req.remote_ip}});
    else if (log::Enabled(log::Level::kDebug))
      log::Debug("request", {{"request_id", req.request_id}, {"method", req.method}, {"route", res.route},
                             {"status", res.status}, {"ms", secs * 1000}});
    return res;
  }

  HttpResponse ErrorResponse(const Error& e, const HttpRequest& req) {
    if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kUnavailable)
      log::Error("error", {{"request_id", req.request_id}, {"code", ErrorCodeName(e.code)}, {"detail", e.detail},
                           {"message", e.message}});
    HttpResponse r;
    r.status = HttpStatus(e.code);
    r.body = ErrorBody(e, req.request_id);
    if (e.code == ErrorCode::kRateLimited && e.details.contains("retry_after"))
      r.headers.emplace_back("Retry-After", std::to_string(e.details["retry_after"].get<int64_t>()));
    return r;
  }

  HttpResponse Dispatch(const HttpRequest& req) {
    std::vector<std::string_view> segs;
    if (req.path.size() > 1) {
      for (auto s : Split(std::string_view(req.path).substr(1), '/')) segs.push_back(s);
      if (!segs.empty() && segs.back().empty() && segs.size() > 1) segs.pop_back();
    } else {
      segs.push_back("");
    }
    const Route* match = nullptr;
    std::string allow;
    std::vector<std::string> params;
    for (const Route& r : routes) {
      if (r.segs.size() != segs.size()) continue;
      // Literal segments first: most routes fail there, before any parameter is decoded or copied.
      bool ok = true;
      for (size_t i = 0; i < segs.size() && ok; ++i) {
        const bool param = !r.segs[i].empty() && r.segs[i].front() == '{';
        ok = param ? !segs[i].empty() : r.segs[i] == segs[i];
      }
      if (!ok) continue;
      std::vector<std::string> ps;
      for (size_t i = 0; i < segs.size() && ok; ++i) {
        if (r.segs[i].empty() || r.segs[i].front() != '{') continue;
        std::string decoded;
        ok = PercentDecode(segs[i], &decoded);
        ps.push_back(std::move(decoded));
      }
      if (!ok) continue;
      if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
        match = &r;
        params = std::move(ps);
        break;
      }
      allow += (allow.empty() ? "" : ", ") + r.method;
    }
    if (!match) {
      if (allow.empty()) {
        if (auto ui = WebAppResponse(req)) return std::move(*ui);  // web UI: client-side routes and assets
      }
      HttpResponse res;
      if (!allow.empty()) {
        res = ErrorResponse(Error{ErrorCode::kMethodNotAllowed, "This path does not accept " + req.method +
                                  ". Allowed: " + allow + ".", {}, Layer::kNone, json::object()}, req);
        res.headers.emplace_back("Allow", allow);
      } else {
        res = ErrorResponse(Error{ErrorCode::kNotFound, "No such endpoint. See /api/v1/openapi.json.", {},
                                  Layer::kNone, json::object()}, req);
      }
      return res;
    }
    Call call{req, std::move(params), {req.request_id, req.remote_ip, std::string(req.Header("user-agent").substr(0, 200))},
              nullptr, std::nullopt};
    auto result = Run(*match, call);
    HttpResponse res = result ? std::move(*result) : ErrorResponse(result.error(), req);
    res.route = match->pattern;
    res.metrics_index = match->metrics_index;
    return res;
  }

  Result<HttpResponse> Run(const Route& r, Call& call) {
    if (r.auth != AuthMode::kNone) {
      const HttpRequest& req = call.req;
      std::string token;
      bool via_cookie = false;
      std::string_view authz_header = req.Header("authorization");
      if (!authz_header.empty()) {
        if (authz_header.size() < 7 || ToLower(authz_header.substr(0, 7)) != "bearer ")
          return Err(ErrorCode::kUnauthenticated, "Use 'Authorization: Bearer <token>'.");
        token = std::string(Trim(authz_header.substr(7)));
      } else {
        token = CookieValue(req.Header("cookie"), kCookieName);
        via_cookie = !token.empty();
      }
      if (token.empty()) return Err(ErrorCode::kUnauthenticated, "Sign in first: send a Bearer token or the session cookie.");
      WHARF_ASSIGN_OR_RETURN(call.who, svc.auth().Authenticate(token, call.ctx));
      if (via_cookie && req.method != "GET" && req.method != "HEAD") {
        std::string_view csrf = req.Header("x-csrf-token");
        if (!svc.auth().CsrfMatches(*call.who, csrf)) {
          auto e = Forbidden("csrf", "This request is authenticated by cookie and needs the X-CSRF-Token header "
                                     "returned at sign-in.");
          e.value().details["reason"] = "csrf";
          e.value().layer = Layer::kNone;
          return e;
        }
      }
      if (r.auth == AuthMode::kOrg) {
        WHARF_ASSIGN_OR_RETURN(call.principal, svc.auth().ResolvePrincipal(*call.who, call.params[0], call.ctx));
        log::SetThreadOrg(call.principal->org_id);  // only once the caller is a member of it
      }
    }
    return r.fn(call);
  }

  // ---- routes ----

  void AddRoutes();
  void AddAppRoutes();  // applications, services, variables, domains, templates
  void AddDeploymentRoutes();  // deployments of services
  std::string BuildOpenApi() const;
};

void Api::Impl::AddRoutes() {
  using A = AuthMode;
  auto& s = svc;
  AddAppRoutes();
  AddDeploymentRoutes();

  // The web UI (api/static_assets.cc): "/" and "/invite/{token}" are listed for the API document;
  // every other non-/api GET falls back to the UI in Dispatch().
  Add("GET", "/", A::kNone, "operations", "The web UI", {200},
      [](Call& c) -> Result<HttpResponse> { return *WebAppResponse(c.req); });
  Add("GET", "/invite/{token}", A::kNone, "invitations",
      "Invitation landing page of the web UI (never consumes the invitation)", {200},
      [](Call& c) -> Result<HttpResponse> { return *WebAppResponse(c.req); });
  Add("GET", "/healthz", A::kNone, "operations", "The process is up", {200},
      [](Call&) -> Result<HttpResponse> { return Json(200, {{"status", "ok"}}); });
  Add("GET", "/readyz", A::kNone, "operations", "The store is reachable and migrated", {200, 503},
      [&s](Call&) -> Result<HttpResponse> {
        if (!s.Ready()) return Err(ErrorCode::kUnavailable, "The store is not reachable.");
        return Json(200, {{"status", "ready"}});
      });
  Add("GET", "/metrics", A::kNone, "operations", "Prometheus metrics", {200}, [this](Call&) -> Result<HttpResponse> {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics.Render();
    return r;
  });
  Add("GET", "/api/v1/openapi.json", A::kNone, "operations", "This document", {200},
      [this](Call&) -> Result<HttpResponse> {
        HttpResponse r;
        r.body = openapi;
        return r;
      });

  // --- auth ---
  Add("GET", "/api/v1/auth/config", A::kNone, "auth",
      "The sign-up policy for the sign-up page: {signup: first-user|invite-only|open, signup_open: whether an "
      "account can be created now without an invitation}", {200},
      [&s](Call&) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(bool open, s.auth().SignupOpenWithoutInvitation());
        return Json(200, {{"signup", services::SignupPolicyName(s.config().signup_policy)}, {"signup_open", open}});
      });
  Add("POST", "/api/v1/auth/signup", A::kNone, "auth", "Create an account (and join an org with invitation_token); cookie_only: true leaves the session token out of the body. "
      "403 signup_closed when the sign-up policy wants an invitation; open sign-up with SMTP answers 202 "
      "{status: check_email} whether or not the address has an account",
      {201, 202, 400, 403, 409, 410, 413, 415, 429}, [this, &s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"email", "password", "name", "invitation_token", "cookie_only"}));
        auto cookie_only = b.Keep(b.OptBool("cookie_only"));
        services::SignupInput in;
        in.email = b.Keep(b.String("email", 254));
        std::string pw = b.Keep(b.String("password", 1024));
        in.password = SecretBytes::FromString(pw);
        std::fill(pw.begin(), pw.end(), '\0');
        in.name = b.Keep(b.String("name", 200));
        in.invitation_token = b.Keep(b.OptString("invitation_token", 200));
        // Each field's own rules too, so that one answer names every bad field.
        if (b.Has("email")) b.KeepStatus(domain::NormalizeEmail(in.email, "email").map([](auto&&) {}));
        if (b.Has("name")) b.KeepStatus(domain::ValidateName(in.name, "name").map([](auto&&) {}));
        if (b.Has("password")) b.KeepStatus(domain::ValidatePassword(in.password.view(), "password"));
        WHARF_TRY(b.Check());
        WHARF_ASSIGN_OR_RETURN(auto g, s.auth().Signup(std::move(in), c.ctx));
        if (g.check_email)  // the same answer whether or not the address had an account
          return Json(202, {{"status", "check_email"},
                            {"message", "Check your email: the next step was sent to the address you gave."}});
        services::OrgView ov{*g.org, g.org_seats_used};
        json out = {{"user", UserJson(g.user)}, {"csrf_token", g.csrf_token.view()}, {"org", OrgJson(ov)}};
        if (!cookie_only.value_or(false)) out["token"] = g.token.view();  // the web UI keeps it in the cookie only
        auto res = Json(201, out);
        res.headers.emplace_back("Set-Cookie", SessionCookie(g.token));
        return res;
      });
  Add("POST", "/api/v1/auth/login", A::kNone, "auth", "Sign in; cookie_only: true leaves the session token out of the body (web UI)", {200, 400, 401, 413, 415, 429},
      [this, &s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"email", "password", "cookie_only"}));
        WHARF_ASSIGN_OR_RETURN(auto cookie_only, b.OptBool("cookie_only"));
        WHARF_ASSIGN_OR_RETURN(std::string email, b.String("email", 254));
        WHARF_ASSIGN_OR_RETURN(std::string pw, b.String("password", 1024));
        auto password = SecretBytes::FromString(pw);
        std::fill(pw.begin(), pw.end(), '\0');
        WHARF_ASSIGN_OR_RETURN(auto g, s.auth().Login(email, password, c.ctx));
        json out = {{"user", UserJson(g.user)}, {"csrf_token", g.csrf_token.view()}};
        if (!cookie_only.value_or(false)) out["token"] = g.token.view();  // the web UI keeps it in the cookie only
        auto res = Json(200, out);
        res.headers.emplace_back("Set-Cookie", SessionCookie(g.token));
        return res;
      });
  Add("POST", "/api/v1/auth/logout", A::kUser, "auth", "Sign out (revoke this session)", {204, 400, 401, 403},
      [this, &s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.auth().Logout(*c.who, c.ctx));
        auto r = NoContent();
        r.headers.emplace_back("Set-Cookie", std::string(kCookieName) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0" +
                                                 (options.secure_cookies ? "; Secure" : ""));
        return r;
      });
  Add("POST", "/api/v1/auth/logout-all", A::kUser, "auth", "Sign out everywhere (revoke every session)", {204, 401, 403},
      [this, &s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.auth().LogoutAll(*c.who, c.ctx));
        auto r = NoContent();
        r.headers.emplace_back("Set-Cookie", std::string(kCookieName) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0" +
                                                 (options.secure_cookies ? "; Secure" : ""));
        return r;
      });

  // --- me ---
  Add("GET", "/api/v1/me", A::kUser, "me", "The signed-in user and their orgs with role and effective permissions",
      {200, 401}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto orgs, s.auth().MyOrgs(*c.who));
        json arr = json::array();
        for (auto& o : orgs)
          arr.push_back({{"slug", o.org.slug}, {"name", o.org.name}, {"owner", o.owner},
                         {"role", {{"id", o.role.id}, {"name", o.role.name}, {"builtin", o.role.builtin}}},
                         {"permissions", domain::PermissionsToJson(o.effective)}});
        return Json(200, {{"user", UserJson(c.who->user)}, {"orgs", arr}});
      });
  Add("POST", "/api/v1/me/tokens", A::kUser, "me", "Create a personal API token scoped to one org (shown once)",
      {201, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "org", "permissions", "expires_in_days"}));
        services::CreateTokenInput in;
        WHARF_ASSIGN_OR_RETURN(in.name, b.String("name", 200));
        WHARF_ASSIGN_OR_RETURN(in.org_slug, b.String("org", 64));
        if (b.Has("permissions")) {
          WHARF_ASSIGN_OR_RETURN(in.permissions, domain::ParsePermissions(b.Raw("permissions"), "permissions"));
        }
        WHARF_ASSIGN_OR_RETURN(in.expires_in_days, b.OptInt("expires_in_days"));
        WHARF_ASSIGN_OR_RETURN(auto g, s.auth().CreateApiToken(*c.who, std::move(in), c.ctx));
        json out = TokenJson(g.token, g.org_slug);
        out["token"] = g.secret.view();
        return Json(201, out);
      });
  Add("GET", "/api/v1/me/tokens", A::kUser, "me", "List my API tokens (never their values)", {200, 401},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ts, s.auth().ListApiTokens(*c.who));
        json items = json::array();
        for (auto& [t, slug] : ts) items.push_back(TokenJson(t, slug));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      });
  Add("DELETE", "/api/v1/me/tokens/{id}", A::kUser, "me", "Revoke an API token", {204, 401, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.auth().RevokeApiToken(*c.who, c.params[0], c.ctx));
        return NoContent();
      });

  // --- orgs ---
  Add("POST", "/api/v1/orgs", A::kUser, "orgs", "Create an org; the caller becomes owner and Admin",
      {201, 400, 401, 403, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "slug"}));
        WHARF_ASSIGN_OR_RETURN(std::string name, b.String("name", 200));
        WHARF_ASSIGN_OR_RETURN(auto slug, b.OptString("slug", 64));
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().CreateOrg(*c.who, name, slug, c.ctx));
        return Json(201, OrgJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}", A::kOrg, "orgs", "An org (members only)", {200, 401, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().GetOrg(c.p()));
        return Json(200, OrgJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}", A::kOrg, "orgs", "Rename an org (Admin)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name"}));
        WHARF_ASSIGN_OR_RETURN(std::string name, b.String("name", 200));
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().RenameOrg(c.p(), name, c.ctx));
        return Json(200, OrgJson(v));
      });
  Add("POST", "/api/v1/orgs/{org}/transfer-ownership", A::kOrg, "orgs", "Transfer ownership to an Admin member (owner)",
      {200, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"user_id"}));
        WHARF_ASSIGN_OR_RETURN(std::string uid, b.String("user_id", 64));
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().TransferOwnership(c.p(), uid, c.ctx));
        return Json(200, OrgJson(v));
      });
  Add("PATCH", "/api/v1/admin/orgs/{org}", A::kUser, "orgs", "Set an org's seat limit (instance administrator)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        if (!c.who->user.instance_admin || c.who->api_token)
          return Forbidden("instance_admin", "Only the instance administrator can change seat limits.");
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"seat_limit"}));
        WHARF_ASSIGN_OR_RETURN(auto limit, b.OptInt("seat_limit"));
        if (!limit) return FieldError("seat_limit", "is required (0 = unlimited)");
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().SetSeatLimit(*c.who, c.params[0], *limit, c.ctx));
        return Json(200, OrgJson(v));
      });

  // --- roles ---
  auto parse_role = [](const Body& b, bool creating) -> Result<services::RoleInput> {
    services::RoleInput in;
    in.name = b.Keep(b.OptString("name", 200));
    in.description = b.Keep(b.OptString("description", 1000));
    if (in.name) b.KeepStatus(domain::ValidateName(*in.name, "name", 64).map([](auto&&) {}));
    if (in.description && !Trim(*in.description).empty())
      b.KeepStatus(domain::ValidateName(*in.description, "description", 500).map([](auto&&) {}));
    if (creating && !in.name) b.KeepStatus(FieldError("name", "is required"));
    if (creating && !b.Has("permissions"))
      b.KeepStatus(FieldError("permissions", "is required (an object keyed by collection name)"));
    if (b.Has("permissions")) in.permissions = b.Keep(domain::ParsePermissions(b.Raw("permissions"), "permissions"));
    if (b.Has("resource_scope"))
      in.resource_scope = b.Keep(domain::ParseResourceScope(b.Raw("resource_scope"), "resource_scope"));
    WHARF_TRY(b.Check());
    return in;
  };
  Add("GET", "/api/v1/orgs/{org}/roles", A::kOrg, "roles", "List roles with members and member counts (roles.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto roles, s.roles().ListRoles(c.p(), c.ctx));
        json items = json::array();
        for (auto& r : roles) items.push_back(RoleJson(r));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      });
  Add("POST", "/api/v1/orgs/{org}/roles", A::kOrg, "roles", "Create a custom role (roles.create; no escalation)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_role](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"name", "description", "permissions", "resource_scope"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_role(b, true));
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().CreateRole(c.p(), std::move(in), c.ctx));
        return Json(201, RoleJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/roles/{id}", A::kOrg, "roles", "A role (roles.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().GetRole(c.p(), c.params[1], c.ctx));
        return Json(200, RoleJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}/roles/{id}", A::kOrg, "roles", "Change a custom role (roles.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_role](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"name", "description", "permissions", "resource_scope"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_role(b, false));
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().UpdateRole(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, RoleJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/roles/{id}", A::kOrg, "roles",
      "Delete a custom role (roles.delete); ?reassign_to=<role id> moves its members", {204, 400, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        bool present = false;
        std::string to = c.req.Query("reassign_to", &present);
        WHARF_TRY(s.roles().DeleteRole(c.p(), c.params[1], present ? std::optional<std::string>(to) : std::nullopt, c.ctx));
        return NoContent();
      });

  // --- members ---
  Add("GET", "/api/v1/orgs/{org}/members", A::kOrg, "members", "List members (team.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.team().ListMembers(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, MemberJson));
      });
  Add("PATCH", "/api/v1/orgs/{org}/members/{user_id}", A::kOrg, "members", "Change a member's role (team.update)",
      {200, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"role_id"}));
        WHARF_ASSIGN_OR_RETURN(std::string role_id, b.String("role_id", 64));
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().ChangeMemberRole(c.p(), c.params[1], role_id, c.ctx));
        return Json(200, MemberJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/members/{user_id}", A::kOrg, "members",
      "Remove a member (team.delete), or leave (your own id)", {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.team().RemoveMember(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/leave", A::kOrg, "members",
      "Leave the org (409 for its owner or its last Admin)", {204, 401, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.team().RemoveMember(c.p(), c.p().user_id, c.ctx));
        return NoContent();
      });

  // --- invitations ---
  Add("POST", "/api/v1/orgs/{org}/invitations", A::kOrg, "invitations", "Invite by email (team.update)",
      {201, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"email", "role_id", "send_email"}));
        WHARF_ASSIGN_OR_RETURN(std::string email, b.String("email", 254));
        WHARF_ASSIGN_OR_RETURN(std::string role_id, b.String("role_id", 64));
        WHARF_ASSIGN_OR_RETURN(auto send, b.OptBool("send_email"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().Invite(c.p(), email, role_id, send.value_or(true), c.ctx));
        return Json(201, InvitationJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/invitations", A::kOrg, "invitations", "Pending invitations, never a token (team.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.team().ListInvitations(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, InvitationJson));
      });
  Add("POST", "/api/v1/orgs/{org}/invitations/{id}/link", A::kOrg, "invitations",
      "Copy invitation link: mints a fresh link; earlier links stop working (team.update)",
      {200, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().CopyInvitationLink(c.p(), c.params[1], c.ctx));
        return Json(200, {{"link", v.link}, {"expires_at", Time(v.invitation.expires_at)}});
      });
  Add("POST", "/api/v1/orgs/{org}/invitations/{id}/resend", A::kOrg, "invitations",
      "Email the invitation again with a fresh link (team.update)", {200, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().ResendInvitation(c.p(), c.params[1], c.ctx));
        json out = {{"email_status", v.invitation.email_status}};
        if (!v.invitation.email_error.empty()) out["email_error"] = v.invitation.email_error;
        return Json(200, out);
      });
  Add("DELETE", "/api/v1/orgs/{org}/invitations/{id}", A::kOrg, "invitations", "Revoke an invitation (team.update)",
      {204, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.team().RevokeInvitation(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  Add("GET", "/api/v1/invitations/{token}", A::kNone, "invitations", "What an invitation is for; does not consume it",
      {200, 410}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().PeekInvitation(c.params[0]));
        return Json(200, {{"org", {{"slug", v.org.slug}, {"name", v.org.name}}}, {"role", {{"name", v.role_name}}},
                          {"email", v.email}, {"expires_at", Time(v.expires_at)}});
      });
  Add("POST", "/api/v1/invitations/{token}/accept", A::kUser, "invitations",
      "Accept, signed in as the invited email", {200, 401, 403, 409, 410}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().AcceptInvitation(*c.who, c.params[0], c.ctx));
        return Json(200, {{"org", {{"slug", v.first.slug}, {"name", v.first.name}}},
                          {"role", {{"id", v.second.id}, {"name", v.second.name}}}});
      });

  // --- ssh keys ---
  auto parse_key = [](const Body& b) -> Result<services::SshKeyInput> {
    services::SshKeyInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.public_key, b.OptString("public_key", 16384));
    WHARF_ASSIGN_OR_RETURN(in.private_key, b.OptSecret("private_key", 32768));
    return in;
  };
  Add("GET", "/api/v1/orgs/{org}/ssh-keys", A::kOrg, "sshKeys", "List SSH keys (sshKeys.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        // The hot list path writes JSON straight from the database rows (see docs/performance.md).
        JsonWriter w(512 * static_cast<size_t>(limit) + 64);
        w.BeginObject();
        w.Key("items");
        w.BeginArray();
        WHARF_ASSIGN_OR_RETURN(std::string next, s.ssh_keys().VisitSshKeys(c.p(), limit, c.req.Query("cursor"), c.ctx,
                                                                [&w](const domain::SshKeyView& k) { WriteSshKey(w, k); }));
        w.EndArray();
        w.Key("next_cursor");
        if (next.empty()) w.Null();
        else w.String(next);
        w.EndObject();
        HttpResponse r;
        r.body = w.Take();
        return r;
      });
  Add("POST", "/api/v1/orgs/{org}/ssh-keys", A::kOrg, "sshKeys",
      "Add an SSH key: import {name, public_key, private_key?} or {name, private_key}, or generate {name, generate: "
      "{type: ed25519|rsa}} (sshKeys.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_key](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "public_key", "private_key", "generate"}));
        WHARF_ASSIGN_OR_RETURN(auto k, parse_key(b));
        services::SshKeyCreate in{std::move(k.name), std::move(k.public_key), std::move(k.private_key), {}};
        if (b.Has("generate")) {
          const json& g = b.Raw("generate");
          if (!g.is_object()) return FieldError("generate", "must be an object such as {\"type\": \"ed25519\"}");
          for (auto& [key, v] : g.items())
            if (key != "type") return FieldError("generate." + key, "is not a known field; allowed: type");
          if (g.contains("type") && !g["type"].is_string()) return FieldError("generate.type", "must be a string");
          in.generate = g.value("type", "ed25519");
        }
        WHARF_ASSIGN_OR_RETURN(auto key, s.ssh_keys().AddSshKey(c.p(), std::move(in), c.ctx));
        return Json(201, SshKeyJson(key));
      });
  Add("GET", "/api/v1/orgs/{org}/ssh-keys/{id}/public-key", A::kOrg, "sshKeys",
      "Download the public key as an authorized_keys line (sshKeys.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto line, s.ssh_keys().SshPublicKey(c.p(), c.params[1], c.ctx));
        HttpResponse r;
        r.content_type = "text/plain; charset=utf-8";
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"wharf-" + std::string(c.params[1]) + ".pub\"");
        r.body = std::move(line);
        return r;
      });
  Add("GET", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "An SSH key (sshKeys.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto k, s.ssh_keys().GetSshKey(c.p(), c.params[1], c.ctx));
        return Json(200, SshKeyJson(k));
      });
  Add("PATCH", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "Rename an SSH key (sshKeys.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_key](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "public_key", "private_key"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_key(b));
        WHARF_ASSIGN_OR_RETURN(auto k, s.ssh_keys().UpdateSshKey(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, SshKeyJson(k));
      });
  Add("DELETE", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "Delete an SSH key (sshKeys.delete)",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.ssh_keys().DeleteSshKey(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

  // --- security groups ---
  auto parse_rules = [](const Body& b, const char* field) -> Result<std::optional<std::vector<domain::RuleInput>>> {
    if (!b.Has(field)) return std::optional<std::vector<domain::RuleInput>>();
    const json& a = b.Raw(field);
    if (!a.is_array()) return FieldError(field, "must be a list of rules");
    std::vector<domain::RuleInput> out;
    for (size_t i = 0; i < a.size(); ++i) {
      std::string f = std::string(field) + "[" + std::to_string(i) + "]";
      const json& r = a[i];
      if (!r.is_object()) return FieldError(f, "must be an object {type, source, ...}");
      domain::RuleInput in;
      for (auto& [k, v] : r.items()) {
        if (k == "type" || k == "source" || k == "description" || k == "protocol") {
          if (!v.is_string()) return FieldError(f + "." + k, "must be a string");
        } else if (k == "from_port" || k == "to_port") {
          if (!v.is_number_integer()) return FieldError(f + "." + k, "must be an integer port (1–65535)");
        } else {
          return FieldError(f + "." + k, "is not a known field; allowed: type, protocol, from_port, to_port, source, description");
        }
      }
      if (!r.contains("type")) return FieldError(f + ".type", "is required, e.g. \"ssh\", \"https\" or \"custom-tcp\"");
      in.type = r["type"];
      if (r.contains("protocol")) in.protocol = r["protocol"].get<std::string>();
      if (r.contains("from_port")) in.from_port = r["from_port"].get<int>();
      if (r.contains("to_port")) in.to_port = r["to_port"].get<int>();
      in.source = r.value("source", "");
      in.description = r.value("description", "");
      out.push_back(std::move(in));
    }
    return std::optional<std::vector<domain::RuleInput>>(std::move(out));
  };
  auto parse_group = [parse_rules](const Body& b) -> Result<services::SecurityGroupInput> {
    services::SecurityGroupInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.description, b.OptString("description", 1000));
    WHARF_ASSIGN_OR_RETURN(in.inbound, parse_rules(b, "inbound"));
    WHARF_ASSIGN_OR_RETURN(in.outbound, parse_rules(b, "outbound"));
    return in;
  };
  Add("GET", "/api/v1/orgs/{org}/security-groups", A::kOrg, "securityGroups", "List security groups (securityGroups.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.security_groups().ListSecurityGroups(c.p(), limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& g : page.items) items.push_back(SecurityGroupJson(g));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  Add("POST", "/api/v1/orgs/{org}/security-groups", A::kOrg, "securityGroups",
      "Create a security group (securityGroups.create)", {201, 400, 401, 403, 404, 409},
      [&s, parse_group](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "description", "inbound", "outbound"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_group(b));
        WHARF_ASSIGN_OR_RETURN(auto g, s.security_groups().CreateSecurityGroup(c.p(), std::move(in), c.ctx));
        return Json(201, SecurityGroupJson(g));
      });
  Add("GET", "/api/v1/orgs/{org}/security-groups/{id}", A::kOrg, "securityGroups",
      "A security group (securityGroups.read)", {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto g, s.security_groups().GetSecurityGroup(c.p(), c.params[1], c.ctx));
        return Json(200, SecurityGroupJson(g));
      });
  Add("PATCH", "/api/v1/orgs/{org}/security-groups/{id}", A::kOrg, "securityGroups",
      "Edit a security group; refused when it would close Wharf's SSH access (securityGroups.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_group](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "description", "inbound", "outbound"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_group(b));
        WHARF_ASSIGN_OR_RETURN(auto g, s.security_groups().UpdateSecurityGroup(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, SecurityGroupJson(g));
      });
  Add("DELETE", "/api/v1/orgs/{org}/security-groups/{id}", A::kOrg, "securityGroups",
      "Delete a security group that no server uses (securityGroups.delete)", {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.security_groups().DeleteSecurityGroup(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

  // --- docker registries (the first integration; the others reuse IntegrationJson and the service machinery) ---
  auto parse_registry = [](const Body& b) -> Result<services::RegistryInput> {
    services::RegistryInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.host, b.OptString("host", 300));
    WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username", 300));
    WHARF_ASSIGN_OR_RETURN(in.namespace_, b.OptString("namespace", 300));
    WHARF_ASSIGN_OR_RETURN(in.password, b.OptSecret("password", 8192));
    return in;
  };
  const auto& reg = services::kDockerRegistries;
  Add("GET", "/api/v1/orgs/{org}/docker-registries", A::kOrg, "dockerRegistries",
      "List Docker registries (dockerRegistries.read)", {200, 400, 401, 403, 404}, [&s, &reg](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.integrations().ListIntegrations(c.p(), reg, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(RegistryJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  Add("POST", "/api/v1/orgs/{org}/docker-registries/test", A::kOrg, "dockerRegistries",
      "Verify an unsaved registry body against {image} without saving it (dockerRegistries.create)",
      {200, 400, 401, 403, 404}, [&s, parse_registry](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "username", "password", "namespace", "image"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_registry(b));
        WHARF_ASSIGN_OR_RETURN(auto image, b.OptString("image", 4096));
        WHARF_ASSIGN_OR_RETURN(auto out, s.registries().TestDockerRegistry(c.p(), std::move(in), std::move(image), c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/orgs/{org}/docker-registries", A::kOrg, "dockerRegistries",
      "Connect a Docker registry {name, host, username, password, namespace?}; the password is write-only "
      "(dockerRegistries.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_registry](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "username", "password", "namespace"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_registry(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.registries().CreateDockerRegistry(c.p(), std::move(in), c.ctx));
        return Json(201, RegistryJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/docker-registries/{id}", A::kOrg, "dockerRegistries",
      "A Docker registry (dockerRegistries.read)", {200, 401, 403, 404}, [&s, &reg](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.integrations().GetIntegration(c.p(), reg, c.params[1], c.ctx));
        return Json(200, RegistryJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}/docker-registries/{id}", A::kOrg, "dockerRegistries",
      "Edit a Docker registry; a new host, username or password clears 'verified' (dockerRegistries.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_registry](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "username", "password", "namespace"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_registry(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.registries().UpdateDockerRegistry(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, RegistryJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/docker-registries/{id}", A::kOrg, "dockerRegistries",
      "Remove a Docker registry (dockerRegistries.delete)", {204, 401, 403, 404}, [&s, &reg](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.integrations().DeleteIntegration(c.p(), reg, c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/docker-registries/{id}/verify", A::kOrg, "dockerRegistries",
      "Verify pull access to {image} over the Registry v2 protocol and record verified/last_error "
      "(dockerRegistries.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"image"}));
        WHARF_ASSIGN_OR_RETURN(auto image, b.OptString("image", 4096));
        WHARF_ASSIGN_OR_RETURN(auto out, s.registries().VerifyDockerRegistry(c.p(), c.params[1], std::move(image), c.ctx));
        return Json(200, out.report);
      });

  // --- git providers (GitHub Apps and token hosts; services/git_providers.cc) ---
  auto parse_git = [](const Body& b) -> Result<services::GitProviderInput> {
    services::GitProviderInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.type, b.OptString("type", 40));
    WHARF_ASSIGN_OR_RETURN(in.base_url, b.OptString("base_url", 1000));
    WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username", 300));
    WHARF_ASSIGN_OR_RETURN(in.app_id, b.OptString("app_id", 40));
    WHARF_ASSIGN_OR_RETURN(in.installation_id, b.OptString("installation_id", 40));
    WHARF_ASSIGN_OR_RETURN(in.api_url, b.OptString("api_url", 1000));
    WHARF_ASSIGN_OR_RETURN(in.token_scope, b.OptString("token_scope", 40));
    WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository", 2000));
    WHARF_ASSIGN_OR_RETURN(in.token, b.OptSecret("token", 8192));
    WHARF_ASSIGN_OR_RETURN(in.private_key, b.OptSecret("private_key", 16384));
    WHARF_ASSIGN_OR_RETURN(in.webhook_secret, b.OptSecret("webhook_secret", 1024));
    return in;
  };
#define WHARF_GIT_FIELDS                                                                                          \
  {"name", "type", "base_url", "username", "token", "app_id", "installation_id", "private_key", "webhook_secret", \
   "api_url", "token_scope", "repository"}
  const auto& git = services::kGitProviders;
  Add("GET", "/api/v1/orgs/{org}/git-providers", A::kOrg, "gitProviders",
      "List git providers (gitProviders.read)", {200, 400, 401, 403, 404}, [&s, &git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.integrations().ListIntegrations(c.p(), git, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(GitProviderJson(v, s.config().public_url));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  Add("POST", "/api/v1/orgs/{org}/git-providers/test", A::kOrg, "gitProviders",
      "Run a git provider's checks on an unsaved body with {repository?, branch?}; nothing is saved (gitProviders.create)",
      {200, 400, 401, 403, 404}, [&s, parse_git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "type", "base_url", "username", "token", "app_id",
                                                          "installation_id", "private_key", "webhook_secret", "api_url",
                                                          "token_scope", "repository", "branch"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_git(b));
        std::optional<std::string> repository = in.repository;
        if (!in.token_scope || *in.token_scope != "repository") in.repository.reset();
        WHARF_ASSIGN_OR_RETURN(auto branch, b.OptString("branch", 300));
        WHARF_ASSIGN_OR_RETURN(auto out, s.git_providers().TestGitProvider(c.p(), std::move(in), std::move(repository), std::move(branch), c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/orgs/{org}/git-providers", A::kOrg, "gitProviders",
      "Connect a git provider: {name, type: github_app, app_id, installation_id, private_key, webhook_secret, api_url?} or "
      "{name, type: gitlab|bitbucket|gitea|azure_devops, base_url?, username?, token, webhook_secret?, token_scope?, "
      "repository?}; secrets are write-only (gitProviders.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, WHARF_GIT_FIELDS));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_git(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.git_providers().CreateGitProvider(c.p(), std::move(in), c.ctx));
        return Json(201, GitProviderJson(v, s.config().public_url));
      });
  Add("GET", "/api/v1/orgs/{org}/git-providers/{id}", A::kOrg, "gitProviders",
      "A git provider with its webhook's last deliveries (gitProviders.read)", {200, 401, 403, 404},
      [&s, &git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.integrations().GetIntegration(c.p(), git, c.params[1], c.ctx));
        return Json(200, GitProviderJson(v, s.config().public_url));
      });
  Add("PATCH", "/api/v1/orgs/{org}/git-providers/{id}", A::kOrg, "gitProviders",
      "Edit a git provider; a new credential clears 'verified'; the type cannot change (gitProviders.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, WHARF_GIT_FIELDS));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_git(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.git_providers().UpdateGitProvider(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, GitProviderJson(v, s.config().public_url));
      });
  Add("DELETE", "/api/v1/orgs/{org}/git-providers/{id}", A::kOrg, "gitProviders",
      "Remove a git provider (gitProviders.delete)", {204, 401, 403, 404}, [&s, &git](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.integrations().DeleteIntegration(c.p(), git, c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/git-providers/{id}/verify", A::kOrg, "gitProviders",
      "Verify the credential against {repository, branch} (git ls-remote for token hosts; JWT, installation token and "
      "allow-list for GitHub Apps) and record verified/last_error/expires_at (gitProviders.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"repository", "branch"}));
        WHARF_ASSIGN_OR_RETURN(auto repository, b.OptString("repository", 2000));
        WHARF_ASSIGN_OR_RETURN(auto branch, b.OptString("branch", 300));
        WHARF_ASSIGN_OR_RETURN(auto out, s.git_providers().VerifyGitProvider(c.p(), c.params[1], std::move(repository), std::move(branch), c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/webhooks/git/{provider_id}", A::kNone, "gitProviders",
      "A git host's webhook delivery (no session: the signature over the raw body is the credential — "
      "X-Hub-Signature-256, X-Gitlab-Token, X-Gitea-Signature, Bitbucket X-Hub-Signature, Azure DevOps Basic auth)",
      {202, 400, 401, 404}, [&s](Call& c) -> Result<HttpResponse> {
        services::WebhookRequest wr{[&c](std::string_view name) { return std::string(c.req.Header(name)); }, c.req.body};
        WHARF_ASSIGN_OR_RETURN(auto out, s.git_providers().ReceiveGitWebhook(c.params[0], wr, c.ctx));
        if (!out.accepted) {
          Error e{out.outcome == "bad_payload" ? ErrorCode::kValidationFailed : ErrorCode::kUnauthenticated, out.message, {},
                  Layer::kWebhook, json{{"outcome", out.outcome}}};
          return tl::unexpected(e);
        }
        return Json(202, {{"ok", true}, {"event", out.event}, {"outcome", out.outcome}});
      });
  Add("GET", "/api/v1/orgs/{org}/integrations/expiring", A::kOrg, "integrations",
      "Credentials of every integration kind that expire within ?within_days=N (default 30), or have expired, soonest "
      "first; kinds the caller may not read are left out", {200, 400, 401, 404}, [&s](Call& c) -> Result<HttpResponse> {
        bool present = false;
        std::string v = c.req.Query("within_days", &present);
        int days = 30;
        if (present) {
          auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), days);
          if (ec != std::errc() || p != v.data() + v.size()) return FieldError("within_days", "must be an integer from 0 to 3650");
        }
        WHARF_ASSIGN_OR_RETURN(auto rows, s.integrations().ListExpiringIntegrations(c.p(), days, c.ctx));
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
        json items = json::array();
        for (auto& r : rows)
          items.push_back({{"id", r.id}, {"kind", r.kind}, {"name", r.name}, {"expires_at", Time(r.expires_at)},
                           {"expired", r.expires_at <= now}, {"days_left", (r.expires_at - now) / 86400000}});
        return Json(200, {{"within_days", days}, {"items", items}});
      });
  // --- backup storage (S3-compatible; separate from the AWS compute keys of cloud-accounts) ---
  auto parse_storage = [](const Body& b) -> Result<services::BackupStorageInput> {
    services::BackupStorageInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.endpoint, b.OptString("endpoint", 1000));
    WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region", 100));
    WHARF_ASSIGN_OR_RETURN(in.bucket, b.OptString("bucket", 200));
    WHARF_ASSIGN_OR_RETURN(in.prefix, b.OptString("prefix", 1024));
    WHARF_ASSIGN_OR_RETURN(in.access_key_id, b.OptString("access_key_id", 300));
    WHARF_ASSIGN_OR_RETURN(in.path_style, b.OptBool("path_style"));
    WHARF_ASSIGN_OR_RETURN(in.secret_access_key, b.OptSecret("secret_access_key", 1024));
    return in;
  };
  const auto& bst = services::kBackupStorage;
  Add("GET", "/api/v1/orgs/{org}/backup-storage", A::kOrg, "backupStorage",
      "List backup storage (backupStorage.read)", {200, 400, 401, 403, 404}, [&s, &bst](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.integrations().ListIntegrations(c.p(), bst, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(BackupStorageJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  Add("POST", "/api/v1/orgs/{org}/backup-storage/test", A::kOrg, "backupStorage",
      "Run the write/read/list/delete probe on an unsaved backup storage body without saving it (backupStorage.create)",
      {200, 400, 401, 403, 404}, [&s, parse_storage](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "endpoint", "region", "bucket", "prefix", "access_key_id", "secret_access_key", "path_style"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_storage(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.backup_storage().TestBackupStorage(c.p(), std::move(in), c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/orgs/{org}/backup-storage", A::kOrg, "backupStorage",
      "Connect S3-compatible backup storage {name, endpoint (\"\" = AWS S3), region, bucket, prefix?, path_style?, "
      "access_key_id, secret_access_key}; the secret is write-only. These keys are separate from cloud-accounts' AWS "
      "compute keys (backupStorage.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_storage](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "endpoint", "region", "bucket", "prefix", "access_key_id", "secret_access_key", "path_style"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_storage(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.backup_storage().CreateBackupStorage(c.p(), std::move(in), c.ctx));
        return Json(201, BackupStorageJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/backup-storage/{id}", A::kOrg, "backupStorage",
      "A backup storage (backupStorage.read)", {200, 401, 403, 404}, [&s, &bst](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.integrations().GetIntegration(c.p(), bst, c.params[1], c.ctx));
        return Json(200, BackupStorageJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}/backup-storage/{id}", A::kOrg, "backupStorage",
      "Edit a backup storage; a new endpoint, region, bucket, prefix, addressing, key or secret clears 'verified' "
      "(backupStorage.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_storage](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "endpoint", "region", "bucket", "prefix", "access_key_id", "secret_access_key", "path_style"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_storage(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.backup_storage().UpdateBackupStorage(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, BackupStorageJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/backup-storage/{id}", A::kOrg, "backupStorage",
      "Remove a backup storage (backupStorage.delete)", {204, 401, 403, 404}, [&s, &bst](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.integrations().DeleteIntegration(c.p(), bst, c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/backup-storage/{id}/verify", A::kOrg, "backupStorage",
      "Write, read, list and delete a probe object under the prefix; record verified/last_error "
      "(backupStorage.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {}));
        (void)b;
        WHARF_ASSIGN_OR_RETURN(auto out, s.backup_storage().VerifyBackupStorage(c.p(), c.params[1], c.ctx));
        return Json(200, out.report);
      });

  // --- cloud accounts (AWS compute credentials; backup storage has its own keys) ---
  auto parse_cloud = [](const Body& b) -> Result<services::CloudAccountInput> {
    services::CloudAccountInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.provider, b.OptString("provider", 20));
    WHARF_ASSIGN_OR_RETURN(in.access_key_id, b.OptString("access_key_id", 128));
    WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region", 40));
    WHARF_ASSIGN_OR_RETURN(in.session_expires_at, b.OptString("session_expires_at", 40));
    WHARF_ASSIGN_OR_RETURN(in.secret_access_key, b.OptSecret("secret_access_key", 1024));
    WHARF_ASSIGN_OR_RETURN(in.session_token, b.OptSecret("session_token", 8192));
    return in;
  };
  const auto& cloud = services::kCloudAccounts;
  Add("GET", "/api/v1/orgs/{org}/cloud-accounts", A::kOrg, "cloudProviderAccounts",
      "List cloud accounts: AWS compute credentials, separate from backup storage keys; ?expiring_within_days=N lists "
      "only those whose session expires (or expired) within N days, soonest first (cloudProviderAccounts.read)",
      {200, 400, 401, 403, 404}, [&s, &cloud](Call& c) -> Result<HttpResponse> {
        bool expiring = false;
        std::string days = c.req.Query("expiring_within_days", &expiring);
        if (expiring) {
          int n = -1;
          auto [ptr, ec] = std::from_chars(days.data(), days.data() + days.size(), n);
          if (ec != std::errc() || ptr != days.data() + days.size() || n < 0 || n > 3650)
            return FieldError("expiring_within_days", "must be a whole number of days, 0–3650");
          WHARF_ASSIGN_OR_RETURN(auto rows, s.integrations().ListExpiringIntegrations(c.p(), cloud, int64_t{n} * 86'400'000, c.ctx));
          json items = json::array();
          for (auto& v : rows) items.push_back(CloudAccountJson(v));
          return Json(200, {{"items", items}, {"next_cursor", nullptr}});
        }
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.integrations().ListIntegrations(c.p(), cloud, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(CloudAccountJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  Add("POST", "/api/v1/orgs/{org}/cloud-accounts/test", A::kOrg, "cloudProviderAccounts",
      "Verify an unsaved cloud account body (STS GetCallerIdentity + EC2 DryRuns) without saving it "
      "(cloudProviderAccounts.create)",
      {200, 400, 401, 403, 404}, [&s, parse_cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "provider", "access_key_id", "secret_access_key", "session_token", "region", "session_expires_at"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_cloud(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.cloud_accounts().TestCloudAccount(c.p(), std::move(in), c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/orgs/{org}/cloud-accounts", A::kOrg, "cloudProviderAccounts",
      "Connect an AWS account for compute {name, provider: aws, access_key_id, secret_access_key, session_token?, "
      "region, session_expires_at?}; secrets are write-only. Not for backups: backup storage has its own keys "
      "(cloudProviderAccounts.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "provider", "access_key_id", "secret_access_key", "session_token", "region", "session_expires_at"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_cloud(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.cloud_accounts().CreateCloudAccount(c.p(), std::move(in), c.ctx));
        return Json(201, CloudAccountJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/cloud-accounts/{id}", A::kOrg, "cloudProviderAccounts",
      "A cloud account (cloudProviderAccounts.read)", {200, 401, 403, 404}, [&s, &cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.integrations().GetIntegration(c.p(), cloud, c.params[1], c.ctx));
        return Json(200, CloudAccountJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}/cloud-accounts/{id}", A::kOrg, "cloudProviderAccounts",
      "Edit a cloud account; new keys clear 'verified'; session_token \"\" clears it (cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "provider", "access_key_id", "secret_access_key", "session_token", "region", "session_expires_at"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_cloud(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.cloud_accounts().UpdateCloudAccount(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, CloudAccountJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/cloud-accounts/{id}", A::kOrg, "cloudProviderAccounts",
      "Remove a cloud account; refused while EC2 security groups made with it are recorded (cloudProviderAccounts.delete)",
      {204, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.cloud_accounts().DeleteCloudAccount(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/cloud-accounts/{id}/verify", A::kOrg, "cloudProviderAccounts",
      "STS GetCallerIdentity, then an EC2 DryRun of every action Wharf needs, in {region?} (default: the account's); "
      "records verified/last_error and the account id and ARN (cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"region"}));
        WHARF_ASSIGN_OR_RETURN(auto region, b.OptString("region", 40));
        WHARF_ASSIGN_OR_RETURN(auto out, s.cloud_accounts().VerifyCloudAccount(c.p(), c.params[1], std::move(region), c.ctx));
        return Json(200, out.report);
      });

  // --- security groups on EC2 ---
  auto parse_sync = [](const Body& b) -> Result<services::Ec2SyncInput> {
    services::Ec2SyncInput in;
    WHARF_ASSIGN_OR_RETURN(in.cloud_account_id, b.OptString("cloud_account_id", 100));
    WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region", 40));
    WHARF_ASSIGN_OR_RETURN(in.vpc_id, b.OptString("vpc_id", 40));
    return in;
  };
  auto query_sync = [](const HttpRequest& req) {
    services::Ec2SyncInput in;
    bool present = false;
    std::string v = req.Query("cloud_account_id", &present);
    if (present) in.cloud_account_id = v;
    v = req.Query("region", &present);
    if (present) in.region = v;
    return in;
  };
  Add("POST", "/api/v1/orgs/{org}/security-groups/{id}/sync", A::kOrg, "securityGroups",
      "Sync the group to EC2 {cloud_account_id, region?, vpc_id (first sync)}: create, tag, authorize what is missing, "
      "revoke what is extra, inbound and outbound (securityGroups.update + cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404}, [&s, parse_sync](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"cloud_account_id", "region", "vpc_id"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_sync(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.security_groups().SyncSecurityGroupToEc2(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, out.report);
      });
  Add("GET", "/api/v1/orgs/{org}/security-groups/{id}/drift", A::kOrg, "securityGroups",
      "Compare the EC2 group (DescribeSecurityGroups) with Wharf's rules: ?cloud_account_id=&region= "
      "(securityGroups.read + cloudProviderAccounts.read)",
      {200, 400, 401, 403, 404}, [&s, query_sync](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.security_groups().SecurityGroupDrift(c.p(), c.params[1], query_sync(c.req), c.ctx));
        return Json(200, out.report);
      });
  Add("GET", "/api/v1/orgs/{org}/security-groups/{id}/ec2", A::kOrg, "securityGroups",
      "The EC2 groups this group was synced to, per cloud account and region (securityGroups.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto links, s.security_groups().ListEc2Groups(c.p(), c.params[1], c.ctx));
        json items = json::array();
        for (auto& l : links) items.push_back(Ec2LinkJson(l));
        return Json(200, {{"items", items}});
      });
  Add("DELETE", "/api/v1/orgs/{org}/security-groups/{id}/ec2", A::kOrg, "securityGroups",
      "Delete the EC2 group on AWS (DeleteSecurityGroup) for ?cloud_account_id=&region= and forget it "
      "(securityGroups.update + cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404}, [&s, query_sync](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.security_groups().DeleteSecurityGroupOnEc2(c.p(), c.params[1], query_sync(c.req), c.ctx));
        return Json(200, out.report);
      });

  // --- servers ---
  auto parse_server = [](const Body& b) -> Result<services::ServerInput> {
    services::ServerInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.host, b.OptString("host", 300));
    WHARF_ASSIGN_OR_RETURN(auto port, b.OptInt("port"));
    if (port) {
      if (*port < 1 || *port > 65535) return FieldError("port", "must be 1–65535 (SSH is usually 22)");
      in.port = static_cast<int>(*port);
    }
    WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username", 64));
    WHARF_ASSIGN_OR_RETURN(in.ssh_key_id, b.OptString("ssh_key_id", 100));
    if (b.Has("security_group_ids")) {
      const json& a = b.Raw("security_group_ids");
      if (!a.is_array()) return FieldError("security_group_ids", "must be a list of security group ids");
      std::vector<std::string> ids;
      for (auto& v : a) {
        if (!v.is_string()) return FieldError("security_group_ids", "must be a list of strings");
        ids.push_back(v);
      }
      in.security_group_ids = std::move(ids);
    }
    return in;
  };
  Add("GET", "/api/v1/orgs/{org}/servers", A::kOrg, "servers", "List servers with their last status (servers.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.servers().ListServers(c.p(), limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(ServerJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  Add("POST", "/api/v1/orgs/{org}/servers/test-connection", A::kOrg, "servers",
      "Run every check on an unsaved server body (servers.create)", {200, 400, 401, 403, 404},
      [&s, parse_server](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "port", "username", "ssh_key_id", "security_group_ids"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_server(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.servers().TestServerConnection(c.p(), std::move(in), c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/orgs/{org}/servers", A::kOrg, "servers",
      "Add a server: tests the connection first and pins the host key (servers.create)", {201, 400, 401, 403, 404, 409},
      [&s, parse_server](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "port", "username", "ssh_key_id", "security_group_ids"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_server(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().CreateServer(c.p(), std::move(in), c.ctx));
        return Json(201, ServerJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/servers/{id}", A::kOrg, "servers", "A server (servers.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().GetServer(c.p(), c.params[1], c.ctx));
        return Json(200, ServerJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}/servers/{id}", A::kOrg, "servers", "Edit a server (servers.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_server](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "port", "username", "ssh_key_id", "security_group_ids"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_server(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().UpdateServer(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, ServerJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/servers/{id}", A::kOrg, "servers", "Remove a server from Wharf (servers.delete)",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.servers().DeleteServer(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/servers/{id}/check", A::kOrg, "servers",
      "Run every check now and record it (servers.update)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.servers().CheckServer(c.p(), c.params[1], c.ctx));
        return Json(200, out.report);
      });
  Add("POST", "/api/v1/orgs/{org}/servers/{id}/repin-host-key", A::kOrg, "servers",
      "Trust the host key the server presents now (servers.update)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().RepinHostKey(c.p(), c.params[1], c.ctx));
        return Json(200, ServerJson(v));
      });
  Add("GET", "/api/v1/orgs/{org}/servers/{id}/checks", A::kOrg, "servers", "Check history, newest first (servers.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto rows, s.servers().ServerCheckHistory(c.p(), c.params[1], limit, c.ctx));
        json items = json::array();
        for (auto& r : rows)
          items.push_back({{"at", Time(r.at)}, {"ok", r.ok}, {"report", json::parse(r.report, nullptr, false)}});
        return Json(200, {{"items", items}});
      });

  Add("POST", "/api/v1/orgs/{org}/servers/{id}/apply-firewall", A::kOrg, "servers",
      "Apply the server's security groups to its host firewall (nftables) and return the rules in force (servers.update)",
      {200, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto fw, s.servers().ApplyFirewall(c.p(), c.params[1], c.ctx));
        return Json(200, {{"backend", fw.backend}, {"rules_in_force", fw.in_force}, {"skipped", fw.skipped}});
      });
  Add("GET", "/api/v1/orgs/{org}/servers/{id}/firewall", A::kOrg, "servers",
      "The host firewall rules in force on the server, read over SSH (servers.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto fw, s.servers().ReadFirewall(c.p(), c.params[1], c.ctx));
        return Json(200, {{"backend", fw.backend}, {"rules_in_force", fw.in_force}});
      });
  Add("POST", "/api/v1/orgs/{org}/servers/{id}/onboard", A::kOrg, "servers",
      "Install the pinned Dokku and plugins, doing only what is missing; answers 202 {job_id} (servers.update)",
      {202, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto job, s.servers().OnboardServer(c.p(), c.params[1], c.ctx));
        return Json(202, {{"job_id", job.id}, {"status", job.status}});
      });
  Add("GET", "/api/v1/orgs/{org}/jobs/{id}", A::kOrg, "servers",
      "A job's status and log, read through its subject: a deployment's service (services.read), "
      "a backup (backups.read), else its server (servers.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto j, s.jobs().GetJob(c.p(), c.params[1], c.ctx));
        return Json(200, JobJson(j, true));
      });
  Add("POST", "/api/v1/orgs/{org}/jobs/{id}/cancel", A::kOrg, "servers",
      "Cancel a job: queued ends cancelled at once, running stops at its next step (the update "
      "permission of its subject: services, backups or servers)",
      {200, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto j, s.jobs().CancelJob(c.p(), c.params[1], c.ctx));
        return Json(200, JobJson(j, false));
      });
  Add("POST", "/api/v1/orgs/{org}/test-jobs", A::kOrg, "servers",
      "Tests only (wharf serve --enable-test-jobs, else 404): enqueue {target_id, sleep_ms, count, log_lines} sleep jobs "
      "(servers.update)", {202, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"target_id", "sleep_ms", "count", "log_lines"}));
        WHARF_ASSIGN_OR_RETURN(auto lines, b.OptInt("log_lines"));
        WHARF_ASSIGN_OR_RETURN(std::string target, b.String("target_id", 100));
        WHARF_ASSIGN_OR_RETURN(auto ms, b.OptInt("sleep_ms"));
        WHARF_ASSIGN_OR_RETURN(auto count, b.OptInt("count"));
        if (count && (*count < 1 || *count > 1000)) return FieldError("count", "must be between 1 and 1000");
        WHARF_ASSIGN_OR_RETURN(auto jobs, s.jobs().EnqueueTestJobs(c.p(), target, ms.value_or(0), static_cast<int>(count.value_or(1)),
                                                                   lines.value_or(0), c.ctx));
        json ids = json::array();
        for (auto& j : jobs) ids.push_back(j.id);
        return Json(202, {{"job_ids", ids}});
      });
  Add("GET", "/api/v1/orgs/{org}/jobs/{id}/log", A::kOrg, "servers",
      "The job's log as Server-Sent Events: 'log' events, then one 'end' event with the status", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto first, s.jobs().GetJob(c.p(), c.params[1], c.ctx));
        HttpResponse r;
        r.content_type = "text/event-stream";
        struct State {
          size_t offset = 0;
          bool ended = false;
        };
        auto st = std::make_shared<State>();
        auto access = std::make_shared<StreamAccess>(s, c.who, c.params[0], c.p());
        auto ctx = c.ctx;
        std::string id(c.params[1]);
        r.stream = [&s, st, access, ctx, id]() -> std::optional<std::string> {
          if (st->ended) return std::nullopt;
          if (auto revoked = access->Recheck(ctx)) {
            st->ended = true;
            return *revoked;
          }
          auto j = s.jobs().GetJobTail(access->principal(), id, st->offset, ctx);
          if (!j) {
            st->ended = true;
            if (auto revoked = StreamAccess::Revoked(j.error())) return *revoked;
            return SseEvent("end", Dump({{"status", "unknown"}, {"error", j.error().message}}));
          }
          std::string out;
          if (j->log_offset > static_cast<int64_t>(st->offset))  // retention dropped output the stream had not sent
            out += SseEvent("log", "[wharf] … " + std::to_string(j->log_offset - st->offset) +
                                       " earlier characters dropped (the log keeps its newest part)");
          // Offsets count characters, as the stores' substr does.
          st->offset = static_cast<size_t>(j->log_offset);
          if (!j->log.empty()) {
            for (unsigned char ch : j->log) st->offset += (ch & 0xC0) != 0x80;
            out += SseEvent("log", j->log);  // one event per chunk, a data: line per line
          }
          if (j->status != "queued" && j->status != "running") {
            st->ended = true;
            out += SseEvent("end", Dump({{"status", j->status}, {"error", j->error}}));
          }
          return out;
        };
        (void)first;
        return r;
      });

  Add("GET", "/api/v1/orgs/{org}/access/explain", A::kOrg, "access",
      "Why a member may or may not do something: ?user_id=&collection=&action=&resource_id= (Admin, or yourself); "
      "without collection/action, the whole matrix", {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().ExplainAccess(c.p(), c.req.Query("user_id"), c.req.Query("collection"),
                                                       c.req.Query("action"), c.req.Query("resource_id"), c.ctx));
        json items = json::array();
        for (auto& e : v.items) {
          json j = {{"collection", e.collection}, {"action", e.action}, {"permission", e.permission}, {"allowed", e.allowed},
                    {"reason", e.reason}, {"message", e.message}};
          if (!e.hint.empty()) j["hint"] = e.hint;
          items.push_back(std::move(j));
        }
        json out = {{"user", {{"id", v.user.id}, {"email", v.user.email}, {"name", v.user.name}}},
                    {"role", {{"id", v.role_id}, {"name", v.role_name}}}, {"owner", v.owner}};
        if (items.size() == 1) {
          out.update(items[0]);
        } else {
          out["matrix"] = items;
        }
        return Json(200, out);
      });

  Add("POST", "/api/v1/orgs/{org}/diagnose", A::kOrg, "diagnose",
      "Run the checklist of a layer for a resource ({server_id}, {invitation_id}, {docker_registry_id, image}, or one of: git_provider_id, repository, branch, backup_storage_id, cloud_account_id, region), or classify {error_text}",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"server_id", "invitation_id", "error_text", "docker_registry_id", "image", "git_provider_id", "repository", "branch", "backup_storage_id", "cloud_account_id", "region"}));
        services::DiagnoseInput in;
        WHARF_ASSIGN_OR_RETURN(in.git_provider_id, b.OptString("git_provider_id", 100));
        WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository", 2000));
        WHARF_ASSIGN_OR_RETURN(in.branch, b.OptString("branch", 300));
        WHARF_ASSIGN_OR_RETURN(in.backup_storage_id, b.OptString("backup_storage_id", 100));
        WHARF_ASSIGN_OR_RETURN(in.cloud_account_id, b.OptString("cloud_account_id", 100));
        WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region", 40));
        WHARF_ASSIGN_OR_RETURN(in.docker_registry_id, b.OptString("docker_registry_id", 100));
        WHARF_ASSIGN_OR_RETURN(in.image, b.OptString("image", 1000));
        WHARF_ASSIGN_OR_RETURN(in.server_id, b.OptString("server_id", 100));
        WHARF_ASSIGN_OR_RETURN(in.invitation_id, b.OptString("invitation_id", 100));
        WHARF_ASSIGN_OR_RETURN(in.error_text, b.OptString("error_text", 20000));
        WHARF_ASSIGN_OR_RETURN(auto d, s.diagnose().Diagnose(c.p(), std::move(in), c.ctx));
        json items = json::array();
        for (auto& i : d.checklist) {
          json item = {{"name", i.name}, {"status", i.status}, {"evidence", i.evidence}, {"fix", i.fix}};
          if (!i.layer.empty()) item["layer"] = i.layer;
          items.push_back(std::move(item));
        }
        json out = {{"layer", d.layer.empty() ? json() : json(d.layer)}, {"subject", d.subject}, {"title", d.title},
                    {"likely_causes", d.causes}, {"checklist", items}, {"page", d.page}};
        if (!d.not_this.empty()) out["not_this"] = d.not_this;
        if (!d.matched.empty()) out["matched"] = d.matched;
        return Json(200, out);
      });

  Add("POST", "/api/v1/orgs/{org}/support-bundle", A::kOrg, "org",
      "A tar of the org's recent audit events, matching log lines, server checks and redacted config: "
      "{since_minutes?, request_ids?, error_text?} (Admin)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"since_minutes", "request_ids", "error_text"}));
        services::BundleInput in;
        WHARF_ASSIGN_OR_RETURN(auto since, b.OptInt("since_minutes"));
        if (since) in.since_minutes = *since;
        WHARF_ASSIGN_OR_RETURN(in.error_text, b.OptString("error_text", 20000));
        if (b.Has("request_ids")) {
          const json& a = b.Raw("request_ids");
          if (!a.is_array()) return FieldError("request_ids", "must be a list of request ids (req_…)");
          for (auto& v : a) {
            if (!v.is_string() || v.get_ref<const std::string&>().size() > 100)
              return FieldError("request_ids", "must be a list of request ids (req_…)");
            in.request_ids.push_back(v);
          }
        }
        WHARF_ASSIGN_OR_RETURN(auto tar, s.support().SupportBundle(c.p(), std::move(in), c.ctx));
        HttpResponse r;
        r.content_type = "application/x-tar";
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"wharf-support-" + c.p().org_slug + ".tar\"");
        r.body = std::move(tar);
        return r;
      });

  // --- audit ---
  Add("GET", "/api/v1/orgs/{org}/audit", A::kOrg, "audit", "Audit events, newest first (Admin)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.team().ListAudit(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, AuditJson));
      });
  // ---- backups of database services (docs/backups.md) ----
  const std::string bk = "/api/v1/orgs/{org}/applications/{app}/services/{svc}";
  Add("GET", bk + "/backups", A::kOrg, "backups", "The service's backups, newest first (backups.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto rows, s.backups().ListBackups(c.p(), c.params[1], c.params[2], c.ctx));
        json items = json::array();
        for (auto& r : rows) items.push_back(BackupJson(r));
        return Json(200, json{{"items", items}});
      });
  Add("POST", bk + "/backups", A::kOrg, "backups",
      "Back the database up now: internal (on the node) or external to a verified backup storage (backups.create); "
      "answers the backup with its queued job",
      {202, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"storage", "backup_storage_id"}));
        services::BackupInput in;
        WHARF_ASSIGN_OR_RETURN(in.storage, b.OptString("storage", 20));
        WHARF_ASSIGN_OR_RETURN(in.backup_storage_id, b.OptString("backup_storage_id", 100));
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().CreateBackup(c.p(), c.params[1], c.params[2], std::move(in), c.ctx));
        return Json(202, BackupStartedJson(v));
      });
  Add("GET", bk + "/backups/{id}", A::kOrg, "backups", "A backup (backups.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().GetBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        return Json(200, BackupJson(v));
      });
  Add("DELETE", bk + "/backups/{id}", A::kOrg, "backups", "Delete a backup: its object or node file, then the row (backups.delete)",
      {204, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.backups().DeleteBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        return NoContent();
      });
  Add("POST", bk + "/backups/{id}/restore", A::kOrg, "backups",
      "Restore the backup into the service's database (backups.update); answers the backup with its queued job",
      {202, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().RestoreBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        return Json(202, BackupStartedJson(v));
      });
  Add("GET", bk + "/backups/{id}/download", A::kOrg, "backups",
      "The backup's dump, streamed through Wharf (backups.read, audited)", {200, 400, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto dl, s.backups().DownloadBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        HttpResponse r;
        r.content_type = "application/octet-stream";
        r.headers.push_back({"Content-Disposition",
                             "attachment; filename=\"" + dl.backup.Field("service_name") + "-" + dl.backup.id + ".dump\""});
        if (!dl.backup.Field("sha256").empty()) r.headers.push_back({"X-Wharf-Backup-SHA256", dl.backup.Field("sha256")});
        if (!dl.backup.Field("size").empty()) r.headers.push_back({"X-Wharf-Backup-Size", dl.backup.Field("size")});
        r.stream = std::move(dl.next);
        return r;
      });
  Add("GET", bk + "/backup-schedule", A::kOrg, "backups", "The service's backup schedule (backups.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().GetBackupSchedule(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, BackupScheduleJson(v));
      });
  Add("PUT", bk + "/backup-schedule", A::kOrg, "backups",
      "Set the backup schedule: hourly, daily, weekly or monthly, keeping `retention` scheduled backups (backups.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"frequency", "retention", "storage", "backup_storage_id"}));
        services::BackupScheduleInput in;
        WHARF_ASSIGN_OR_RETURN(in.frequency, b.OptString("frequency", 20));
        WHARF_ASSIGN_OR_RETURN(in.retention, b.OptInt("retention"));
        WHARF_ASSIGN_OR_RETURN(in.storage, b.OptString("storage", 20));
        WHARF_ASSIGN_OR_RETURN(in.backup_storage_id, b.OptString("backup_storage_id", 100));
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().PutBackupSchedule(c.p(), c.params[1], c.params[2], std::move(in), c.ctx));
        return Json(200, BackupScheduleJson(v));
      });
  Add("DELETE", bk + "/backup-schedule", A::kOrg, "backups", "Stop scheduled backups (backups.update); backups stay",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.backups().DeleteBackupSchedule(c.p(), c.params[1], c.params[2], c.ctx));
        return NoContent();
      });
  Add("POST", bk + "/backup-schedule/run", A::kOrg, "backups",
      "Take the schedule's backup now; retention applies after it (backups.create)", {202, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().RunBackupScheduleNow(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(202, BackupStartedJson(v));
      });
}

std::string Api::Impl::BuildOpenApi() const {
  json paths = json::object();
  for (const Route& r : routes) {
    json responses = json::object();
    for (int st : r.statuses) {
      std::string desc = st < 300 ? "Success" : st == 400 ? "validation_failed" : st == 401 ? "unauthenticated"
                       : st == 403 ? "forbidden or limit_reached" : st == 404 ? "not_found" : st == 409 ? "conflict"
                       : st == 410 ? "invitation_expired or invitation_invalid" : st == 413 ? "payload_too_large"
                       : st == 415 ? "unsupported_media_type" : st == 429 ? "rate_limited" : "error";
      json resp = {{"description", desc}};
      if (st >= 400) resp["content"] = {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}};
      responses[std::to_string(st)] = resp;
    }
    json params = json::array();
    for (auto& seg : r.segs)
      if (!seg.empty() && seg.front() == '{')
        params.push_back({{"name", seg.substr(1, seg.size() - 2)}, {"in", "path"}, {"required", true},
                          {"schema", {{"type", "string"}}}});
    json op = {{"summary", r.summary}, {"tags", {r.tag}}, {"responses", responses}};
    if (!params.empty()) op["parameters"] = params;
    if (r.auth == AuthMode::kNone) op["security"] = json::array();
    std::string m = ToLower(r.method);
    paths[r.pattern][m] = op;
  }
  json doc = {
      {"openapi", "3.0.3"},
      {"info", {{"title", "Wharf API"}, {"version", options.version},
                {"description", "Self-hosted PaaS control plane. Errors: {error: {code, message, layer?, details?}}. "
                                "Lists: {items, next_cursor}; ?limit= 1..200 (default 50), ?cursor=."}}},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "wharf_session"},
                      {"description", "State-changing requests also need the X-CSRF-Token header from sign-in."}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"properties",
             {{"error", {{"type", "object"},
                         {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}},
                                         {"layer", {{"type", "string"}}}, {"details", {{"type", "object"}}},
                                         {"request_id", {{"type", "string"}}}}}}}}}}}}}}},
      {"security", json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}})}};
  return doc.dump(2);
}


// ---- deployments (services/deployments.cc; docs/applications.md "Deployments") ----
void Api::Impl::AddDeploymentRoutes() {
  using A = AuthMode;
  auto& s = svc;

  // ---- deployments (services.update to start or cancel, services.read to read) ----
  auto deployment_json = [](const domain::Deployment& d) {
    return json{{"id", d.id}, {"job_id", d.id}, {"application_id", d.application_id}, {"service_id", d.service_id},
                {"action", d.action}, {"trigger", d.trigger}, {"ref", d.ref},
                {"commit_sha", d.commit_sha.empty() ? json() : json(d.commit_sha)}, {"status", d.status},
                {"error", d.error.empty() ? json() : json(d.error)},
                {"error_layer", d.error_layer.empty() ? json() : json(d.error_layer)},
                {"error_fix", d.error_fix.empty() ? json() : json(d.error_fix)}, {"created_at", Time(d.created_at)},
                {"started_at", d.started_at ? json(Time(d.started_at)) : json()},
                {"finished_at", d.finished_at ? json(Time(d.finished_at)) : json()},
                {"created_by", d.created_by.empty() ? json() : json(d.created_by)}};
  };
  auto start_deployment = [&s, deployment_json](Call& c, std::string app, std::string svc,
                                                std::string action) -> Result<HttpResponse> {
    if (action.empty()) {
      WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"action"}));
      WHARF_ASSIGN_OR_RETURN(auto a, b.OptString("action", 20));
      action = a.value_or("deploy");
    }
    // The one place the action's name is parsed; services take the enum.
    WHARF_ASSIGN_OR_RETURN(auto parsed, services::ParseDeployAction(action));
    WHARF_ASSIGN_OR_RETURN(auto d, s.deployments().StartDeployment(c.p(), app, svc, parsed, c.ctx));
    return Json(202, deployment_json(d));
  };
  Add("POST", "/api/v1/orgs/{org}/applications/{app}/services/{svc}/deployments", A::kOrg, "deployments",
      "Queue a deployment of the service: {action?: deploy|redeploy|restart|stop|destroy}; answers 202 with the "
      "deployment (services.update)", {202, 400, 401, 403, 404, 409},
      [start_deployment](Call& c) { return start_deployment(c, c.params[1], c.params[2], ""); });
  for (const char* action : {"deploy", "redeploy", "restart", "stop", "destroy"}) {
    Add("POST", std::string("/api/v1/orgs/{org}/services/{id}/") + action, A::kOrg, "deployments",
        std::string("Queue a ") + action + " of the service; answers 202 {job_id, ...} (services.update)",
        {202, 400, 401, 403, 404, 409},
        [start_deployment, action](Call& c) { return start_deployment(c, "", c.params[1], action); });
  }
  Add("GET", "/api/v1/orgs/{org}/applications/{app}/services/{svc}/deployments", A::kOrg, "deployments",
      "The service's deployments, newest first; ?limit= 1..200 (default 50), ?cursor= (services.read)", {200, 400, 401, 403, 404},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto rows, s.deployments().ListDeployments(c.p(), c.params[1], c.params[2], limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& d : rows.items) items.push_back(deployment_json(d));
        return Json(200, {{"items", items}, {"next_cursor", rows.next_cursor.empty() ? json() : json(rows.next_cursor)}});
      });
  Add("GET", "/api/v1/orgs/{org}/applications/{app}/deployments", A::kOrg, "deployments",
      "The application's deployments, newest first; ?limit= 1..200 (default 50), ?cursor= (services.read)", {200, 400, 401, 403, 404},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto rows, s.deployments().ListDeployments(c.p(), c.params[1], "", limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& d : rows.items) items.push_back(deployment_json(d));
        return Json(200, {{"items", items}, {"next_cursor", rows.next_cursor.empty() ? json() : json(rows.next_cursor)}});
      });
  Add("GET", "/api/v1/orgs/{org}/deployments/{id}", A::kOrg, "deployments",
      "A deployment with its status, error (layer and fix) and full log (services.read)", {200, 401, 403, 404},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.deployments().GetDeploymentTail(c.p(), c.params[1], 0, c.ctx));
        json j = deployment_json(v.first);
        j["log"] = v.second.log;
        return Json(200, j);
      });
  Add("POST", "/api/v1/orgs/{org}/deployments/{id}/cancel", A::kOrg, "deployments",
      "Cancel a queued or running deployment (services.update); 409 when it already finished", {200, 401, 403, 404, 409},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.deployments().CancelDeployment(c.p(), c.params[1], c.ctx));
        return Json(200, deployment_json(d));
      });
  Add("GET", "/api/v1/orgs/{org}/deployments/{id}/log", A::kOrg, "deployments",
      "The deployment's log as Server-Sent Events: 'log' events, then one 'end' event with the status, error, "
      "layer and fix (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.deployments().GetDeploymentTail(c.p(), c.params[1], 0, c.ctx));
        HttpResponse r;
        r.content_type = "text/event-stream";
        struct State {
          size_t offset = 0;
          bool ended = false;
        };
        auto st = std::make_shared<State>();
        auto access = std::make_shared<StreamAccess>(s, c.who, c.params[0], c.p());
        auto ctx = c.ctx;
        std::string id(c.params[1]);
        r.stream = [&s, st, access, ctx, id]() -> std::optional<std::string> {
          if (st->ended) return std::nullopt;
          if (auto revoked = access->Recheck(ctx)) {
            st->ended = true;
            return *revoked;
          }
          auto v = s.deployments().GetDeploymentTail(access->principal(), id, st->offset, ctx);
          if (!v) {
            st->ended = true;
            if (auto revoked = StreamAccess::Revoked(v.error())) return *revoked;
            return SseEvent("end", Dump({{"status", "unknown"}, {"error", v.error().message}}));
          }
          const auto& [d, j] = *v;
          std::string out;
          if (j.log_offset > static_cast<int64_t>(st->offset))  // retention dropped output the stream had not sent
            out += SseEvent("log", "[wharf] … " + std::to_string(j.log_offset - st->offset) +
                                       " earlier characters dropped (the log keeps its newest part)");
          st->offset = static_cast<size_t>(j.log_offset);  // characters, as the stores' substr counts
          if (!j.log.empty()) {
            for (unsigned char ch : j.log) st->offset += (ch & 0xC0) != 0x80;
            out += SseEvent("log", j.log);
          }
          if (d.status != "queued" && d.status != "running") {
            st->ended = true;
            out += SseEvent("end", Dump({{"status", d.status}, {"error", d.error}, {"layer", d.error_layer},
                                         {"fix", d.error_fix}}));
          }
          return out;
        };
        return r;
      });
}

// ---- applications, services, variables, domains, templates (docs/applications.md) ----

namespace {

json ApplicationJson(const domain::Application& a) {
  return {{"id", a.id}, {"name", a.name}, {"description", a.description}, {"server_id", a.server_id},
          {"created_at", Time(a.created_at)}, {"updated_at", Time(a.updated_at)}, {"created_by", a.created_by}};
}

// Templates as written; what secret() generated only as {length, set}; resolved values only when
// revealed (services.update, audited).
json VariablesJson(const std::vector<services::VariableView>& vars) {
  json out = json::array();
  for (auto& v : vars) {
    json secrets = json::array();
    for (int n : v.secret_lengths) secrets.push_back({{"length", n}, {"set", true}});
    json j = {{"key", v.key}, {"value", v.value}, {"secrets", secrets}, {"references", v.references}};
    if (v.resolved) j["resolved"] = *v.resolved;
    out.push_back(std::move(j));
  }
  return out;
}

json ServiceJson(const services::ServiceView& v) {
  const auto& s = v.service;
  json j = {{"id", s.id}, {"application_id", s.application_id}, {"name", s.name}, {"type", s.type}, {"status", s.status}};
  json c = v.config;
  j["domains"] = c.contains("domains") ? c["domains"] : json::array();
  c.erase("domains");
  c.erase("domains_to_clear");  // deployment bookkeeping, like unset_keys
  if (s.type == "database") {
    j["database"] = {{"engine", c.value("engine", "")}, {"version", c.value("version", "")}};
    j["credentials"] = {{"set", v.credentials_set}};
  } else {
    for (auto& [k, val] : c.items()) j[k] = val;
  }
  j["variables"] = VariablesJson(v.variables);
  j["unset_keys"] = v.unset_keys;
  if (!v.checks.empty()) j["checks"] = v.checks;
  j["created_at"] = Time(s.created_at);
  j["updated_at"] = Time(s.updated_at);
  j["created_by"] = s.created_by;
  return j;
}

json TemplateJson(const domain::AppTemplate& t) {
  json body = json::parse(t.body, nullptr, false);
  json services = body.is_object() && body.contains("services") ? body["services"] : json::array();
  return {{"id", t.id}, {"name", t.name}, {"description", t.description}, {"services", services},
          {"source_application", body.is_object() ? body.value("source_application", "") : ""},
          {"created_at", Time(t.created_at)}, {"updated_at", Time(t.updated_at)}, {"created_by", t.created_by}};
}

Result<std::vector<services::VariableInput>> ParseVariables(const json& v, const std::string& field) {
  std::vector<services::VariableInput> out;
  auto value_of = [&](const json& x, const std::string& f) -> Result<std::string> {
    if (!x.is_string()) return FieldError(f, "must be a string (write numbers and booleans in quotes)");
    return x.get<std::string>();
  };
  if (v.is_object()) {
    for (auto& [k, x] : v.items()) {
      WHARF_ASSIGN_OR_RETURN(auto val, value_of(x, field + "." + k));
      out.push_back({k, std::move(val)});
    }
    return out;
  }
  if (!v.is_array()) return FieldError(field, "must be a list of {\"key\": \"…\", \"value\": \"…\"} (or an object of key: value)");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    const json& x = v[i];
    if (!x.is_object() || !x.contains("key") || !x["key"].is_string())
      return FieldError(f, "must be {\"key\": \"NAME\", \"value\": \"…\"}");
    for (auto& [k, unused] : x.items())
      if (k != "key" && k != "value") return FieldError(f + "." + k, "is not a known field; allowed: key, value");
    WHARF_ASSIGN_OR_RETURN(auto val, value_of(x.contains("value") ? x["value"] : json(""), f + ".value"));
    out.push_back({x["key"].get<std::string>(), std::move(val)});
  }
  return out;
}

const std::initializer_list<std::string_view> kServiceFields = {
    "name", "type", "git_provider_id", "repository", "branch", "tag", "build_path", "port", "image",
    "docker_registry_id", "ports", "database", "engine", "version", "variables"};

Result<services::ServiceInput> ParseService(const Body& b) {
  services::ServiceInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
  WHARF_ASSIGN_OR_RETURN(in.type, b.OptString("type", 50));
  WHARF_ASSIGN_OR_RETURN(in.git_provider_id, b.OptString("git_provider_id", 100));
  WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository", 600));
  WHARF_ASSIGN_OR_RETURN(in.branch, b.OptString("branch", 300));
  WHARF_ASSIGN_OR_RETURN(in.tag, b.OptString("tag", 300));
  WHARF_ASSIGN_OR_RETURN(in.build_path, b.OptString("build_path", 300));
  WHARF_ASSIGN_OR_RETURN(in.port, b.OptInt("port"));
  WHARF_ASSIGN_OR_RETURN(in.image, b.OptString("image", 4096));
  WHARF_ASSIGN_OR_RETURN(in.docker_registry_id, b.OptString("docker_registry_id", 100));
  if (b.Has("ports")) {
    const json& a = b.Raw("ports");
    if (!a.is_array()) return FieldError("ports", "must be a list like [\"http:80:5000\"]");
    std::vector<std::string> ports;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string()) return FieldError("ports[" + std::to_string(i) + "]", "must be a string like \"http:80:5000\"");
      ports.push_back(a[i]);
    }
    in.ports = std::move(ports);
  }
  WHARF_ASSIGN_OR_RETURN(in.engine, b.OptString("engine", 50));
  WHARF_ASSIGN_OR_RETURN(in.version, b.OptString("version", 50));
  if (b.Has("database")) {
    const json& d = b.Raw("database");
    if (!d.is_object()) return FieldError("database", "must be {\"engine\": \"postgres\", \"version\": \"16\"}");
    for (auto& [k, v] : d.items()) {
      if (k != "engine" && k != "version") return FieldError("database." + k, "is not a known field; allowed: engine, version");
      if (!v.is_string()) return FieldError("database." + k, "must be a string");
    }
    if (d.contains("engine")) in.engine = d["engine"].get<std::string>();
    if (d.contains("version")) in.version = d["version"].get<std::string>();
  }
  if (b.Has("variables")) {
    WHARF_ASSIGN_OR_RETURN(in.variables, ParseVariables(b.Raw("variables"), "variables"));
  }
  return in;
}

Result<services::ApplicationInput> ParseApplication(const Body& b) {
  services::ApplicationInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
  WHARF_ASSIGN_OR_RETURN(in.description, b.OptString("description", 4000));
  WHARF_ASSIGN_OR_RETURN(in.server_id, b.OptString("server_id", 100));
  return in;
}

}  // namespace

void Api::Impl::AddAppRoutes() {
  using A = AuthMode;
  using domain::Collection;
  auto& s = svc;
  const std::vector<int> kRow = {200, 400, 401, 403, 404, 409};

  // Applications and the legacy projects view: the same rows, each path authorized by its own
  // collection (applications.* or projects.*).
  for (auto [path, coll, tag] : {std::tuple{"applications", Collection::kApplications, "applications"},
                                 std::tuple{"projects", Collection::kProjects, "projects"}}) {
    const std::string base = std::string("/api/v1/orgs/{org}/") + path;
    const std::string perm = std::string(domain::CollectionName(coll));
    const Collection c = coll;
    Add("GET", base, A::kOrg, tag, "List " + std::string(path) + " (" + perm + ".read)", {200, 400, 401, 403, 404},
        [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(call.req));
          WHARF_ASSIGN_OR_RETURN(auto page, s.applications().ListApplications(call.p(), c, limit, call.req.Query("cursor"), call.ctx));
          return Json(200, ListJson(page, ApplicationJson));
        });
    Add("POST", base, A::kOrg, tag, "Create {name, description?, server_id} (" + perm + ".create)",
        {201, 400, 401, 403, 404, 409}, [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(call.req, {"name", "description", "server_id"}));
          WHARF_ASSIGN_OR_RETURN(auto in, ParseApplication(b));
          WHARF_ASSIGN_OR_RETURN(auto a, s.applications().CreateApplication(call.p(), c, std::move(in), call.ctx));
          return Json(201, ApplicationJson(a));
        });
    Add("GET", base + "/{id}", A::kOrg, tag, "One (" + perm + ".read)", {200, 401, 403, 404},
        [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(auto a, s.applications().GetApplication(call.p(), c, call.params[1], call.ctx));
          return Json(200, ApplicationJson(a));
        });
    Add("PATCH", base + "/{id}", A::kOrg, tag, "Edit name, description or server_id (" + perm + ".update)", kRow,
        [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(call.req, {"name", "description", "server_id"}));
          WHARF_ASSIGN_OR_RETURN(auto in, ParseApplication(b));
          WHARF_ASSIGN_OR_RETURN(auto a, s.applications().UpdateApplication(call.p(), c, call.params[1], std::move(in), call.ctx));
          return Json(200, ApplicationJson(a));
        });
    Add("DELETE", base + "/{id}", A::kOrg, tag, "Delete; 409 while it has services (" + perm + ".delete)",
        {204, 401, 403, 404, 409}, [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_TRY(s.applications().DeleteApplication(call.p(), c, call.params[1], call.ctx));
          return NoContent();
        });
  }

  // Services.
  auto create_service = [&s](Call& c, const std::string& app_id, const Body& b) -> Result<HttpResponse> {
    WHARF_ASSIGN_OR_RETURN(auto in, ParseService(b));
    WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().CreateService(c.p(), app_id, std::move(in), c.ctx));
    return Json(201, ServiceJson(v));
  };
  Add("GET", "/api/v1/orgs/{org}/applications/{id}/services", A::kOrg, "services",
      "The application's services, variables as templates (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto list, s.app_services().ListServices(c.p(), c.params[1], c.ctx));
        json items = json::array();
        for (auto& v : list) items.push_back(ServiceJson(v));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      });
  Add("POST", "/api/v1/orgs/{org}/applications/{id}/services", A::kOrg, "services",
      "Add a service: {name, type: app|docker|database, …, variables?} (services.create)", {201, 400, 401, 403, 404, 409},
      [create_service](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, kServiceFields));
        return create_service(c, c.params[1], b);
      });
  Add("POST", "/api/v1/orgs/{org}/services", A::kOrg, "services",
      "Add a service to {application_id} (services.create)", {201, 400, 401, 403, 404, 409},
      [create_service](Call& c) -> Result<HttpResponse> {
        // The body is parsed once, with its limits, and never re-serialised: application_id is
        // taken out and the rest goes on as the same parsed value.
        std::vector<std::string_view> fields(kServiceFields);
        fields.push_back("application_id");
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, fields));
        json app = b.Take("application_id");
        if (!app.is_string()) return FieldError("application_id", "is required: the application to add the service to");
        return create_service(c, app.get<std::string>(), b);
      });
  Add("GET", "/api/v1/orgs/{org}/services/{id}", A::kOrg, "services", "A service (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().GetService(c.p(), c.params[1], c.ctx));
        return Json(200, ServiceJson(v));
      });
  Add("PATCH", "/api/v1/orgs/{org}/services/{id}", A::kOrg, "services",
      "Edit a service's settings; a new image or registry is checked again (services.update)", kRow,
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, kServiceFields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseService(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().UpdateService(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, ServiceJson(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/services/{id}", A::kOrg, "services",
      "Delete a service; 409 while another variable refers to it (services.delete)", {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.app_services().DeleteService(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

  // Variables.
  auto vars_json = [](const std::vector<services::VariableView>& v) { return json{{"items", VariablesJson(v)}}; };
  Add("GET", "/api/v1/orgs/{org}/services/{id}/variables", A::kOrg, "services",
      "Variables as templates (services.read); ?reveal=true adds each resolved value (services.update, audited)",
      {200, 400, 401, 403, 404}, [&s, vars_json](Call& c) -> Result<HttpResponse> {
        const std::string reveal = c.req.Query("reveal");
        if (!reveal.empty() && reveal != "true" && reveal != "false") return FieldError("reveal", "must be true or false");
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().ListVariables(c.p(), c.params[1], reveal == "true", c.ctx));
        return Json(200, vars_json(v));
      });
  Add("PUT", "/api/v1/orgs/{org}/services/{id}/variables", A::kOrg, "services",
      "Replace every variable {variables: [{key, value}]}; removed keys are unset by the next deploy (services.update)",
      kRow, [&s, vars_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"variables"}));
        if (!b.Has("variables")) return FieldError("variables", "is required: [{\"key\": \"NAME\", \"value\": \"…\"}]");
        WHARF_ASSIGN_OR_RETURN(auto in, ParseVariables(b.Raw("variables"), "variables"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().PutVariables(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, vars_json(v));
      });
  Add("PUT", "/api/v1/orgs/{org}/services/{id}/variables/{key}", A::kOrg, "services",
      "Set one variable {value} (services.update)", kRow, [&s, vars_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"value"}));
        WHARF_ASSIGN_OR_RETURN(auto value, b.String("value", domain::kMaxValueBytes));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().SetVariable(c.p(), c.params[1], {c.params[2], std::move(value)}, c.ctx));
        return Json(200, vars_json(v));
      });
  Add("DELETE", "/api/v1/orgs/{org}/services/{id}/variables/{key}", A::kOrg, "services",
      "Remove one variable; it is unset by the next deploy (services.update)", kRow,
      [&s, vars_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().DeleteVariable(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, vars_json(v));
      });
  Add("POST", "/api/v1/orgs/{org}/services/{id}/variables/regenerate", A::kOrg, "services",
      "New values for the secret() of {keys?} (all when absent) (services.update)", kRow,
      [&s, vars_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"keys"}));
        std::vector<std::string> keys;
        if (b.Has("keys")) {
          const json& k = b.Raw("keys");
          if (!k.is_array()) return FieldError("keys", "must be a list of variable names");
          for (size_t i = 0; i < k.size(); ++i) {
            if (!k[i].is_string()) return FieldError("keys[" + std::to_string(i) + "]", "must be a string");
            keys.push_back(k[i]);
          }
        }
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().RegenerateSecrets(c.p(), c.params[1], std::move(keys), c.ctx));
        return Json(200, vars_json(v));
      });
  Add("POST", "/api/v1/orgs/{org}/services/{id}/reveal-credentials", A::kOrg, "services",
      "A database's generated credentials and URL (services.update, audited)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().RevealCredentials(c.p(), c.params[1], c.ctx));
        return Json(200, v);
      });

  // Domains (the model; the node applies them with deployments).
  auto domains_json = [](const json& d) { return json{{"items", d}}; };
  Add("GET", "/api/v1/orgs/{org}/services/{id}/domains", A::kOrg, "services", "The service's domains (services.read)",
      {200, 401, 403, 404}, [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().ListDomains(c.p(), c.params[1], c.ctx));
        return Json(200, domains_json(d));
      });
  Add("POST", "/api/v1/orgs/{org}/services/{id}/domains", A::kOrg, "services",
      "Add {hostname, letsencrypt?: true, default?: false}; the first is the default (services.update)",
      {201, 400, 401, 403, 404, 409}, [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"hostname", "letsencrypt", "default"}));
        WHARF_ASSIGN_OR_RETURN(auto host, b.String("hostname", 300));
        WHARF_ASSIGN_OR_RETURN(auto le, b.OptBool("letsencrypt"));
        WHARF_ASSIGN_OR_RETURN(auto def, b.OptBool("default"));
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().AddDomain(c.p(), c.params[1], host, le.value_or(true), def.value_or(false), c.ctx));
        return Json(201, domains_json(d));
      });
  Add("DELETE", "/api/v1/orgs/{org}/services/{id}/domains/{hostname}", A::kOrg, "services",
      "Remove a domain (services.update)", {200, 400, 401, 403, 404}, [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().RemoveDomain(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, domains_json(d));
      });
  Add("POST", "/api/v1/orgs/{org}/services/{id}/domains/{hostname}/default", A::kOrg, "services",
      "Make a domain the default ({{ svc.DOMAIN }}) (services.update)", {200, 400, 401, 403, 404},
      [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().SetDefaultDomain(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, domains_json(d));
      });

  // Templates.
  auto parse_template = [](const Body& b) -> Result<services::TemplateInput> {
    services::TemplateInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.description, b.OptString("description", 4000));
    WHARF_ASSIGN_OR_RETURN(in.application_id, b.OptString("application_id", 100));
    return in;
  };
  Add("GET", "/api/v1/orgs/{org}/templates", A::kOrg, "templates", "List templates (templates.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.templates().ListTemplates(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, TemplateJson));
      });
  Add("POST", "/api/v1/orgs/{org}/templates", A::kOrg, "templates",
      "Save {application_id}'s services as a template {name, description?} with no secret in it (templates.create, "
      "services.read)", {201, 400, 401, 403, 404, 409}, [&s, parse_template](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"name", "description", "application_id"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_template(b));
        WHARF_ASSIGN_OR_RETURN(auto t, s.templates().CreateTemplate(c.p(), std::move(in), c.ctx));
        return Json(201, TemplateJson(t));
      });
  Add("GET", "/api/v1/orgs/{org}/templates/{id}", A::kOrg, "templates", "A template (templates.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto t, s.templates().GetTemplate(c.p(), c.params[1], c.ctx));
        return Json(200, TemplateJson(t));
      });
  Add("PATCH", "/api/v1/orgs/{org}/templates/{id}", A::kOrg, "templates", "Rename or describe (templates.update)", kRow,
      [&s, parse_template](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"name", "description"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_template(b));
        WHARF_ASSIGN_OR_RETURN(auto t, s.templates().UpdateTemplate(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, TemplateJson(t));
      });
  Add("DELETE", "/api/v1/orgs/{org}/templates/{id}", A::kOrg, "templates", "Delete a template (templates.delete)",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.templates().DeleteTemplate(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  Add("POST", "/api/v1/orgs/{org}/templates/{id}/deploy", A::kOrg, "templates",
      "Create the template's services in {application_id} or a new {application: {name, server_id}}, renaming "
      "services to stay unique and rewriting {{ svc.VAR }} (templates.read, services.create, applications.create); "
      "deploy: true also queues a deployment of each created service (services.update)",
      {201, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, {"application_id", "application", "deploy"}));
        services::TemplateDeployInput in;
        WHARF_ASSIGN_OR_RETURN(in.application_id, b.OptString("application_id", 100));
        WHARF_ASSIGN_OR_RETURN(auto deploy, b.OptBool("deploy"));
        in.deploy = deploy.value_or(false);
        if (b.Has("application")) {
          const json& a = b.Raw("application");
          if (!a.is_object()) return FieldError("application", "must be {\"name\": \"…\", \"server_id\": \"…\"}");
          services::ApplicationInput ai;
          for (auto& [k, v] : a.items()) {
            if (k != "name" && k != "description" && k != "server_id")
              return FieldError("application." + k, "is not a known field; allowed: name, description, server_id");
            if (!v.is_string()) return FieldError("application." + k, "must be a string");
          }
          if (a.contains("name")) ai.name = a["name"].get<std::string>();
          if (a.contains("description")) ai.description = a["description"].get<std::string>();
          if (a.contains("server_id")) ai.server_id = a["server_id"].get<std::string>();
          in.application = std::move(ai);
        }
        WHARF_ASSIGN_OR_RETURN(auto d, s.templates().DeployTemplate(c.p(), c.params[1], std::move(in), c.ctx));
        json services = json::array();
        for (auto& v : d.services) services.push_back(ServiceJson(v));
        json deployments = json::array();
        for (auto& x : d.deployments)
          deployments.push_back({{"id", x.id}, {"service_id", x.service_id}, {"action", x.action}, {"trigger", x.trigger},
                                 {"status", x.status}, {"ref", x.ref}});
        return Json(201, {{"application", ApplicationJson(d.application)}, {"created_application", d.created_application},
                          {"services", services}, {"renamed", d.renamed}, {"deployments", deployments}});
      });
}

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
  auto who = impl_->svc.auth().Authenticate(token, ctx);
  if (!who) return std::nullopt;
  auto p = impl_->svc.auth().ResolvePrincipal(**who, slug, ctx);
  if (!p) return std::nullopt;
  return p->org_id;
}

HttpResponse Api::Handle(const HttpRequest& req) { return impl_->Handle(req); }

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
