// Releases, rollbacks and live runtime logs of services (services/releases.cc,
// services/runtime_logs.cc; docs/releases.md).
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"
#include "api/sse.h"
#include "api/stream_access.h"
#include <algorithm>
#include <chrono>
#include <memory>

#include "base/strings.h"

namespace wharf::api {

namespace {

json ReleaseJson(const services::ReleaseView& v) {
  const auto& r = v.release;
  json source = {{"kind", r.source_kind}};
  if (r.source_kind == "git") {
    source["repository"] = r.repository;
    source["commit"] = r.commit_sha.empty() ? json() : json(r.commit_sha);
  } else {
    source["image"] = r.image;
    source["image_digest"] = r.image_digest.empty() ? json() : json(r.image_digest);
  }
  auto arr = [](const std::string& text) {
    json j = json::parse(text, nullptr, false);
    return j.is_array() ? j : json::array();
  };
  return {{"version", r.version}, {"name", "v" + std::to_string(r.version)}, {"source", source},
          {"variables_hash", r.variables_hash}, {"domains", arr(r.domains)}, {"ports", arr(r.ports)},
          {"plan", arr(r.plan)}, {"deployment_id", r.deployment_id}, {"trigger", r.trigger},
          {"rollback_of", r.rollback_of > 0 ? json(r.rollback_of) : json()}, {"pinned", r.pinned},
          {"created_at", Time(r.created_at)}, {"created_by", r.created_by.empty() ? json() : json(r.created_by)},
          {"current", v.current}};
}

// `version` as 3 or "v3".
Result<int64_t> VersionField(const Body& b) {
  const json& v = b.Raw("version");
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s = s.substr(1);
    if (!s.empty() && s.size() < 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::stoll(s);
  }
  if (v.is_null()) return FieldError("version", "is required: the release to roll back to (3 or \"v3\"), from GET …/releases");
  return FieldError("version", "must be a release number like 3 or \"v3\"");
}

}  // namespace

void AddReleaseRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    // ReleaseJson's source and releases::SourceJson: a git commit or an image digest.
    rt.AddSchema("ReleaseSource", Object({{"kind", Enum({"git", "image"})}, {"repository", String()},
                                          {"commit", Nullable(String("git"))}, {"image", String("image")},
                                          {"image_digest", Nullable(String("image: sha256:…; null when the registry did not answer"))}},
                                         {"repository", "commit", "image", "image_digest"}));
    rt.AddSchema("Release", Object({{"version", Integer()}, {"name", String("v<version>")}, {"source", Ref("ReleaseSource")},
                                    {"variables_hash", String("hmac-sha256:… of the variables (never their values)")},
                                    {"domains", Array(String())}, {"ports", Array(String("scheme:host:container"))},
                                    {"plan", Array(String("The node commands the deployment ran"))},
                                    {"deployment_id", String()}, {"trigger", String()},
                                    {"rollback_of", Nullable(Integer())}, {"pinned", Boolean()}, {"created_at", Time()},
                                    {"created_by", Nullable(String())}, {"current", Boolean()}}));
    const json added_removed = Object({{"added", Array(String())}, {"removed", Array(String())}});
    // releases::Diff inside the dry run's answer: keys only, never values.
    rt.AddSchema("RollbackPreview",
                 Object({{"from_version", Integer()}, {"to_version", Integer()},
                         {"changes", Object({{"source", Nullable(Object({{"from", Ref("ReleaseSource")}, {"to", Ref("ReleaseSource")}}))},
                                             {"variables", Object({{"added", Array(String())}, {"removed", Array(String())},
                                                                   {"changed", Array(String())}})},
                                             {"domains", added_removed}, {"ports", added_removed}})}}));
  }
  const Fields rollback_fields = {
      Any("version", json{{"oneOf", json::array({json{{"type", "integer"}, {"minimum", 1}},
                                                 json{{"type", "string"}, {"pattern", "^[vV]?[0-9]{1,11}$"}}})}})
          .Req().Desc("The release to roll back to: 3 or \"v3\", from GET …/releases").Example(3),
      Bool("dry_run").Desc("Answer what would change (200) instead of deploying")};
  const Fields pin_fields = {Bool("pinned").Req().Desc("true keeps the release from pruning").Example(true)};

  rt.Add("GET", "/api/v1/orgs/{org}/services/{id}/releases", A::kOrg, "releases",
      "The service's kept releases, newest first: version, exact source (commit or image digest), variables hash, "
      "domains, ports, plan, deployment, who and when, and which is current (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto rows, s.releases().ListReleases(c.p(), c.params[1], c.ctx));
        json items = json::array();
        for (const auto& v : rows) items.push_back(ReleaseJson(v));
        return Json(200, {{"items", items}});
      },
      oas::Object({{"items", oas::Array(Ref("Release"))}}));
  rt.Add("POST", "/api/v1/orgs/{org}/services/{id}/rollback", A::kOrg, "releases",
      "Roll the service back to a kept release: {version, dry_run?}. A dry run answers 200 {changes: {source, "
      "variables: {added, removed, changed}, domains, ports}} (keys only, never values); otherwise 202 {job_id, "
      "deployment_id} for a deployment of that release's exact source and variables (services.update)",
      {200, 202, 400, 401, 403, 404, 409},
      [&s, rollback_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, rollback_fields));
        // VersionField's own message for a missing or malformed version, before the generic ones.
        WHARF_ASSIGN_OR_RETURN(int64_t version, VersionField(b));
        WHARF_TRY(b.Check());
        WHARF_ASSIGN_OR_RETURN(auto dry, b.OptBool("dry_run"));
        WHARF_ASSIGN_OR_RETURN(auto out, s.releases().Rollback(c.p(), c.params[1], version, dry.value_or(false), c.ctx));
        if (out.changes) return Json(200, *out.changes);
        const auto& d = *out.deployment;
        return Json(202, {{"job_id", d.id}, {"deployment_id", d.id}, {"version", version}, {"status", d.status}});
      },
      Ref("RollbackPreview"))
      .Request(rollback_fields)
      .Returns(202, oas::Object({{"job_id", oas::String()}, {"deployment_id", oas::String("The same id")},
                                 {"version", oas::Integer()}, {"status", oas::String("queued")}}));
  rt.Add("PATCH", "/api/v1/orgs/{org}/services/{id}/releases/{version}", A::kOrg, "releases",
      "Pin or unpin a release: {pinned}; a pinned release is never pruned (services.update)", {200, 400, 401, 403, 404},
      [&s, pin_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, pin_fields));
        WHARF_ASSIGN_OR_RETURN(auto pinned, b.OptBool("pinned"));
        if (!pinned) return FieldError("pinned", "is required: true to keep the release from pruning, false to allow it");
        WHARF_TRY(b.Check());
        std::string v(c.params[2]);
        if (!v.empty() && v[0] == 'v') v = v.substr(1);
        if (v.empty() || v.size() > 11 || !std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
          return FieldError("version", "must be a release number like 3 or v3");
        WHARF_ASSIGN_OR_RETURN(auto r, s.releases().PinRelease(c.p(), c.params[1], std::stoll(v), *pinned, c.ctx));
        return Json(200, ReleaseJson({r, false}));
      },
      Ref("Release"))
      .Request(pin_fields);

  rt.Add("GET", "/api/v1/orgs/{org}/services/{id}/logs", A::kOrg, "releases",
      "The service's runtime logs (`dokku logs <app> -n N [-t]`) as Server-Sent Events: 'line' events {ts, process, "
      "text} with the service's secrets redacted, then one 'end' event; ?tail= 0..10000 (default 100), ?follow=true "
      "keeps streaming new lines until the client leaves (at most --log-streams-per-server per server: 429 beyond) "
      "(services.read)", {200, 400, 401, 403, 404, 409, 429},
      [&s](Call& c) -> Result<HttpResponse> {
        int tail = 100;
        if (std::string t = c.req.Query("tail"); !t.empty()) {
          if (t.size() > 5 || !std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            return FieldError("tail", "must be a number of lines, 0..10000");
          tail = std::stoi(t);
        }
        const std::string f = c.req.Query("follow");
        if (!f.empty() && f != "true" && f != "false") return FieldError("follow", "must be true or false");
        const bool follow = f == "true";
        WHARF_ASSIGN_OR_RETURN(auto st, s.runtime_logs().Open(c.p(), c.params[1], tail, follow, c.ctx));
        // The stream closes the node's command once the response is gone (the client left): the
        // last copy of `closer` (held by the producer below) runs its deleter.
        std::shared_ptr<void> closer(nullptr, [st](void*) { st->Close(); });
        struct State {
          bool ended = false;
          std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
          std::chrono::steady_clock::time_point last_check = std::chrono::steady_clock::now();
        };
        auto state = std::make_shared<State>();
        auto access = std::make_shared<StreamAccess>(s, c.who, c.params[0], c.p());
        auto ctx = c.ctx;
        std::string id(c.params[1]);
        HttpResponse r;
        r.content_type = "text/event-stream";
        r.stream = [&s, st, closer, state, access, ctx, id]() -> std::optional<std::string> {
          if (state->ended) return std::nullopt;
          const auto now = std::chrono::steady_clock::now();
          if (auto revoked = access->Recheck(ctx)) {
            state->ended = true;
            return *revoked;
          }
          if (now - state->last_check > std::chrono::milliseconds(s.config().stream_recheck_ms)) {
            state->last_check = now;
            if (auto may = s.runtime_logs().MayRead(access->principal(), id, ctx); !may) {
              state->ended = true;
              if (auto revoked = StreamAccess::Revoked(may.error())) return *revoked;
              return SseEvent("end", Dump({{"status", "revoked"}, {"error", may.error().message}}));
            }
          }
          bool ended = false;
          std::string error;
          std::string out;
          for (auto& l : st->Take(&ended, &error))
            out += SseEvent("line", Dump({{"ts", l.ts.empty() ? json() : json(l.ts)},
                                          {"process", l.process.empty() ? json() : json(l.process)}, {"text", l.text}}));
          if (ended) {
            state->ended = true;
            out += SseEvent("end", Dump({{"status", error.empty() ? "ended" : "failed"},
                                         {"error", error.empty() ? json() : json(error)}}));
          }
          // A comment now and then: a write is how a reader that left is noticed.
          if (out.empty() && now - state->last_write > std::chrono::seconds(2)) out = ": keep-alive\n\n";
          if (!out.empty()) state->last_write = now;
          return out;
        };
        return r;
      })
      .Media("text/event-stream",
             json{{"oneOf", json::array({oas::Object({{"ts", oas::Nullable(oas::String())},
                                                      {"process", oas::Nullable(oas::String("web.1, worker.1, …"))},
                                                      {"text", oas::String("Secrets redacted")}}),
                                         oas::Object({{"status", oas::Enum({"ended", "failed", "revoked"})},
                                                      {"error", oas::Nullable(oas::String())}})})}})
      .Query("tail", json{{"type", "integer"}, {"minimum", 0}, {"maximum", 10000}, {"default", 100}},
             "Lines of history to send first")
      .Query("follow", json{{"type", "boolean"}, {"default", false}}, "Keep streaming new lines until the client leaves")
      .Description("Events: `line` (data: JSON {ts, process, text}), finally `end` (data: JSON {status, error}); "
                   "`revoked` when the caller's access ends mid-stream.");
}

}  // namespace wharf::api
