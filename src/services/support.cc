// POST …/support-bundle: what support needs ("the Organisation slug, rough time of the failure, and
// any error text"), collected by Wharf itself into one archive, with no secret in it.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/strings.h"
#include "base/ustar.h"
#include "services/support.h"

namespace wharf::services {

using nlohmann::json;

namespace {

// The last `max_bytes` (at most) of `path`, starting at a line boundary; "" when unreadable.
std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f || max_bytes == 0) return {};
  f.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(std::max<std::streamoff>(0, f.tellg()));
  const size_t from = size > max_bytes ? size - max_bytes : 0;
  f.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  if (from > 0) text.erase(0, text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1);
  return text;
}

// The newest `budget` bytes of the rotated log at `path` (wharf.log, then wharf.1.log, …, as
// log::Init rotates it), oldest first. Bounded however large the files have grown.
std::vector<std::string> ReadLogTail(const std::string& path, size_t budget) {
  std::vector<std::string> newest_first;
  const auto dot = path.rfind('.');
  const bool has_ext = dot != std::string::npos && path.find('/', dot) == std::string::npos;
  for (int i = 0; i < 10 && budget > 0; ++i) {
    std::string p = i == 0 ? path
                    : has_ext ? path.substr(0, dot) + "." + std::to_string(i) + path.substr(dot)
                              : path + "." + std::to_string(i);
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) break;
    std::string t = ReadTail(p, budget);
    budget -= std::min(budget, t.size() + 1);
    newest_first.push_back(std::move(t));
  }
  return {newest_first.rbegin(), newest_first.rend()};
}
}  // namespace

Result<std::string> Support::SupportBundle(const authz::Principal& p, BundleInput in, const RequestContext& ctx) {
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

  // The org's log lines: those written while serving a request of this org (log::SetThreadOrg
  // tags them with its org_id; a request id of another org matches nothing). Only the newest
  // log_tail_bytes are read, from wharf.log and then its rotated predecessors. Logs never hold
  // secrets (SecretBytes cannot be formatted; request logs carry route patterns, not paths).
  std::string logs;
  const std::string from_ts = FormatRfc3339(from);  // same format as the lines' "ts": compares as text
  if (!config_.log_path.empty()) {
    for (const std::string& text : ReadLogTail(config_.log_path, config_.log_tail_bytes)) {
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        json j = json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("org_id") || j["org_id"] != p.org_id) continue;
        if (j.contains("ts") && j["ts"].is_string() && j["ts"].get<std::string>() < from_ts) continue;
        logs.append(line);
        logs += '\n';
      }
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
    if (auto d = diagnose_.Diagnose(p, std::move(di), ctx)) diag.push_back({{"error_text_layer", d->layer}, {"title", d->title}, {"likely_causes", d->causes}});
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

Support::Support(Core& core, Diagnostics& diagnose) : Feature(core), diagnose_(diagnose) {}

}  // namespace wharf::services
