// POST …/support-bundle: what support needs ("the Organisation slug, rough time of the failure, and
// any error text"), collected by Wharf itself into one archive, with no secret in it.
#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/ustar.h"
#include "services/services.h"

namespace wharf::services {

using nlohmann::json;


Result<std::string> Services::SupportBundle(const authz::Principal& p, BundleInput in, const RequestContext& ctx) {
  WHARF_TRY(RequireAdmin(p, "support-bundle.create", ctx));
  if (in.since_minutes < 1 || in.since_minutes > 7 * 24 * 60)
    return FieldError("since_minutes", "must be 1–10080 (how far back the failure was, in minutes)");
  if (in.request_ids.size() > 100) return FieldError("request_ids", "lists more than 100 ids");
  const Timestamp now = clock_.Now();
  const Timestamp from = now - in.since_minutes * 60'000;
  std::string tar;

  // Audit events of the org in the window.
  std::string audit;
  std::set<std::string> request_ids(in.request_ids.begin(), in.request_ids.end());
  std::vector<domain::Server> servers;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    int64_t before = 0;
    for (int pages = 0; pages < 100; ++pages) {
      WHARF_ASSIGN_OR_RETURN(auto events, tx.audit().List(p.org_id, before, 500));
      bool older = false;
      for (size_t i = 0; i < events.size() && i < 500; ++i) {
        auto& e = events[i];
        if (e.at < from) {
          older = true;
          break;
        }
        request_ids.insert(e.request_id);
        audit += json{{"id", e.id}, {"at", e.at}, {"actor_id", e.actor_id}, {"actor_email", e.actor_email}, {"action", e.action},
                      {"collection", e.collection}, {"resource_id", e.resource_id}, {"outcome", e.outcome},
                      {"request_id", e.request_id}, {"detail", e.detail}}
                     .dump() + "\n";
      }
      if (older || events.size() <= 500) break;
      before = events[499].id;
    }
    store::PageQuery q;
    q.limit = 1000;
    WHARF_ASSIGN_OR_RETURN(servers, tx.servers().List(p.org_id, q));
    return Ok();
  }));

  // Log lines of those requests, or that name the org, in the window. Logs never hold secrets
  // (SecretBytes cannot be formatted; request logs carry route patterns, not paths).
  std::string logs;
  if (!config_.log_path.empty()) {
    std::ifstream f(config_.log_path);
    std::string line;
    size_t bytes = 0;
    while (std::getline(f, line) && bytes < (32u << 20)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      bool ours = (j.contains("request_id") && j["request_id"].is_string() && request_ids.count(j["request_id"])) ||
                  line.find(p.org_id) != std::string::npos || line.find("\"" + p.org_slug + "\"") != std::string::npos;
      if (!ours) continue;
      logs += line + "\n";
      bytes += line.size();
    }
  }

  json srv = json::array();
  json diag = json::array();
  for (auto& s : servers) {
    srv.push_back({{"id", s.id}, {"name", s.name}, {"host", s.host}, {"port", s.port}, {"username", s.username},
                   {"status", s.status}, {"last_error", s.last_error}, {"last_check_at", s.last_check_at},
                   {"host_key_fingerprint", s.host_key_fingerprint}, {"security_group_ids", s.security_group_ids}});
    if (!s.last_check.empty()) diag.push_back({{"server_id", s.id}, {"last_check", json::parse(s.last_check, nullptr, false)}});
  }
  if (in.error_text) {
    DiagnoseInput di;
    di.error_text = in.error_text;
    if (auto d = Diagnose(p, std::move(di), ctx)) diag.push_back({{"error_text_layer", d->layer}, {"title", d->title}, {"likely_causes", d->causes}});
  }
  json manifest = {{"org", p.org_slug}, {"org_id", p.org_id}, {"wharf_version", config_.version}, {"generated_at", now},
                   {"window", {{"from", from}, {"to", now}}}, {"request_ids", std::vector<std::string>(request_ids.begin(), request_ids.end())},
                   {"error_text", in.error_text ? json(*in.error_text) : json()},
                   {"files", {"manifest.json", "audit.jsonl", "logs.jsonl", "servers.json", "diagnose.json", "config.json"}}};
  WHARF_TRY(TarAdd(tar, "manifest.json", manifest.dump(2), now));
  WHARF_TRY(TarAdd(tar, "audit.jsonl", audit, now));
  WHARF_TRY(TarAdd(tar, "logs.jsonl", logs, now));
  WHARF_TRY(TarAdd(tar, "servers.json", srv.dump(2), now));
  WHARF_TRY(TarAdd(tar, "diagnose.json", diag.dump(2), now));
  WHARF_TRY(TarAdd(tar, "config.json", config_.redacted_config_json, now));
  tar.append(1024, '\0');
  WHARF_TRY(WriteTx([&](store::Tx& tx) {
    return AuditIn(tx, p, "support-bundle.create", "org", p.org_id, ctx, std::to_string(in.since_minutes) + " min");
  }));
  return tar;
}

}  // namespace wharf::services
