#include "base/log.h"

#include <memory>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"

namespace wharf::log {

namespace {
std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("wharf", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return logger;
}
spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}
thread_local std::string thread_org;

const char* Name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}
}  // namespace

void Init(Level min_level, const std::string& file_path, size_t max_file_bytes, size_t max_files) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  if (!file_path.empty() && max_file_bytes > 0)
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file_path, max_file_bytes, max_files));
  else if (!file_path.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file_path));
  auto l = std::make_shared<spdlog::logger>("wharf", sinks.begin(), sinks.end());
  l->set_pattern("%v");
  l->set_level(ToSpd(min_level));
  l->flush_on(spdlog::level::info);
  Logger() = l;
}

void SetThreadOrg(std::string_view org_id) { thread_org.assign(org_id); }

bool Enabled(Level level) { return Logger()->should_log(ToSpd(level)); }

void Write(Level level, std::string_view event, nlohmann::json fields) {
  auto& l = Logger();
  if (!l->should_log(ToSpd(level))) return;
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = FormatRfc3339(SystemClock().Now());
  line["level"] = Name(level);
  line["event"] = event;
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  }
  if (!thread_org.empty()) line["org_id"] = thread_org;
  l->log(ToSpd(level), line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace wharf::log
