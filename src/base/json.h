// Parsing JSON that comes from outside the process (request bodies, webhook deliveries), with the
// limits enforced while the text is read, before any tree deeper or larger than them exists.
//
//   WHARF_ASSIGN_OR_RETURN(nlohmann::json body, ParseUntrustedJson(req.body, "body"));
//
// Why: nlohmann::json parses iteratively, but dump(), copies and comparisons recurse once per
// level, so a 100,000-deep array sent by anyone would overflow the stack of whatever touches it
// next. A body over the limits never becomes a json value. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace wharf {

struct JsonLimits {
  size_t max_bytes = 1 << 20;         // the text itself (the HTTP server's body limit too)
  int max_depth = 32;                 // nested objects and arrays; the document itself is level 1
  size_t max_values = 20000;          // every value, key and container, counted once
  size_t max_string_bytes = 64 * 1024;  // one string or key (a variable value is at most 32 KiB)
};

// Errors (each naming `field` and the limit): kPayloadTooLarge when the text or its count of
// values is over the limit; kValidationFailed for nesting deeper than max_depth, a string longer
// than max_string_bytes, or text that is not JSON (with the byte offset of the problem).
Result<nlohmann::json> ParseUntrustedJson(std::string_view text, std::string_view field,
                                          const JsonLimits& limits = {});

// The strings of a JSON array Wharf stored itself (id lists, domains, event names); anything that
// is not an array, and any element that is not a string, reads as absent.
std::vector<std::string> StoredStringArray(std::string_view text);

}  // namespace wharf
