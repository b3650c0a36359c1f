// The response helpers and the JSON writers more than one feature uses (routes.h).
#include "api/routes.h"

#include <charconv>
#include <memory>

#include "api/sse.h"
#include "api/stream_access.h"

#include "api/schema.h"

namespace wharf::api {

std::string Time(Timestamp t) { return FormatRfc3339(t); }
json TimeOrNull(Timestamp t) { return t ? json(FormatRfc3339(t)) : json(nullptr); }

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

void AddSharedSchemas(Router& rt) {
  using namespace oas;
  rt.AddSchema("User", Object({{"id", String()}, {"email", String()}, {"name", String()}, {"instance_admin", Boolean()},
                               {"email_verified", Boolean()},
                               {"created_at", Time()}, {"updated_at", Time()}}));
  rt.AddSchema("RoleBrief", Object({{"id", String()}, {"name", String()}, {"builtin", Boolean()}}));
  rt.AddSchema("UserBrief", Object({{"id", String()}, {"email", String()}, {"name", String()}}));
  rt.AddSchema("Org", Object({{"id", String()}, {"slug", String()}, {"name", String()}, {"owner_id", String()},
                              {"seat_limit", Integer()}, {"seats_used", Integer()}, {"created_at", Time()},
                              {"updated_at", Time()}, {"created_by", String()}}));
  rt.AddSchema("Job", Object({{"id", String()}, {"kind", String()}, {"target_id", String()},
                              {"status", String("queued, running, succeeded, failed or cancelled")},
                              {"error", Nullable(String())}, {"created_at", Time()}, {"started_at", Nullable(Time())},
                              {"finished_at", Nullable(Time())}, {"created_by", String()}, {"attempts", Integer()},
                              {"claimed_by", Nullable(String())}, {"lease_until", Nullable(Time())},
                              {"cancel_requested", Boolean()}, {"payload", Map()},
                              {"log", String("With the log only: its retained text")},
                              {"log_offset", Integer()}},
                             {"log", "log_offset"}));
  rt.AddSchema("Application", Object({{"id", String()}, {"name", String()}, {"description", String()},
                                      {"server_id", String()}, {"created_at", Time()}, {"updated_at", Time()},
                                      {"created_by", String()}}));
  rt.AddSchema("Variable", Object({{"key", String()}, {"value", String("The template as written")},
                                   {"secrets", Array(Object({{"length", Integer()}, {"set", Boolean()}}))},
                                   {"references", Array(String())},
                                   {"resolved", String("Only when revealed (services.update, audited)")}},
                                  {"resolved"}));
  rt.AddSchema("Variables", Object({{"items", Array(Ref("Variable"))}}));
  // A service: its type's settings (app: repository, branch, ...; docker: image, ...) beside the
  // common fields; a database answers {engine, version} and {set} for its credentials instead.
  rt.AddSchema("Service", OpenObject({{"id", String()}, {"application_id", String()}, {"name", String()},
                                      {"type", Enum({"app", "docker", "database"})}, {"status", String()},
                                      {"domains", Array(Ref("Domain"))},
                                      {"database", Object({{"engine", String()}, {"version", String()}})},
                                      {"credentials", IsSet()}, {"variables", Array(Ref("Variable"))},
                                      {"unset_keys", Array(String())}, {"checks", AnyValue()},
                                      {"created_at", Time()}, {"updated_at", Time()}, {"created_by", String()}},
                                     {"database", "credentials", "checks"}));
  // The reports of checks that reach outside (verify, test, sync): ok, each check or step, and
  // what the kind adds (a registry's digest, a bucket's endpoint).
  rt.AddSchema("Check", OpenObject({{"name", String()}, {"status", Enum({"passed", "failed", "skipped"})},
                                    {"message", String()}, {"fix", String()}, {"layer", String()}},
                                   {"fix", "layer"}));
  rt.AddSchema("CheckReport", OpenObject({{"ok", Boolean()}, {"checks", Array(Ref("Check"))}}));
  rt.AddSchema("Domains", Object({{"items", Array(Ref("Domain"))}}));
  rt.AddSchema("Domain", Object({{"hostname", String()}, {"letsencrypt", Boolean()}, {"default", Boolean()}}));
  // Permissions keyed by collection name; each grant as PermissionsToJson writes it.
  json grants = json::object();
  for (auto c : domain::AllCollections())
    grants[std::string(domain::CollectionName(c))] = Ref("Grant");
  json perms = Object(grants, [] {
    std::vector<std::string> all;
    for (auto c : domain::AllCollections()) all.emplace_back(domain::CollectionName(c));
    return all;
  }());
  rt.AddSchema("Permissions", perms);
  json grant = {{"create", Boolean()}, {"read", Boolean()}, {"update", Boolean()}, {"delete", Boolean()},
                {"create_limit", {{"type", "integer"}, {"minimum", 0}, {"maximum", 1000000}, {"description", "0 = unlimited"}}},
                {"read_scope", Enum({"all", "own"})}};
  rt.AddSchema("Grant", Object(grant));
  // What a request may send (domain::ParsePermissions): any subset of the grants' keys.
  json input = perms;
  for (auto& [k, v] : input["properties"].items()) v = Ref("GrantInput");
  rt.AddSchema("PermissionsInput", input);
  rt.AddSchema("GrantInput", Object(grant, {"create", "read", "update", "delete", "create_limit", "read_scope"}));
  rt.AddSchema("ResourceScope", Object({{"applications", Array(String())}, {"servers", Array(String())}}));
}

json UserJson(const domain::User& u) {
  return {{"id", u.id}, {"email", u.email}, {"name", u.name}, {"instance_admin", u.instance_admin},
          {"email_verified", u.email_verified}, {"created_at", Time(u.created_at)},
          {"updated_at", Time(u.updated_at)}};
}
json UserBrief(const domain::User& u) { return {{"id", u.id}, {"email", u.email}, {"name", u.name}}; }

json OrgJson(const services::OrgView& v) {
  const auto& o = v.org;
  return {{"id", o.id}, {"slug", o.slug}, {"name", o.name}, {"owner_id", o.owner_id},
          {"seat_limit", o.seat_limit}, {"seats_used", v.seats_used}, {"created_at", Time(o.created_at)},
          {"updated_at", Time(o.updated_at)}, {"created_by", o.created_by}};
}

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

HttpResponse LogStream(services::Services& s, Call& c, LogPoller poll) {
  HttpResponse r;
  r.content_type = "text/event-stream";
  struct State {
    size_t offset = 0;  // characters, as the stores' substr counts
    bool ended = false;
  };
  auto st = std::make_shared<State>();
  auto access = std::make_shared<StreamAccess>(s, c.who, c.params[0], c.p());
  r.stream = [st, access, ctx = c.ctx, poll = std::move(poll)]() -> std::optional<std::string> {
    if (st->ended) return std::nullopt;
    if (auto revoked = access->Recheck(ctx)) {
      st->ended = true;
      return *revoked;
    }
    auto v = poll(access->principal(), st->offset, ctx);
    if (!v) {
      st->ended = true;
      if (auto revoked = StreamAccess::Revoked(v.error())) return *revoked;
      return SseEvent("end", Dump({{"status", "unknown"}, {"error", v.error().message}}));
    }
    std::string out;
    if (v->log_offset > static_cast<int64_t>(st->offset))  // retention dropped output the stream had not sent
      out += SseEvent("log", "[wharf] … " + std::to_string(v->log_offset - st->offset) +
                                 " earlier characters dropped (the log keeps its newest part)");
    st->offset = static_cast<size_t>(v->log_offset);
    if (!v->log.empty()) {
      for (unsigned char ch : v->log) st->offset += (ch & 0xC0) != 0x80;
      out += SseEvent("log", v->log);  // one event per chunk, a data: line per line
    }
    if (v->end) {
      st->ended = true;
      out += SseEvent("end", Dump(*v->end));
    }
    return out;
  };
  return r;
}

}  // namespace wharf::api
