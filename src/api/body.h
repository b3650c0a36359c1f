// Request parsing for untrusted input: the JSON body (parsed once, with the limits of
// base/json.h), the Content-Type media type and cookies. No Beast here, so the fuzz targets and
// unit tests build without the server's translation unit.
//
//   WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(req, {"name", "slug"}));
//   WHARF_ASSIGN_OR_RETURN(std::string name, b.String("name", 100));
//
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/fields.h"
#include "api/http.h"
#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::api {

// A JSON object body with only known fields, and typed getters whose errors name the field.
class Body {
 public:
  // An empty body is an empty object. Errors: 415 when Content-Type is present and is not
  // application/json; 400/413 from ParseUntrustedJson (depth, size, value count, string length,
  // syntax); 400 when the document is not an object or names a field outside `allowed`.
  // Every unknown field is named in one answer (details.fields), not only the first.
  static Result<Body> Parse(const HttpRequest& req, const std::vector<std::string_view>& allowed);
  // Like Parse, but unknown fields wait for Check(), so they are reported together with the
  // problems Keep collects. Only for handlers that call Check() before using the body.
  static Result<Body> ParseAll(const HttpRequest& req, const std::vector<std::string_view>& allowed);
  // The same with a declared body (fields.h): every present field is also checked against its
  // declaration, and every Req() field must be present; the getters' limits default to it.
  // `fields` must outlive the Body.
  static Result<Body> Parse(const HttpRequest& req, const Fields& fields);
  static Result<Body> ParseAll(const HttpRequest& req, const Fields& fields);

  // Collects a failed read or validation instead of returning at once: its details.fields join
  // the body's problems and `fallback` stands in. Call Check() before using any kept value, so
  // that one answer lists every bad field of the body.
  template <typename T>
  T Keep(Result<T> r, T fallback = T()) const {
    if (r) return std::move(*r);
    Collect(r.error());
    return fallback;
  }
  void KeepStatus(Status st) const {
    if (!st) Collect(st.error());
  }
  // 400 listing every problem Keep collected (message: the first, then "and N more"), else Ok.
  // A non-validation failure Keep saw (the first one) is returned as it was.
  Status Check() const;

  bool Has(const char* name) const;
  // The field's value, or null when absent.
  const nlohmann::json& Raw(const char* name) const;
  // max_len 0: the declared field's (Parse with Fields), else 4096.
  Result<std::optional<std::string>> OptString(const char* name, size_t max_len = 0) const;
  // A write-only secret field: copied into SecretBytes and the plain copy wiped at once.
  Result<std::optional<SecretBytes>> OptSecret(const char* name, size_t max_len = 0) const;
  Result<std::string> String(const char* name, size_t max_len = 0) const;
  Result<std::optional<bool>> OptBool(const char* name) const;
  Result<std::optional<int64_t>> OptInt(const char* name) const;
  // Removes a field and returns its value (null when absent): for a route that takes one field
  // out before handing the rest on.
  nlohmann::json Take(const char* name);

 private:
  static Result<Body> ParseImpl(const HttpRequest& req, const std::vector<std::string_view>& allowed,
                                bool defer_unknown);
  static Result<Body> ParseDeclared(const HttpRequest& req, const Fields& fields, bool defer);
  void Collect(const Error& e) const;
  size_t MaxLen(const char* name, size_t max_len) const;

  nlohmann::json j_;
  const Fields* fields_ = nullptr;  // the declaration Parse checked, when there is one
  mutable nlohmann::json problems_ = nlohmann::json::object();  // field -> problem (Parse, Keep)
  mutable std::optional<Error> first_other_;                    // a non-validation failure Keep saw
};

// A Content-Type value split by RFC 9110 §8.3.1: type and subtype lower-cased, parameters with
// lower-cased names and unquoted values. Nullopt when it is not `type/subtype *(; name=value)`.
struct MediaType {
  std::string type, subtype;
  std::vector<std::pair<std::string, std::string>> params;
};
std::optional<MediaType> ParseMediaType(std::string_view value);
// True for exactly application/json (any parameters, any case): not text/plain with a parameter
// that mentions JSON, nor application/json-seq.
bool IsJsonMediaType(std::string_view value);

// The value of cookie `name` in a Cookie header ("a=1; wharf_session=…"), or "".
std::string CookieValue(std::string_view header, std::string_view name);

}  // namespace wharf::api
