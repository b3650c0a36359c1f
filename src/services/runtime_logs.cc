// Live runtime logs (runtime_logs.h; docs/releases.md "Runtime logs").
#include "services/runtime_logs.h"

#include <chrono>
#include <iterator>
#include <set>
#include <thread>

#include "base/log.h"
#include "base/strings.h"
#include "domain/variables.h"
#include "nodes/deploy_plan.h"
#include "nodes/dokku.h"
#include "services/app_model.h"
#include "services/releases.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {

// Removes ANSI escape sequences (ESC [ … letter), as `dokku logs` colours the prefix.
std::string StripAnsi(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
      size_t j = i + 2;
      while (j < s.size() && !((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z'))) ++j;
      i = j;
      continue;
    }
    out += s[i];
  }
  return out;
}

}  // namespace

LogLine ParseLogLine(std::string_view raw) {
  std::string line = StripAnsi(raw);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  LogLine l;
  // "2026-12-06T20:03:17.123456789Z app[web.1]: text"
  const size_t sp = line.find(' ');
  if (sp != std::string::npos && sp > 0 && line[sp - 1] == 'Z' && line.compare(sp + 1, 4, "app[") == 0) {
    const size_t close = line.find("]: ", sp + 5);
    if (close != std::string::npos) {
      l.ts = line.substr(0, sp);
      l.process = line.substr(sp + 5, close - sp - 5);
      l.text = line.substr(close + 3);
      return l;
    }
  }
  l.text = std::move(line);
  return l;
}

LogStream::LogStream(std::vector<std::string> secrets, size_t max_lines)
    : redactor_(std::move(secrets)), max_lines_(max_lines) {}

void LogStream::AddLine(std::string line) {
  lines_.push_back(ParseLogLine(line));
  if (lines_.size() > max_lines_) {
    lines_.pop_front();
    ++dropped_;
  }
}

void LogStream::Push(std::string_view chunk) {
  std::lock_guard lock(mu_);
  // Redacted first (the redactor holds back a tail that could start a secret), then cut in lines.
  partial_ += redactor_.Push(chunk);
  size_t start = 0;
  for (size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
    AddLine(partial_.substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (partial_.size() > 64 * 1024) {  // a line that never ends is sent in pieces
    AddLine(std::move(partial_));
    partial_.clear();
  }
}

void LogStream::Finish(std::string error) {
  std::lock_guard lock(mu_);
  partial_ += redactor_.Flush();
  if (!partial_.empty()) AddLine(std::move(partial_));
  partial_.clear();
  finished_ = true;
  error_ = std::move(error);
}

bool LogStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void LogStream::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

std::vector<LogLine> LogStream::Take(bool* ended, std::string* error) {
  std::lock_guard lock(mu_);
  std::vector<LogLine> out;
  if (dropped_ > 0) {
    out.push_back({"", "", "[wharf] " + std::to_string(dropped_) + " lines dropped: the reader fell behind"});
    dropped_ = 0;
  }
  out.insert(out.end(), std::make_move_iterator(lines_.begin()), std::make_move_iterator(lines_.end()));
  lines_.clear();
  *ended = finished_;
  *error = error_;
  return out;
}

RuntimeLogs::RuntimeLogs(Core& core, AppServices& app_services, NodeAccess& node_access)
    : Feature(core), app_services_(app_services), node_access_(node_access) {}

RuntimeLogs::~RuntimeLogs() {
  std::unique_lock lock(mu_);
  for (auto& w : live_)
    if (auto st = w.lock()) st->Close();
  // Each reader thread sees the close within Session::Stream's poll and ends.
  cv_.wait_for(lock, std::chrono::seconds(10), [&] { return running_ == 0; });
}

Status RuntimeLogs::MayRead(const authz::Principal& p, std::string_view service_id, const RequestContext& ctx) {
  return store_.Read([&](store::Tx& tx) -> Status {
    WHARF_TRY(app_services_.ServiceFor(tx, p, Action::kRead, service_id, ctx));
    return Ok();
  });
}

Result<std::shared_ptr<LogStream>> RuntimeLogs::Open(const authz::Principal& p, std::string_view service_id, int tail,
                                                     bool follow, const RequestContext& ctx) {
  if (tail < 0 || tail > 10000) return FieldError("tail", "must be 0..10000 lines");
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx, service_id));
  std::optional<NodeTarget> target;
  std::string app_name, server_id;
  std::vector<std::string> secrets;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto svc, app_services_.ServiceFor(tx, p, Action::kRead, service_id, ctx));
    if (svc.type == "database")
      return Err(ErrorCode::kConflict, "A database service has no app logs: its container is the plugin's.");
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, svc.application_id));
    if (!app) return Err(ErrorCode::kNotFound, "Application not found in this organisation.");
    if (app->server_id.empty()) return Err(ErrorCode::kConflict, "The application has no server: set its server_id first.");
    WHARF_ASSIGN_OR_RETURN(auto server, tx.servers().Find(p.org_id, app->server_id));
    if (!server) return Err(ErrorCode::kNotFound, "The application's server was removed from Wharf.");
    WHARF_ASSIGN_OR_RETURN(app_name, nodes::deploy::DokkuName(app->name, svc.name));
    server_id = server->id;
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    // Every value the app may print: its variables resolved as a deploy resolves them, and the
    // current release's (a rollback may run older ones).
    WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(p.org_id, app->id));
    auto vars = apps::ApplicationVars(envelope_, *org, all, {}, nullptr, app->name);
    if (vars) {
      auto resolved = domain::Resolver(*vars).Resolve(svc.name);
      if (resolved)
        for (auto& [k, v] : *resolved) secrets.push_back(v);
    }
    WHARF_ASSIGN_OR_RETURN(auto kept, tx.releases().List(p.org_id, svc.id));
    if (!kept.empty()) {
      WHARF_ASSIGN_OR_RETURN(auto snap, releases::OpenSnapshot(envelope_, *org, kept.front()));
      for (auto& [k, v] : snap) secrets.push_back(v);
    }
    WHARF_ASSIGN_OR_RETURN(target, node_access_.LoadNodeTarget(tx, *server));
    return Ok();
  }));
  // Multi-line values are also redacted line by line: the stream is cut in lines after redaction.
  std::vector<std::string> all_secrets;
  for (auto& v : secrets) {
    all_secrets.push_back(v);
    if (v.find('\n') == std::string::npos) continue;
    size_t start = 0;
    for (size_t nl = v.find('\n'); ; nl = v.find('\n', start)) {
      std::string part = v.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (Trim(part).size() >= 4) all_secrets.push_back(part);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  auto st = std::make_shared<LogStream>(std::move(all_secrets));
  {
    std::lock_guard lock(mu_);
    if (follow) {
      int& n = follow_per_server_[server_id];
      if (n >= config_.log_streams_per_server) {
        Error e = Err(ErrorCode::kRateLimited, "This server already streams " + std::to_string(n) +
                                                   " live logs, the most it allows (--log-streams-per-server): close "
                                                   "one, or read the last lines without follow=true.")
                      .value();
        e.details["retry_after"] = 5;
        return tl::unexpected(std::move(e));
      }
      ++n;
    }
    ++running_;
    std::erase_if(live_, [](const auto& w) { return w.expired(); });
    live_.push_back(st);
  }
  const auto argv = nodes::dokku::Logs(app_name, tail, follow, false);
  const auto timeout = follow ? std::chrono::milliseconds(std::chrono::hours(24))
                              : std::chrono::milliseconds(config_.command_timeout_ms);
  auto opts = node_access_.NodeConnectOptions();
  std::thread([this, st, t = std::move(target->target), opts, argv, timeout, follow, server_id] {
    nodes::ConnectFailure failure = nodes::ConnectFailure::kNone;
    std::string fp;
    auto conn = nodes_.Open(t, opts, &failure, &fp);
    if (!conn) {
      st->Finish("Cannot sign in to the server: " + conn.error().message);
    } else {
      auto r = (*conn)->Stream(argv, [&](std::string_view chunk) { st->Push(chunk); }, timeout,
                               [&] { return st->closed(); });
      if (!r) st->Finish(st->closed() ? "" : "Lost the connection to the server: " + r.error().message);
      else st->Finish(*r == 0 ? "" : "dokku logs exited with status " + std::to_string(*r));
    }
    std::lock_guard lock(mu_);
    if (follow) --follow_per_server_[server_id];
    --running_;
    cv_.notify_all();
  }).detach();
  return st;
}

}  // namespace wharf::services
