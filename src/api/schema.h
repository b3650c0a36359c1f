// Small builders for the JSON schemas of responses, written beside the writers they describe
// (each feature's `<feature>_routes.cc` registers its components with rt.AddSchema). Objects are
// closed (additionalProperties: false) and every property is required unless named optional, so
// a writer that gains, loses or renames a key fails the e2e suite's response validation until its
// schema says the same.
//
//   rt.AddSchema("SshKey", oas::Object({{"id", oas::String()}, {"created_at", oas::Time()},
//                                       {"private_key", oas::IsSet()}}));
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wharf::api::oas {

using nlohmann::json;

inline json String() { return {{"type", "string"}}; }
inline json String(std::string description) { return {{"type", "string"}, {"description", std::move(description)}}; }
inline json Integer() { return {{"type", "integer"}, {"format", "int64"}}; }
inline json Integer(std::string description) {
  return {{"type", "integer"}, {"format", "int64"}, {"description", std::move(description)}};
}
inline json Number() { return {{"type", "number"}}; }
inline json Boolean() { return {{"type", "boolean"}}; }
inline json Boolean(std::string description) { return {{"type", "boolean"}, {"description", std::move(description)}}; }
// An RFC 3339 timestamp.
inline json Time() { return {{"type", "string"}, {"format", "date-time"}}; }
inline json Enum(std::vector<std::string> values) { return {{"type", "string"}, {"enum", values}}; }
// Any JSON value (free-form report payloads).
inline json AnyValue() { return json::object(); }
inline json Nullable(json s) {
  // A $ref takes no siblings in OpenAPI 3.0, and `nullable` beside allOf does not admit null to
  // JSON Schema validators: the referenced schema, or a schema that only null matches.
  if (s.contains("$ref"))
    return {{"anyOf", json::array({s, {{"type", "object"}, {"nullable", true}, {"enum", json::array({nullptr})}}})}};
  s["nullable"] = true;
  return s;
}
inline json Array(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
// An object with arbitrary keys whose values follow `values`.
inline json Map(json values = json::object()) { return {{"type", "object"}, {"additionalProperties", std::move(values)}}; }
// A closed object: every property required except those in `optional`.
inline json Object(json props, std::vector<std::string> optional = {}) {
  json required = json::array();
  for (auto& [k, v] : props.items())
    if (std::find(optional.begin(), optional.end(), k) == optional.end()) required.push_back(k);
  json s = {{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = required;
  return s;
}
// The same, open to keys not listed (a service's free-form settings).
inline json OpenObject(json props, std::vector<std::string> optional = {}) {
  json s = Object(std::move(props), std::move(optional));
  s["additionalProperties"] = true;
  return s;
}
// A write-only secret as it is read back: {set: whether one is stored}.
inline json IsSet() { return Object({{"set", Boolean()}}); }

}  // namespace wharf::api::oas
