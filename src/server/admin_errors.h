// How a `wharf admin` command reports a use case's error: the message and each bad field on
// stderr, and the exit code of docs/cli.md (2 bad input, 3 not found, 5 conflict, 1 otherwise).
#pragma once

#include <iostream>

#include "base/error.h"

namespace wharf::server {

inline int AdminFail(const Error& e) {
  std::cerr << "wharf: " << e.message;
  if (e.details.contains("fields"))
    for (auto& [k, v] : e.details["fields"].items()) std::cerr << " (" << k << ": " << v.get<std::string>() << ")";
  std::cerr << "\n";
  switch (e.code) {
    case ErrorCode::kValidationFailed: return 2;
    case ErrorCode::kNotFound: return 3;
    case ErrorCode::kConflict: return 5;
    default: return 1;
  }
}

}  // namespace wharf::server
