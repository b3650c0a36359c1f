// Parsing the arguments of `wharf explain`, `wharf support-bundle` and `wharf doctor`, and the
// checklist glyphs `wharf doctor` prints. Pure functions; every error is a usage error (exit 2).
//
//   WHARF_ASSIGN_OR_RETURN(PermissionRef ref, ParsePermissionRef("ssh-keys:create"));  // {sshKeys, create}
//   WHARF_ASSIGN_OR_RETURN(int64_t minutes, ParseSinceMinutes("2h"));                  // 120
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace wharf::cli {

struct PermissionRef {
  std::string collection;  // the API's name: "sshKeys"
  std::string action;      // create, read, update or delete
};

// "servers:update", "servers.update", "ssh-keys:c": a collection (any spelling CanonicalCollection
// knows) and an action (a word or its letter).
Result<PermissionRef> ParsePermissionRef(std::string_view s);

// "60m", "2h", "1d" or a bare number of minutes; 1 minute to 7 days.
Result<int64_t> ParseSinceMinutes(std::string_view s);

// "✔" passed, "✘" failed, "–" anything else (not applicable, skipped).
std::string_view ChecklistGlyph(std::string_view status);

}  // namespace wharf::cli
