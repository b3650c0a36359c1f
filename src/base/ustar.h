// A minimal POSIX ustar writer (regular files, mode 0644), for archives Wharf builds in memory
// (the support bundle).
//
//   std::string tar;
//   WHARF_TRY(TarAdd(tar, "manifest.json", text, now_ms));
//   tar.append(1024, '\0');  // the end-of-archive marker
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"

namespace wharf {

// Appends one file. Errors (kValidationFailed, field "name"): a name that is empty, longer than
// 100 bytes (ustar's name field; the prefix field is not used) or holds a NUL; a file of 8 GiB
// or more (11 octal digits). A negative or too-large mtime is stored as 0.
Status TarAdd(std::string& out, std::string_view name, std::string_view data, Timestamp mtime_ms);

}  // namespace wharf
