// How the command-line client prints: aligned tables for people, JSON or YAML for scripts, and
// colour only on a terminal that wants it.
//
//   cli::Table t{{"NAME", "ROLE"}, {{"ada@example.com", "Admin"}}};
//   std::cout << cli::RenderTable(t, cli::UseColor(STDOUT_FILENO));
//   std::cout << cli::ToYaml(nlohmann::json{{"name", "Acme"}});
//
// Pure functions except UseColor (reads the environment and isatty); thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace wharf::cli {

enum class Format { kTable, kJson, kYaml };

// "table", "json" or "yaml"; anything else is a usage error naming the choices.
Result<Format> ParseFormat(std::string_view s);

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};

// Columns padded to their widest cell (counted in code points, so ✔ is one column) and separated
// by two spaces; the last column is not padded. Headers are bold when `color` is true. Missing
// cells in short rows render empty.
std::string RenderTable(const Table& table, bool color);

// Number of terminal columns a UTF-8 string takes (one per code point; no wide-glyph tables).
size_t DisplayWidth(std::string_view s);

// Block-style YAML for a JSON value. Strings that YAML could read as another type are quoted.
std::string ToYaml(const nlohmann::json& value);

// Prints `value` as JSON (2-space indent) or YAML, with a trailing newline.
std::string Render(const nlohmann::json& value, Format format);

// True when `fd` is a terminal, NO_COLOR is unset or empty, and TERM is not "dumb".
bool UseColor(int fd);

// Wraps text in an ANSI style when `color` is true ("1" bold, "31" red, "32" green, "33" yellow, "2" dim).
std::string Style(std::string_view text, std::string_view sgr, bool color);

// A cell for a JSON value: strings as-is, null as "", true/false as "yes"/"no", others dumped.
std::string Cell(const nlohmann::json& v);

}  // namespace wharf::cli
