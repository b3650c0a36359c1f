#include "cli/rule_flags.h"

#include <charconv>

namespace wharf::cli {

using nlohmann::json;

namespace {

bool ParsePort(std::string_view s, int* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<json> ParseRuleSpec(std::string_view spec, std::string_view flag) {
  const std::string example = " is not of the form TYPE[:PORT[-PORT]]=SOURCE, e.g. ssh=203.0.113.0/24 or "
                              "custom-tcp:8000-8100=10.0.0.0/8";
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
    return FieldError(flag, "'" + std::string(spec) + "'" + example);
  std::string_view left = spec.substr(0, eq);
  json rule = {{"source", std::string(spec.substr(eq + 1))}};
  auto colon = left.find(':');
  rule["type"] = std::string(left.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view ports = left.substr(colon + 1);
    auto dash = ports.find('-');
    int from = 0, to = 0;
    if (!ParsePort(ports.substr(0, dash), &from) ||
        (dash != std::string_view::npos && !ParsePort(ports.substr(dash + 1), &to)))
      return FieldError(flag, "'" + std::string(spec) + "' has ports '" + std::string(ports) +
                                  "'; give a port (8080) or a range (8000-8100)");
    rule["from_port"] = from;
    rule["to_port"] = dash == std::string_view::npos ? from : to;
  }
  if (rule["type"].get<std::string>().empty()) return FieldError(flag, "'" + std::string(spec) + "'" + example);
  return rule;
}

std::string DescribeRule(const json& r) {
  std::string s = r.value("type", "");
  std::string proto = r.value("protocol", "");
  if (r.contains("from_port") && r["from_port"].is_number()) {
    int from = r["from_port"], to = r.value("to_port", from);
    s += " " + std::to_string(from) + (to != from ? "-" + std::to_string(to) : "") + "/" + proto;
  } else if (!proto.empty() && proto != s) {
    s += " " + proto;
  }
  s += " from " + r.value("source", "");
  return s;
}

}  // namespace wharf::cli
