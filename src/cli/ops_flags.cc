#include "cli/ops_flags.h"

#include <charconv>

#include "cli/command.h"
#include "cli/permission_flags.h"

namespace wharf::cli {

Result<PermissionRef> ParsePermissionRef(std::string_view s) {
  const auto sep = s.find_first_of(":.");
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == s.size())
    return UsageError("A permission is COLLECTION:ACTION, e.g. servers:update or ssh-keys:create (got '" + std::string(s) + "').");
  auto coll = CanonicalCollection(s.substr(0, sep));
  if (!coll)
    return UsageError("Unknown collection '" + std::string(s.substr(0, sep)) +
                      "'; use an API name such as servers, sshKeys, team or applications.");
  const std::string_view a = s.substr(sep + 1);
  std::string action;
  if (a == "c" || a == "create") action = "create";
  else if (a == "r" || a == "read") action = "read";
  else if (a == "u" || a == "update") action = "update";
  else if (a == "d" || a == "delete") action = "delete";
  else return UsageError("Unknown action '" + std::string(a) + "'; use create, read, update or delete.");
  return PermissionRef{*coll, action};
}

Result<int64_t> ParseSinceMinutes(std::string_view s) {
  int64_t n = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, n);
  int64_t mult = 1;
  if (ec == std::errc() && p + 1 == end) {
    mult = *p == 'm' ? 1 : *p == 'h' ? 60 : *p == 'd' ? 1440 : 0;
  } else if (ec != std::errc() || p != end) {
    mult = 0;
  }
  if (mult == 0 || s.empty())
    return UsageError("--since is a duration such as 30m, 2h or 1d (got '" + std::string(s) + "').");
  if (n < 1 || n > 7 * 1440 / mult) return UsageError("--since must be between 1m and 7d.");
  return n * mult;
}

std::string_view ChecklistGlyph(std::string_view status) {
  if (status == "passed") return "✔";
  if (status == "failed") return "✘";
  return "–";
}

}  // namespace wharf::cli
