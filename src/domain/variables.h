// Service variables: the value language, secret() generation and the resolver.
//
// A value is plain text with any number of `{{ … }}` expressions in it:
//   {{ secret(32, "abcdef0123456789") }}  generated once (rejection sampling, no modulo bias),
//                                          stored, kept across edits until regenerated;
//   {{ db.DATABASE_URL }}                  another service's variable or built-in value
//                                          (DATABASE_URL, HOST, PORT, USER, PASSWORD, NAME for a
//                                          database; DOMAIN for any service with a domain);
//   {{ "{{" }}                             a quoted literal (how to write "{{" itself).
// `{{` always opens an expression; anything else is a syntax error naming the variable.
//
//   WHARF_ASSIGN_OR_RETURN(auto tpl, domain::ParseTemplate(value, "variables.API_URL"));
//   domain::Resolver r(services);                         // parses every template once
//   WHARF_ASSIGN_OR_RETURN(auto env, r.Resolve("web"));   // [(key, value)] in key order as stored
//
// Plain values and functions; no I/O (randomness is passed in). Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"

namespace wharf::domain {

inline constexpr size_t kMaxVariables = 500;          // per service
inline constexpr size_t kMaxValueBytes = 32 * 1024;   // a template as written
inline constexpr size_t kMaxResolvedBytes = 64 * 1024;  // a value after resolution
inline constexpr int kMaxSecretLength = 4096;

// POSIX environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 128 characters.
Status ValidateEnvKey(std::string_view key, std::string_view field);

struct SecretSpec {
  int length = 0;
  std::string charset;  // distinct printable ASCII characters, at most 95
  bool operator==(const SecretSpec&) const = default;
};

struct Segment {
  enum class Kind : uint8_t { kText, kSecret, kRef };
  Kind kind = Kind::kText;
  std::string text;     // kText: the literal
  SecretSpec secret;    // kSecret
  std::string service;  // kRef: "db"
  std::string var;      // kRef: "DATABASE_URL"
};

struct Template {
  std::vector<Segment> segments;
  size_t secret_count = 0;
  size_t ref_count = 0;
};

// Parses one value. Errors are kValidationFailed on `field`, naming the character position,
// what was found and what is expected.
Result<Template> ParseTemplate(std::string_view value, std::string_view field);

// Writes a template back as text (canonical spacing), e.g. after renaming referenced services.
std::string FormatTemplate(const Template& t);

// Fills `out` with `n` bytes from a CSPRNG (secrets::RandomBytes in production).
using RandomFill = std::function<void(unsigned char* out, size_t n)>;

// `spec.length` characters drawn uniformly from `spec.charset`: bytes >= 256 - (256 % n) are
// rejected and redrawn, so every character is equally likely.
std::string GenerateSecret(const SecretSpec& spec, const RandomFill& random);

// A generated secret() value with the spec it was generated for.
struct GeneratedSecret {
  SecretSpec spec;
  std::string value;
};

// One variable as stored (sealed at rest): the template as written and one generated value per
// secret() in it, in order.
struct Variable {
  std::string key;
  std::string value;
  std::vector<GeneratedSecret> generated;
};

// Gives `next` its generated values: the i-th secret() keeps `prev`'s i-th value when `prev` has
// one with the same spec (and `regenerate` is false); otherwise a new value is generated.
// `tpl` is next.value parsed. `prev` may be null (a new key).
void CarrySecrets(const Variable* prev, const Template& tpl, bool regenerate, const RandomFill& random, Variable& next);

// The variables of one service as the resolver sees them. `builtins` are values the control
// plane derives (database URI parts, DOMAIN); a user variable of the same name wins.
struct ServiceVars {
  std::string name;
  std::vector<Variable> variables;
  std::map<std::string, std::string> builtins;
  // Built-in names this service offers but cannot resolve yet, with the reason (e.g. "DOMAIN":
  // "service 'web' has no domain yet; add one"). Referencing one validates; resolving it fails.
  std::map<std::string, std::string> pending;
};

// Resolves `{{ svc.VAR }}` references across the services of one application.
class Resolver {
 public:
  // Parses every template once. Syntax errors are reported by Validate/Resolve for the service
  // whose variable holds them.
  explicit Resolver(const std::vector<ServiceVars>& services);

  // Checks `service`'s variables: syntax, unknown services and variables, and reference cycles
  // reachable from them. Errors name the field `variables.KEY` and, for a cycle, the whole cycle
  // ("web.A → db.B → web.A").
  Status Validate(std::string_view service) const;

  // The resolved values of `service`'s own variables, in stored order. Fails like Validate, and
  // when a referenced built-in is pending or a value grows beyond kMaxResolvedBytes.
  Result<std::vector<std::pair<std::string, std::string>>> Resolve(std::string_view service) const;

 private:
  struct Node {  // one user variable
    const Variable* var = nullptr;
    Template tpl;
    Error parse_error;
    bool parsed = false;
  };
  struct Svc {
    const ServiceVars* src = nullptr;
    std::vector<Node> nodes;
    std::unordered_map<std::string_view, size_t> index;  // key → node
  };
  enum class Mark : uint8_t { kNone, kActive, kDone };
  struct State {
    std::vector<std::vector<Mark>> marks;
    std::vector<std::vector<std::string>> values;
    std::vector<std::pair<size_t, size_t>> stack;
    bool want_values = true;
  };
  Status Visit(size_t s, size_t n, std::string_view root_key, State& st) const;
  Result<size_t> FindService(std::string_view name) const;

  std::vector<Svc> svcs_;
  std::unordered_map<std::string_view, size_t> by_name_;
};

}  // namespace wharf::domain
