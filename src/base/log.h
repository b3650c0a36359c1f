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

// Sends logs to stderr, and also to `file_path` when not empty. Call once at start.
void Init(Level min_level, const std::string& file_path = {});
void Write(Level level, std::string_view event, nlohmann::json fields = nlohmann::json::object());
// True when `level` would be written; check it before building costly fields.
bool Enabled(Level level);
inline void Debug(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kDebug, e, std::move(f)); }
inline void Info(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kInfo, e, std::move(f)); }
inline void Warn(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kWarn, e, std::move(f)); }
inline void Error(std::string_view e, nlohmann::json f = nlohmann::json::object()) { Write(Level::kError, e, std::move(f)); }

}  // namespace wharf::log
