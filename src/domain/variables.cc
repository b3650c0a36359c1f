#include "domain/variables.h"

#include <algorithm>

namespace wharf::domain {

namespace {

constexpr std::string_view kExamples =
    "write {{ svc.VAR }} (e.g. {{ db.DATABASE_URL }}), {{ secret(32, \"abcdef0123456789\") }} or {{ \"{{\" }} for a "
    "literal \"{{\"";
constexpr std::string_view kDefaultCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool IsKeyStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsKeyChar(char c) { return IsKeyStart(c) || (c >= '0' && c <= '9'); }
bool IsSvcChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

class Parser {
 public:
  Parser(std::string_view s, std::string_view field) : s_(s), field_(field) {}

  Result<Template> Run() {
    Template t;
    std::string text;
    while (i_ < s_.size()) {
      size_t open = s_.find("{{", i_);
      if (open == std::string_view::npos) {
        text.append(s_.substr(i_));
        break;
      }
      text.append(s_.substr(i_, open - i_));
      i_ = open + 2;
      Segment seg;
      WHARF_TRY(Expression(seg, open));
      if (seg.kind == Segment::Kind::kText) {
        text += seg.text;
        continue;
      }
      if (!text.empty()) t.segments.push_back(Segment{Segment::Kind::kText, std::move(text), {}, {}, {}});
      text.clear();
      if (seg.kind == Segment::Kind::kSecret) ++t.secret_count;
      else ++t.ref_count;
      t.segments.push_back(std::move(seg));
    }
    if (!text.empty()) t.segments.push_back(Segment{Segment::Kind::kText, std::move(text), {}, {}, {}});
    return t;
  }

 private:
  tl::unexpected<Error> Bad(size_t at, std::string what) const {
    return FieldError(field_, "has bad syntax at character " + std::to_string(at + 1) + ": " + what + "; " +
                                  std::string(kExamples));
  }
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }
  Result<std::string> StringLiteral() {
    size_t start = i_;
    if (i_ >= s_.size() || s_[i_] != '"') return Bad(i_, "expected a double-quoted string");
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '"' || s_[i_ + 1] == '\\')) ++i_;
      out.push_back(s_[i_++]);
    }
    if (i_ >= s_.size()) return Bad(start, "the string that starts here is not closed with \"");
    ++i_;
    return out;
  }
  Status Close(size_t open) {
    SkipSpace();
    if (i_ + 1 < s_.size() && s_[i_] == '}' && s_[i_ + 1] == '}') {
      i_ += 2;
      return Ok();
    }
    if (i_ >= s_.size()) return Bad(open, "the expression that starts here is not closed with }}");
    return Bad(i_, std::string("unexpected '") + s_[i_] + "', expected }}");
  }
  Status Expression(Segment& seg, size_t open) {
    SkipSpace();
    if (i_ >= s_.size()) return Bad(open, "the expression that starts here is empty and not closed");
    char c = s_[i_];
    if (c == '"') {
      WHARF_ASSIGN_OR_RETURN(seg.text, StringLiteral());
      seg.kind = Segment::Kind::kText;
      return Close(open);
    }
    if (c == '}') return Bad(open, "empty expression {{ }}");
    size_t start = i_;
    while (i_ < s_.size() && (IsSvcChar(s_[i_]) || IsKeyChar(s_[i_]))) ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    if (word.empty()) return Bad(i_, std::string("unexpected '") + c + "'");
    SkipSpace();
    if (word == "secret" && i_ < s_.size() && s_[i_] == '(') {
      ++i_;
      return Secret(seg, open);
    }
    if (i_ < s_.size() && s_[i_] == '(')
      return Bad(start, "unknown function '" + std::string(word) + "'; the only function is secret(LENGTH, \"CHARSET\")");
    if (i_ >= s_.size() || s_[i_] != '.')
      return Bad(start, "'" + std::string(word) + "' is not a reference; name a service and one of its variables");
    for (char ch : word)
      if (!IsSvcChar(ch))
        return Bad(start, "'" + std::string(word) + "' is not a service name (lowercase letters, digits and '-')");
    if (word.front() == '-' || word.back() == '-')
      return Bad(start, "'" + std::string(word) + "' is not a service name (it cannot start or end with '-')");
    ++i_;
    size_t vstart = i_;
    while (i_ < s_.size() && IsKeyChar(s_[i_])) ++i_;
    std::string_view var = s_.substr(vstart, i_ - vstart);
    if (var.empty() || !IsKeyStart(var.front()))
      return Bad(vstart, "expected a variable name after '" + std::string(word) + ".' (letters, digits and '_', not "
                         "starting with a digit)");
    seg.kind = Segment::Kind::kRef;
    seg.service = std::string(word);
    seg.var = std::string(var);
    return Close(open);
  }
  Status Secret(Segment& seg, size_t open) {
    SkipSpace();
    size_t nstart = i_;
    int64_t n = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && n <= kMaxSecretLength) n = n * 10 + (s_[i_++] - '0');
    if (i_ == nstart) return Bad(nstart, "secret( needs a length first, e.g. secret(32, \"abc…\")");
    if (n < 1 || n > kMaxSecretLength)
      return Bad(nstart, "the length of secret() must be from 1 to " + std::to_string(kMaxSecretLength));
    seg.secret.length = static_cast<int>(n);
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ',') {
      ++i_;
      SkipSpace();
      size_t cstart = i_;
      WHARF_ASSIGN_OR_RETURN(seg.secret.charset, StringLiteral());
      const auto& cs = seg.secret.charset;
      if (cs.size() < 2) return Bad(cstart, "the charset of secret() needs at least 2 distinct characters");
      std::string seen;
      for (char ch : cs) {
        if (ch < 0x21 || ch > 0x7e)
          return Bad(cstart, "the charset of secret() may only hold printable ASCII characters other than space");
        if (seen.find(ch) != std::string::npos)
          return Bad(cstart, std::string("the charset of secret() repeats '") + ch +
                                 "'; repeated characters would be drawn more often");
        seen.push_back(ch);
      }
      SkipSpace();
    } else {
      seg.secret.charset = std::string(kDefaultCharset);
    }
    if (i_ >= s_.size() || s_[i_] != ')') return Bad(i_, "expected ) to close secret(");
    ++i_;
    seg.kind = Segment::Kind::kSecret;
    return Close(open);
  }

  std::string_view s_;
  std::string_view field_;
  size_t i_ = 0;
};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size() && i < 20; ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > 20) out += ", …";
  return out.empty() ? "none" : out;
}

}  // namespace

Status ValidateEnvKey(std::string_view key, std::string_view field) {
  if (key.empty()) return FieldError(field, "is empty: a variable name is letters, digits and '_', e.g. DATABASE_URL");
  if (key.size() > 128) return FieldError(field, "is longer than 128 characters");
  if (!IsKeyStart(key.front()))
    return FieldError(field, "must start with a letter or '_' (POSIX environment names cannot start with a digit)");
  for (char c : key)
    if (!IsKeyChar(c))
      return FieldError(field, "may only hold letters, digits and '_' (POSIX environment names), e.g. API_URL");
  return Ok();
}

Result<Template> ParseTemplate(std::string_view value, std::string_view field) {
  if (value.size() > kMaxValueBytes)
    return FieldError(field, "is longer than " + std::to_string(kMaxValueBytes) + " bytes");
  for (char c : value)
    if (c == '\0') return FieldError(field, "contains a NUL byte, which an environment value cannot hold");
  return Parser(value, field).Run();
}

std::string FormatTemplate(const Template& t) {
  std::string out;
  for (const auto& s : t.segments) {
    switch (s.kind) {
      case Segment::Kind::kText: {
        size_t i = 0;
        while (i < s.text.size()) {
          size_t open = s.text.find("{{", i);
          if (open == std::string::npos) {
            out.append(s.text, i);
            break;
          }
          out.append(s.text, i, open - i);
          out += "{{ \"{{\" }}";
          i = open + 2;
        }
        break;
      }
      case Segment::Kind::kSecret:
        out += "{{ secret(" + std::to_string(s.secret.length) + ", " + Quote(s.secret.charset) + ") }}";
        break;
      case Segment::Kind::kRef:
        out += "{{ " + s.service + "." + s.var + " }}";
        break;
    }
  }
  return out;
}

std::string GenerateSecret(const SecretSpec& spec, const RandomFill& random) {
  const size_t n = spec.charset.size();
  std::string out;
  if (n == 0 || spec.length <= 0) return out;
  out.reserve(static_cast<size_t>(spec.length));
  // The largest multiple of n not above 256: bytes at or above it are rejected.
  const unsigned limit = 256 - (256 % static_cast<unsigned>(n));
  unsigned char buf[256];
  while (out.size() < static_cast<size_t>(spec.length)) {
    const size_t want = std::min<size_t>(sizeof buf, static_cast<size_t>(spec.length) - out.size() + 16);
    random(buf, want);
    for (size_t i = 0; i < want && out.size() < static_cast<size_t>(spec.length); ++i)
      if (buf[i] < limit) out.push_back(spec.charset[buf[i] % n]);
  }
  std::fill(std::begin(buf), std::end(buf), 0);
  return out;
}

void CarrySecrets(const Variable* prev, const Template& tpl, bool regenerate, const RandomFill& random, Variable& next) {
  next.generated.clear();
  size_t i = 0;
  for (const auto& s : tpl.segments) {
    if (s.kind != Segment::Kind::kSecret) continue;
    if (!regenerate && prev && i < prev->generated.size() && prev->generated[i].spec == s.secret) {
      next.generated.push_back(prev->generated[i]);
    } else {
      next.generated.push_back({s.secret, GenerateSecret(s.secret, random)});
    }
    ++i;
  }
}

// ------------------------------------------------------------------------------------------ resolver

Resolver::Resolver(const std::vector<ServiceVars>& services) {
  svcs_.resize(services.size());
  for (size_t s = 0; s < services.size(); ++s) {
    Svc& svc = svcs_[s];
    svc.src = &services[s];
    by_name_.emplace(services[s].name, s);
    svc.nodes.resize(services[s].variables.size());
    for (size_t n = 0; n < services[s].variables.size(); ++n) {
      Node& node = svc.nodes[n];
      node.var = &services[s].variables[n];
      svc.index.emplace(node.var->key, n);
      auto t = ParseTemplate(node.var->value, "variables." + node.var->key);
      if (t) {
        node.tpl = std::move(*t);
        node.parsed = true;
      } else {
        node.parse_error = std::move(t.error());
      }
    }
  }
}

Result<size_t> Resolver::FindService(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return Err(ErrorCode::kNotFound, "");
  return it->second;
}

Status Resolver::Visit(size_t s, size_t n, std::string_view root_key, State& st) const {
  const std::string root_field = "variables." + std::string(root_key);
  Mark& mark = st.marks[s][n];
  if (mark == Mark::kDone) return Ok();
  const Svc& svc = svcs_[s];
  const Node& node = svc.nodes[n];
  const std::string here = svc.src->name + "." + node.var->key;
  if (mark == Mark::kActive) {
    std::string cycle;
    bool in = false;
    for (auto [cs, cn] : st.stack) {
      in = in || (cs == s && cn == n);
      if (in) cycle += svcs_[cs].src->name + "." + svcs_[cs].nodes[cn].var->key + " → ";
    }
    cycle += here;
    auto e = FieldError(root_field, "is part of a reference cycle: " + cycle +
                                        ". Break the cycle: make one of these values plain text or a secret()");
    e.value().details["cycle"] = cycle;
    return e;
  }
  if (!node.parsed) {
    if (st.stack.empty()) return tl::unexpected(node.parse_error);
    return FieldError(root_field, "refers to " + here + ", whose value has a syntax error: " +
                                      node.parse_error.details["fields"].begin()->get<std::string>());
  }
  mark = Mark::kActive;
  st.stack.emplace_back(s, n);
  // Errors found below the variable being checked say where they were found.
  const std::string via = st.stack.size() > 1 ? "via " + here + ": " : "";
  std::string value;
  size_t secret_i = 0;
  for (const auto& seg : node.tpl.segments) {
    switch (seg.kind) {
      case Segment::Kind::kText:
        if (st.want_values) value += seg.text;
        break;
      case Segment::Kind::kSecret: {
        const auto& g = node.var->generated;
        if (st.want_values) {
          if (secret_i >= g.size() || !(g[secret_i].spec == seg.secret))
            return FieldError(root_field, "the secret() in " + here + " has no generated value; save the variable again");
          value += g[secret_i].value;
        }
        ++secret_i;
        break;
      }
      case Segment::Kind::kRef: {
        const std::string ref = "{{ " + seg.service + "." + seg.var + " }}";
        auto ts = FindService(seg.service);
        if (!ts) {
          std::vector<std::string> names;
          for (auto& x : svcs_) names.push_back(x.src->name);
          return FieldError(root_field, via + ref + " refers to service '" + seg.service +
                                            "', which is not in this application (services: " + JoinKeys(names) + ")");
        }
        const Svc& target = svcs_[*ts];
        if (auto it = target.index.find(seg.var); it != target.index.end()) {
          WHARF_TRY(Visit(*ts, it->second, root_key, st));
          if (st.want_values) value += st.values[*ts][it->second];
        } else if (auto b = target.src->builtins.find(seg.var); b != target.src->builtins.end()) {
          if (st.want_values) value += b->second;
        } else if (auto p = target.src->pending.find(seg.var); p != target.src->pending.end()) {
          if (st.want_values) return FieldError(root_field, via + ref + " cannot be resolved yet: " + p->second);
        } else {
          std::vector<std::string> keys;
          for (auto& v : target.src->variables) keys.push_back(v.key);
          for (auto& [k, v] : target.src->builtins) keys.push_back(k);
          for (auto& [k, v] : target.src->pending) keys.push_back(k);
          return FieldError(root_field, via + ref + " refers to variable " + seg.var + ", which service '" + seg.service +
                                            "' does not have (it has: " + JoinKeys(keys) + ")");
        }
        break;
      }
    }
    if (value.size() > kMaxResolvedBytes)
      return FieldError(root_field, "resolves to more than " + std::to_string(kMaxResolvedBytes) + " bytes (via " + here +
                                        "); references that repeat each other grow quickly");
  }
  st.stack.pop_back();
  if (st.want_values) st.values[s][n] = std::move(value);
  mark = Mark::kDone;
  return Ok();
}

Status Resolver::Validate(std::string_view service) const {
  auto s = FindService(service);
  if (!s) return Ok();
  State st;
  st.want_values = false;
  st.marks.resize(svcs_.size());
  for (size_t i = 0; i < svcs_.size(); ++i) st.marks[i].assign(svcs_[i].nodes.size(), Mark::kNone);
  for (size_t n = 0; n < svcs_[*s].nodes.size(); ++n) {
    st.stack.clear();
    WHARF_TRY(Visit(*s, n, svcs_[*s].nodes[n].var->key, st));
  }
  return Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> Resolver::Resolve(std::string_view service) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto s = FindService(service);
  if (!s) return out;
  State st;
  st.marks.resize(svcs_.size());
  st.values.resize(svcs_.size());
  for (size_t i = 0; i < svcs_.size(); ++i) {
    st.marks[i].assign(svcs_[i].nodes.size(), Mark::kNone);
    st.values[i].resize(svcs_[i].nodes.size());
  }
  out.reserve(svcs_[*s].nodes.size());
  for (size_t n = 0; n < svcs_[*s].nodes.size(); ++n) {
    st.stack.clear();
    WHARF_TRY(Visit(*s, n, svcs_[*s].nodes[n].var->key, st));
    out.emplace_back(svcs_[*s].nodes[n].var->key, st.values[*s][n]);
  }
  return out;
}

}  // namespace wharf::domain
