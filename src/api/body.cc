#include "api/body.h"

#include <algorithm>

#include "base/json.h"
#include "base/strings.h"

namespace wharf::api {

using nlohmann::json;

Result<Body> Body::Parse(const HttpRequest& req, const std::vector<std::string_view>& allowed) {
  return ParseImpl(req, allowed, false);
}

Result<Body> Body::ParseAll(const HttpRequest& req, const std::vector<std::string_view>& allowed) {
  return ParseImpl(req, allowed, true);
}

Result<Body> Body::Parse(const HttpRequest& req, const Fields& fields) { return ParseDeclared(req, fields, false); }

Result<Body> Body::ParseAll(const HttpRequest& req, const Fields& fields) { return ParseDeclared(req, fields, true); }

Result<Body> Body::ParseDeclared(const HttpRequest& req, const Fields& fields, bool defer) {
  std::vector<std::string_view> allowed;
  for (const Field& f : fields) allowed.push_back(f.name);
  WHARF_ASSIGN_OR_RETURN(Body b, ParseImpl(req, allowed, true));
  b.fields_ = &fields;
  for (const Field& f : fields) {
    if (!b.Has(f.name.c_str())) {
      if (f.required) b.problems_[f.name] = "is required";
      continue;
    }
    b.KeepStatus(CheckField(f, b.Raw(f.name.c_str())));
  }
  if (!defer) WHARF_TRY(b.Check());
  return b;
}

size_t Body::MaxLen(const char* name, size_t max_len) const {
  if (max_len) return max_len;
  if (fields_)
    if (const Field* f = FindField(*fields_, name)) return f->max_len;
  return 4096;
}

Result<Body> Body::ParseImpl(const HttpRequest& req, const std::vector<std::string_view>& allowed,
                             bool defer_unknown) {
  Body b;
  if (req.body.empty()) {
    b.j_ = json::object();
    return b;
  }
  std::string_view ct = req.Header("content-type");
  if (!ct.empty() && !IsJsonMediaType(ct))
    return Err(ErrorCode::kUnsupportedMedia, "Send the body as JSON with Content-Type: application/json.");
  WHARF_ASSIGN_OR_RETURN(b.j_, ParseUntrustedJson(req.body, "body"));
  if (!b.j_.is_object()) return FieldError("body", "must be a JSON object");
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  for (auto& [k, v] : b.j_.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    b.problems_[k] = "is not a known field" + (list.empty() ? std::string() : "; allowed: " + list);
  }
  if (!defer_unknown) WHARF_TRY(b.Check());
  return b;
}

void Body::Collect(const Error& e) const {
  if (e.code != ErrorCode::kValidationFailed || !e.details.contains("fields")) {
    if (!first_other_) first_other_ = e;
    return;
  }
  for (auto& [k, v] : e.details["fields"].items())
    if (!problems_.contains(k)) problems_[k] = v;
}

Status Body::Check() const {
  if (first_other_) return Err(*first_other_);
  if (problems_.empty()) return Ok();
  auto it = problems_.begin();
  Error e{ErrorCode::kValidationFailed, it.key() + ": " + it.value().get<std::string>(), {}, Layer::kNone,
          json::object()};
  if (problems_.size() > 1) e.message += " (and " + std::to_string(problems_.size() - 1) + " more in details.fields)";
  e.details["fields"] = problems_;
  return Err(std::move(e));
}

bool Body::Has(const char* name) const {
  auto it = j_.find(name);
  return it != j_.end() && !it->is_null();
}

const json& Body::Raw(const char* name) const {
  static const json kNull;
  auto it = j_.find(name);
  return it == j_.end() ? kNull : *it;
}

Result<std::optional<std::string>> Body::OptString(const char* name, size_t max_len) const {
  if (!Has(name)) return std::optional<std::string>();
  const json& v = Raw(name);
  if (!v.is_string()) return FieldError(name, "must be a string");
  max_len = MaxLen(name, max_len);
  if (v.get_ref<const std::string&>().size() > max_len)
    return FieldError(name, "must be at most " + std::to_string(max_len) + " characters");
  return std::optional<std::string>(v.get<std::string>());
}

Result<std::optional<SecretBytes>> Body::OptSecret(const char* name, size_t max_len) const {
  WHARF_ASSIGN_OR_RETURN(auto v, OptString(name, max_len));
  if (!v) return std::optional<SecretBytes>();
  std::optional<SecretBytes> out(SecretBytes::FromString(*v));
  std::fill(v->begin(), v->end(), '\0');
  return out;
}

Result<std::string> Body::String(const char* name, size_t max_len) const {
  WHARF_ASSIGN_OR_RETURN(auto s, OptString(name, max_len));
  if (!s) return FieldError(name, "is required");
  return *s;
}

Result<std::optional<bool>> Body::OptBool(const char* name) const {
  if (!Has(name)) return std::optional<bool>();
  if (!Raw(name).is_boolean()) return FieldError(name, "must be true or false");
  return std::optional<bool>(Raw(name).get<bool>());
}

Result<std::optional<int64_t>> Body::OptInt(const char* name) const {
  if (!Has(name)) return std::optional<int64_t>();
  const json& v = Raw(name);
  if (!v.is_number_integer()) return FieldError(name, "must be an integer");
  // An unsigned above INT64_MAX is a number_integer too; it must not wrap to a negative.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return FieldError(name, "must be an integer below 2^63");
  return std::optional<int64_t>(v.get<int64_t>());
}

json Body::Take(const char* name) {
  auto it = j_.find(name);
  if (it == j_.end()) return nullptr;
  json v = std::move(*it);
  j_.erase(it);
  return v;
}

namespace {

// RFC 9110 token characters.
bool IsTokenChar(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view Ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads a token from the front of `s`; empty when there is none.
std::string_view Token(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) ++n;
  std::string_view t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

}  // namespace

std::optional<MediaType> ParseMediaType(std::string_view value) {
  std::string_view s = Ows(value);
  MediaType m;
  std::string_view type = Token(s);
  if (type.empty() || s.empty() || s.front() != '/') return std::nullopt;
  s.remove_prefix(1);
  std::string_view subtype = Token(s);
  if (subtype.empty()) return std::nullopt;
  m.type = ToLower(type);
  m.subtype = ToLower(subtype);
  for (;;) {
    s = Ows(s);
    if (s.empty()) return m;
    if (s.front() != ';') return std::nullopt;
    s.remove_prefix(1);
    s = Ows(s);
    if (s.empty()) return m;  // a trailing ';' is tolerated, as browsers do
    std::string_view name = Token(s);
    if (name.empty() || s.empty() || s.front() != '=') return std::nullopt;
    s.remove_prefix(1);
    std::string v;
    if (!s.empty() && s.front() == '"') {
      s.remove_prefix(1);
      bool closed = false;
      while (!s.empty()) {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (s.empty()) return std::nullopt;
          c = s.front();
          s.remove_prefix(1);
        }
        v.push_back(c);
      }
      if (!closed) return std::nullopt;
    } else {
      std::string_view t = Token(s);
      if (t.empty()) return std::nullopt;
      v = std::string(t);
    }
    m.params.emplace_back(ToLower(name), std::move(v));
  }
}

bool IsJsonMediaType(std::string_view value) {
  auto m = ParseMediaType(value);
  return m && m->type == "application" && m->subtype == "json";
}

std::string CookieValue(std::string_view header, std::string_view name) {
  for (auto part : Split(header, ';')) {
    part = Trim(part);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
  }
  return {};
}

}  // namespace wharf::api
