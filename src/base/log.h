// Structured logging: one JSON object per line, through spdlog.
//
//   log::Info("request", {{"request_id", rid}, {"route", "/api/v1/me"}, {"status", 200}});
//
// Callers must never pass a secret; SecretBytes prints "[redacted]" even by accident.
// Thread-safety: all functions are safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wharf::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sends logs to stderr, and also to `file_path` when not empty. Call once at start. With
// `max_file_bytes` > 0 the file rotates at that size: FILE → FILE.1 … FILE.`max_files`
// (spdlog's naming: wharf.log → wharf.1.log), the oldest dropped, so the logs stay bounded.
void Init(Level min_level, const std::string& file_path = {}, size_t max_file_bytes = 0, size_t max_files = 0);

// Tags every line this thread writes with "org_id" (the api calls it once it has resolved the
// caller's organisation of a request), so a support bundle can take one organisation's lines.
void SetThreadOrg(std::string_view org_id);
// Clears the thread's org tag when it goes out of scope (one per request, in the dispatcher).
class ThreadOrgScope {
 public:
  ThreadOrgScope() { SetThreadOrg({}); }
  ~ThreadOrgScope() { SetThreadOrg({}); }
  ThreadOrgScope(const ThreadOrgScope&) = delete;
  ThreadOrgScope& operator=(const ThreadOrgScope&) = delete;
};
void Write(Level level, std::string_view event, nlohmann::json fields = nlohmann::json::object());
// True when `level` would be written; check it before building costly fields.
bool Enabled(Level level);
inline void Debug(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kDebug, e, std::move(f)); }
inline void Info(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kInfo, e, std::move(f)); }
inline void Warn(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kWarn, e, std::move(f)); }
inline void Error(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kError, e, std::move(f)); }

}  // namespace wharf::log
