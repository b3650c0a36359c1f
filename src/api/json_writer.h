// JsonWriter: appends JSON directly to a string, for hot list responses where building an
// nlohmann tree per row costs more than the database work. Values must be valid UTF-8 (every
// stored text field is validated on input); control characters, quotes and backslashes are
// escaped.
//
//   JsonWriter w;
//   w.BeginObject(); w.Key("id"); w.String(k.id); w.Key("n"); w.Int(3); w.EndObject();
//   std::string body = w.Take();
//
// Not thread-safe; one writer per response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace wharf::api {

class JsonWriter {
 public:
  explicit JsonWriter(size_t reserve = 4096) { out_.reserve(reserve); }
  void BeginObject() { Sep(); out_.push_back('{'); first_ = true; }
  void EndObject() { out_.push_back('}'); first_ = false; }
  void BeginArray() { Sep(); out_.push_back('['); first_ = true; }
  void EndArray() { out_.push_back(']'); first_ = false; }
  void Key(std::string_view k) {
    Sep();
    Quoted(k);
    out_.push_back(':');
    first_ = true;  // the value follows without a comma
  }
  void String(std::string_view v) { Sep(); Quoted(v); }
  void Int(int64_t v) { Sep(); out_ += std::to_string(v); }
  void Bool(bool v) { Sep(); out_ += v ? "true" : "false"; }
  void Null() { Sep(); out_ += "null"; }
  void Time(Timestamp t);  // RFC 3339 UTC with milliseconds
  std::string Take() { return std::move(out_); }

 private:
  void Sep() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void Quoted(std::string_view s);
  std::string out_;
  bool first_ = true;
};

}  // namespace wharf::api
