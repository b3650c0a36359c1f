// The one declaration of a request body: its fields, their types, limits and enums. The same
// Fields value is given to Body::Parse, which enforces it, and to the route's `.Request()`, which
// documents it in the OpenAPI document, so an edit changes both.
//
//   const Fields kCreateOrg = {Str("name", 200).Req(), Str("slug", 64).Pattern("^[a-z0-9-]+$")};
//   rt.Add("POST", "/api/v1/orgs", ..., [kCreateOrg](Call& c) -> Result<HttpResponse> {
//       WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, kCreateOrg));
//       WHARF_ASSIGN_OR_RETURN(std::string name, b.String("name"));  // at most 200, from kCreateOrg
//       ...
//     }, Ref("Org")).Request(kCreateOrg);
//
// Body::Parse checks, for every field present and not null: its JSON type, a string's maxLength,
// an enum, an integer's range; and that every Req() field is present. Any() fields are documented
// by their schema and validated by the handler (nested objects such as role permissions).
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace wharf::api {

struct Field {
  enum class Kind { kString, kSecret, kBool, kInt, kJson };
  std::string name;
  Kind kind = Kind::kString;
  size_t max_len = 4096;                  // kString, kSecret
  std::vector<std::string> one_of;        // kString: the only values accepted
  std::optional<int64_t> min, max;        // kInt
  bool required = false;
  std::string pattern;                    // kString: documented (the service checks it)
  std::string format;                     // kString: documented ("email", "date-time", "uri")
  std::string description;
  nlohmann::json schema;                  // kJson: the documented schema of the value
  nlohmann::json example;                 // null: none

  Field Req() const { Field f = *this; f.required = true; return f; }
  Field Desc(std::string d) const { Field f = *this; f.description = std::move(d); return f; }
  Field Example(nlohmann::json e) const { Field f = *this; f.example = std::move(e); return f; }
  Field Pattern(std::string p) const { Field f = *this; f.pattern = std::move(p); return f; }
  Field Format(std::string p) const { Field f = *this; f.format = std::move(p); return f; }
  Field Range(int64_t lo, int64_t hi) const { Field f = *this; f.min = lo; f.max = hi; return f; }
};

// A body's fields. Built only from Field values, so that a bare list of names ({"name", "slug"})
// still picks Body::Parse's older, undocumented overload.
class Fields {
 public:
  Fields() = default;
  Fields(std::initializer_list<Field> fields) : list_(fields) {}
  explicit Fields(std::vector<Field> fields) : list_(std::move(fields)) {}
  std::vector<Field>::const_iterator begin() const { return list_.begin(); }
  std::vector<Field>::const_iterator end() const { return list_.end(); }
  // A copy with more fields (a test body that also takes {image}).
  Fields With(std::initializer_list<Field> more) const {
    std::vector<Field> all = list_;
    all.insert(all.end(), more);
    return Fields(std::move(all));
  }

 private:
  std::vector<Field> list_;
};

// A string of at most `max_len` characters.
Field Str(std::string name, size_t max_len);
// A string from a fixed set.
Field Enum(std::string name, std::vector<std::string> values);
// A write-only secret (never answered back): a string of at most `max_len` characters.
Field Secret(std::string name, size_t max_len);
Field Bool(std::string name);
Field Int(std::string name);
// Any JSON value documented by `schema`; the handler validates it.
Field Any(std::string name, nlohmann::json schema);

// The field named `name`, or null.
const Field* FindField(const Fields& fields, std::string_view name);
// Checks one present, non-null value against its declaration. Errors: 400 naming the field.
Status CheckField(const Field& f, const nlohmann::json& v);
// The JSON schema of a body declared by `fields` (additionalProperties: false, since Parse
// refuses unknown fields), and an example built from the fields' examples.
nlohmann::json FieldsSchema(const Fields& fields);
nlohmann::json FieldsExample(const Fields& fields);

}  // namespace wharf::api
