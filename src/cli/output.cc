#include "cli/output.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace wharf::cli {

using nlohmann::json;

Result<Format> ParseFormat(std::string_view s) {
  if (s == "table" || s.empty()) return Format::kTable;
  if (s == "json") return Format::kJson;
  if (s == "yaml") return Format::kYaml;
  return FieldError("output", "must be table, json or yaml");
}

size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string Style(std::string_view text, std::string_view sgr, bool color) {
  if (!color) return std::string(text);
  return "\x1b[" + std::string(sgr) + "m" + std::string(text) + "\x1b[0m";
}

std::string RenderTable(const Table& table, bool color) {
  std::vector<size_t> width(table.headers.size(), 0);
  for (size_t i = 0; i < table.headers.size(); ++i) width[i] = DisplayWidth(table.headers[i]);
  for (const auto& row : table.rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string l;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : std::string();
      // Control characters from the server never reach the terminal raw.
      for (char& ch : cell)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
      bool last = i + 1 == width.size();
      std::string pad = last ? "" : std::string(width[i] - DisplayWidth(cell) + 2, ' ');
      l += (header ? Style(cell, "1", color) : cell) + pad;
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(table.headers, true);
  for (const auto& row : table.rows) line(row, false);
  return out;
}

namespace {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kSpecial[] = {"true", "false", "yes", "no", "on", "off", "null", "~", "True", "False",
                                   "Yes", "No", "NULL", "Null", "y", "n", "Y", "N"};
  for (const char* k : kSpecial)
    if (s == k) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end && *end == '\0') return true;  // reads as a number
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || c == '"' || c == '\\') return true;
  }
  if (std::string("-?:,[]{}#&*!|>'%@`").find(s.front()) != std::string::npos) return true;
  return s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':';
}

std::string Scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return NeedsQuotes(s) ? json(s).dump() : s;  // a JSON string is a valid YAML double-quoted scalar
  }
  if (v.is_null()) return "null";
  return v.dump();
}

bool IsEmptyContainer(const json& v) { return (v.is_object() || v.is_array()) && v.empty(); }

void Emit(const json& v, int indent, std::string& out) {
  std::string pad(indent, ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string key = NeedsQuotes(it.key()) ? json(it.key()).dump() : it.key();
      const json& c = it.value();
      if ((c.is_object() || c.is_array()) && !c.empty()) {
        out += pad + key + ":\n";
        Emit(c, indent + 2, out);
      } else {
        out += pad + key + ": " + (IsEmptyContainer(c) ? (c.is_object() ? "{}" : "[]") : Scalar(c)) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const json& c : v) {
      if (c.is_object() && !c.empty()) {
        std::string inner;
        Emit(c, indent + 2, inner);
        // "- " takes the place of the first line's indentation.
        out += pad + "- " + inner.substr(indent + 2);
      } else if (c.is_array() && !c.empty()) {
        out += pad + "-\n";
        Emit(c, indent + 2, out);
      } else {
        out += pad + "- " + (IsEmptyContainer(c) ? (c.is_object() ? "{}" : "[]") : Scalar(c)) + "\n";
      }
    }
  } else {
    out += pad + Scalar(v) + "\n";
  }
}

}  // namespace

std::string ToYaml(const json& value) {
  if (IsEmptyContainer(value)) return value.is_object() ? "{}\n" : "[]\n";
  std::string out;
  Emit(value, 0, out);
  return out;
}

std::string Render(const json& value, Format format) {
  if (format == Format::kYaml) return ToYaml(value);
  return value.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

bool UseColor(int fd) {
  const char* no = std::getenv("NO_COLOR");
  if (no && *no) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return isatty(fd) == 1;
}

std::string Cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

}  // namespace wharf::cli
