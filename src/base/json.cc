#include "base/json.h"

#include <string>

namespace wharf {

namespace {

using nlohmann::json;

// Forwards to nlohmann's own DOM builder and stops the parser (returns false) at the first limit
// crossed, remembering which.
class LimitedSax {
 public:
  enum class Over { kNone, kDepth, kValues, kString };

  LimitedSax(json& root, const JsonLimits& limits) : dom_(root, false), limits_(limits) {}

  bool null() { return Count() && dom_.null(); }
  bool boolean(bool v) { return Count() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return Count() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Count() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return Count() && dom_.number_float(v, s); }
  bool string(json::string_t& s) { return Count() && Fits(s) && dom_.string(s); }
  bool binary(json::binary_t& b) { return Count() && dom_.binary(b); }
  bool key(json::string_t& s) { return Count() && Fits(s) && dom_.key(s); }
  bool start_object(std::size_t n) { return Count() && Enter() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Count() && Enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& last_token, const json::exception& ex) {
    error_position_ = position;
    return dom_.parse_error(position, last_token, ex);
  }

  Over over() const { return over_; }
  size_t error_position() const { return error_position_; }

 private:
  bool Count() {
    if (++values_ <= limits_.max_values) return true;
    over_ = Over::kValues;
    return false;
  }
  bool Enter() {
    if (++depth_ <= limits_.max_depth) return true;
    over_ = Over::kDepth;
    return false;
  }
  bool Fits(const json::string_t& s) {
    if (s.size() <= limits_.max_string_bytes) return true;
    over_ = Over::kString;
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const JsonLimits& limits_;
  int depth_ = 0;
  size_t values_ = 0;
  size_t error_position_ = 0;
  Over over_ = Over::kNone;
};

}  // namespace

Result<json> ParseUntrustedJson(std::string_view text, std::string_view field, const JsonLimits& limits) {
  const std::string f(field);
  if (text.size() > limits.max_bytes)
    return Err(ErrorCode::kPayloadTooLarge,
               f + " is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(limits.max_bytes));
  json root;
  LimitedSax sax(root, limits);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &sax, json::input_format_t::json, true);
  } catch (const json::exception&) {  // the DOM builder's own refusals (none expected)
    ok = false;
  }
  switch (sax.over()) {
    case LimitedSax::Over::kDepth:
      return FieldError(f, "nests objects and arrays deeper than " + std::to_string(limits.max_depth) +
                               " levels; send a flatter document");
    case LimitedSax::Over::kValues:
      return Err(ErrorCode::kPayloadTooLarge, f + " holds more than " + std::to_string(limits.max_values) +
                                                  " JSON values; send fewer items per request");
    case LimitedSax::Over::kString:
      return FieldError(f, "has a string or key longer than " + std::to_string(limits.max_string_bytes) +
                               " bytes");
    case LimitedSax::Over::kNone:
      break;
  }
  if (!ok) return FieldError(f, "is not valid JSON (at byte " + std::to_string(sax.error_position()) + ")");
  return root;
}

std::vector<std::string> StoredStringArray(std::string_view text) {
  std::vector<std::string> out;
  nlohmann::json a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (auto& v : a)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace wharf
