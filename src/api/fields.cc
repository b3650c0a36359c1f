#include "api/fields.h"

namespace wharf::api {

using nlohmann::json;

Field Str(std::string name, size_t max_len) {
  Field f;
  f.name = std::move(name);
  f.max_len = max_len;
  return f;
}

Field Enum(std::string name, std::vector<std::string> values) {
  Field f;
  f.name = std::move(name);
  f.max_len = 0;
  for (auto& v : values) f.max_len = std::max(f.max_len, v.size());
  f.one_of = std::move(values);
  return f;
}

Field Secret(std::string name, size_t max_len) {
  Field f = Str(std::move(name), max_len);
  f.kind = Field::Kind::kSecret;
  return f;
}

Field Bool(std::string name) {
  Field f;
  f.name = std::move(name);
  f.kind = Field::Kind::kBool;
  return f;
}

Field Int(std::string name) {
  Field f;
  f.name = std::move(name);
  f.kind = Field::Kind::kInt;
  return f;
}

Field Any(std::string name, json schema) {
  Field f;
  f.name = std::move(name);
  f.kind = Field::Kind::kJson;
  f.schema = std::move(schema);
  return f;
}

const Field* FindField(const Fields& fields, std::string_view name) {
  for (const Field& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

Status CheckField(const Field& f, const json& v) {
  switch (f.kind) {
    case Field::Kind::kString:
    case Field::Kind::kSecret: {
      if (!v.is_string()) return FieldError(f.name, "must be a string");
      const auto& s = v.get_ref<const std::string&>();
      if (!f.one_of.empty()) {
        for (auto& o : f.one_of)
          if (s == o) return Ok();
        std::string list;
        for (auto& o : f.one_of) list += (list.empty() ? "" : ", ") + o;
        return FieldError(f.name, "must be one of: " + list);
      }
      if (s.size() > f.max_len) return FieldError(f.name, "must be at most " + std::to_string(f.max_len) + " characters");
      return Ok();
    }
    case Field::Kind::kBool:
      if (!v.is_boolean()) return FieldError(f.name, "must be true or false");
      return Ok();
    case Field::Kind::kInt: {
      if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
        return FieldError(f.name, "must be an integer");
      int64_t n = v.get<int64_t>();
      if ((f.min && n < *f.min) || (f.max && n > *f.max))
        return FieldError(f.name, "must be an integer from " + std::to_string(f.min.value_or(INT64_MIN)) + " to " +
                                      std::to_string(f.max.value_or(INT64_MAX)));
      return Ok();
    }
    case Field::Kind::kJson:
      return Ok();
  }
  return Ok();
}

json FieldsSchema(const Fields& fields) {
  json props = json::object(), required = json::array();
  for (const Field& f : fields) {
    json p;
    switch (f.kind) {
      case Field::Kind::kString:
      case Field::Kind::kSecret:
        p = {{"type", "string"}};
        if (!f.one_of.empty()) p["enum"] = f.one_of;
        else p["maxLength"] = f.max_len;
        if (!f.pattern.empty()) p["pattern"] = f.pattern;
        if (!f.format.empty()) p["format"] = f.format;
        if (f.kind == Field::Kind::kSecret) p["writeOnly"] = true;
        break;
      case Field::Kind::kBool:
        p = {{"type", "boolean"}};
        break;
      case Field::Kind::kInt:
        p = {{"type", "integer"}, {"format", "int64"}};
        if (f.min) p["minimum"] = *f.min;
        if (f.max) p["maximum"] = *f.max;
        break;
      case Field::Kind::kJson:
        p = f.schema.is_null() ? json::object() : f.schema;
        break;
    }
    // Parse treats null as absent, so an optional field may be sent as null.
    if (!f.required && f.kind != Field::Kind::kJson) p["nullable"] = true;
    if (p.contains("$ref")) p = {{"allOf", json::array({p})}};  // a $ref takes no siblings
    if (!f.description.empty()) p["description"] = f.description;
    props[f.name] = std::move(p);
    if (f.required) required.push_back(f.name);
  }
  json s = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = required;
  return s;
}

json FieldsExample(const Fields& fields) {
  json ex = json::object();
  for (const Field& f : fields) {
    if (!f.example.is_null()) ex[f.name] = f.example;
    else if (f.required && !f.one_of.empty()) ex[f.name] = f.one_of.front();
    else if (f.required && f.kind == Field::Kind::kInt) ex[f.name] = f.min.value_or(1);
    else if (f.required && f.kind == Field::Kind::kBool) ex[f.name] = true;
    else if (f.required && f.kind != Field::Kind::kJson) ex[f.name] = f.name;  // a placeholder of the right type
  }
  return ex;
}

}  // namespace wharf::api
