#include "http_client/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "base/strings.h"

namespace wharf::http_client::sigv4 {

std::string Sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), sizeof out));
}

namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct Times {
  std::string amz_date;  // 20150830T123600Z
  std::string date;      // 20150830
};

Times FormatTimes(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  Times out{buf, std::string(buf, 8)};
  return out;
}

// Lower-cased name, value with whitespace runs (including line folds) collapsed and trimmed.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalPath(std::string_view raw, bool normalize) {
  std::string path(raw.empty() ? "/" : raw);
  if (normalize) {
    std::vector<std::string_view> out;
    for (auto seg : Split(path, '/')) {
      if (seg.empty() || seg == ".") continue;
      if (seg == "..") {
        if (!out.empty()) out.pop_back();
        continue;
      }
      out.push_back(seg);
    }
    std::string n = "/";
    for (size_t i = 0; i < out.size(); ++i) n += std::string(out[i]) + (i + 1 < out.size() ? "/" : "");
    const bool trailing = path.size() > 1 && path.back() == '/' && !out.empty();
    if (trailing) n.push_back('/');
    path = n;
  }
  return UriEncode(path, true);
}

using Params_ = std::vector<std::pair<std::string, std::string>>;

// Decodes the raw query into (key, value) pairs.
Params_ ParseQuery(std::string_view q) {
  Params_ out;
  if (q.empty()) return out;
  for (auto part : Split(q, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string k, v;
    if (!PercentDecode(part.substr(0, eq), &k)) k = std::string(part.substr(0, eq));
    if (eq != std::string_view::npos && !PercentDecode(part.substr(eq + 1), &v)) v = std::string(part.substr(eq + 1));
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

std::string CanonicalQuery(Params_ params) {
  for (auto& [k, v] : params) {
    k = UriEncode(k, false);
    v = UriEncode(v, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (auto& [k, v] : params) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

struct HeaderSet {
  std::string canonical;  // "name:value\n"…
  std::string signed_names;
};

HeaderSet CanonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::pair<std::string, std::string>> merged;  // sorted by name; values joined with ','
  for (auto& [name, value] : headers) {
    std::string n = ToLower(name);
    std::string v = CanonicalValue(value);
    auto it = std::find_if(merged.begin(), merged.end(), [&](auto& p) { return p.first == n; });
    if (it == merged.end()) merged.emplace_back(n, v);
    else it->second += "," + v;
  }
  std::stable_sort(merged.begin(), merged.end(), [](auto& a, auto& b) { return a.first < b.first; });
  HeaderSet hs;
  for (auto& [n, v] : merged) {
    hs.canonical += n + ":" + v + "\n";
    hs.signed_names += (hs.signed_names.empty() ? "" : ";") + n;
  }
  return hs;
}

std::string Scope(const Times& t, const Params& p) { return t.date + "/" + p.region + "/" + p.service + "/aws4_request"; }

std::string SignatureFor(const Credentials& c, const Times& t, const Params& p, std::string_view string_to_sign) {
  std::string key = "AWS4";
  key.append(c.secret_access_key.view());
  std::string k_date = Hmac(key, t.date);
  std::fill(key.begin(), key.end(), '\0');
  std::string k_region = Hmac(k_date, p.region);
  std::string k_service = Hmac(k_region, p.service);
  std::string k_signing = Hmac(k_service, "aws4_request");
  return HexEncode(Hmac(k_signing, string_to_sign));
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Signed SignHeaders(const Request& req, const Credentials& creds, const Params& p) {
  const Times t = FormatTimes(p.time);
  const std::string payload_hash = p.payload_hash.empty() ? Sha256Hex(req.body) : p.payload_hash;
  Signed s;
  s.request = req;
  if (!creds.session_token.empty()) s.request.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  s.request.headers.emplace_back("X-Amz-Date", t.amz_date);
  if (p.sign_body) s.request.headers.emplace_back("x-amz-content-sha256", payload_hash);
  auto [path, query] = SplitTarget(req.target);
  auto to_sign = s.request.headers;
  if (p.omit_session_token && !creds.session_token.empty())
    to_sign.erase(to_sign.begin() + static_cast<std::ptrdiff_t>(req.headers.size()));  // the token header
  HeaderSet hs = CanonicalHeaders(to_sign);
  s.canonical_request = req.method + "\n" + CanonicalPath(path, p.normalize_path) + "\n" +
                        CanonicalQuery(ParseQuery(query)) + "\n" + hs.canonical + "\n" + hs.signed_names + "\n" +
                        payload_hash;
  s.string_to_sign = "AWS4-HMAC-SHA256\n" + t.amz_date + "\n" + Scope(t, p) + "\n" + Sha256Hex(s.canonical_request);
  s.signature = SignatureFor(creds, t, p, s.string_to_sign);
  s.request.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" +
                                                      Scope(t, p) + ", SignedHeaders=" + hs.signed_names +
                                                      ", Signature=" + s.signature);
  return s;
}

Signed Presign(const Request& req, const Credentials& creds, const Params& p) {
  const Times t = FormatTimes(p.time);
  auto [path, query] = SplitTarget(req.target);
  HeaderSet hs = CanonicalHeaders(req.headers);
  Params_ added = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                   {"X-Amz-Credential", creds.access_key_id + "/" + Scope(t, p)},
                   {"X-Amz-Date", t.amz_date},
                   {"X-Amz-SignedHeaders", hs.signed_names},
                   {"X-Amz-Expires", std::to_string(p.expires_seconds)}};
  if (!creds.session_token.empty()) added.emplace_back("X-Amz-Security-Token", creds.session_token);
  Params_ all = ParseQuery(query);
  all.insert(all.end(), added.begin(), added.end());
  if (p.omit_session_token && !creds.session_token.empty()) all.pop_back();  // sent, not signed
  Signed s;
  s.canonical_request = req.method + "\n" + CanonicalPath(path, p.normalize_path) + "\n" + CanonicalQuery(all) + "\n" +
                        hs.canonical + "\n" + hs.signed_names + "\n" + Sha256Hex(req.body);
  s.string_to_sign = "AWS4-HMAC-SHA256\n" + t.amz_date + "\n" + Scope(t, p) + "\n" + Sha256Hex(s.canonical_request);
  s.signature = SignatureFor(creds, t, p, s.string_to_sign);
  s.request = req;
  std::string& target = s.request.target;
  for (auto& [k, v] : added) {
    target += (target.find('?') == std::string::npos ? "?" : "&");
    target += k + "=" + UriEncode(v, false);
  }
  target += "&X-Amz-Signature=" + s.signature;
  return s;
}

Result<Request> ParseRawRequest(std::string_view raw) {
  Request r;
  size_t pos = raw.find('\n');
  if (pos == std::string_view::npos) return FieldError("request", "has no request line");
  std::string_view line = raw.substr(0, pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return FieldError("request", "bad request line");
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  size_t cur = pos + 1;
  while (cur < raw.size()) {
    size_t end = raw.find('\n', cur);
    std::string_view l = raw.substr(cur, end == std::string_view::npos ? std::string_view::npos : end - cur);
    cur = end == std::string_view::npos ? raw.size() : end + 1;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) {
      r.body = std::string(raw.substr(cur));
      return r;
    }
    if ((l.front() == ' ' || l.front() == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + std::string(l);  // a folded continuation line
      continue;
    }
    auto colon = l.find(':');
    if (colon == std::string_view::npos) return FieldError("request", "header line without ':'");
    r.headers.emplace_back(std::string(l.substr(0, colon)), std::string(l.substr(colon + 1)));
  }
  return r;
}

std::string PrintRequest(const Request& req) {
  std::string out = req.method + " " + req.target + " HTTP/1.1\n";
  for (auto& [k, v] : req.headers) out += k + ":" + v + "\n";
  out += "\n";
  out += req.body;
  return out;
}

Result<Timestamp> ParseIso8601(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  if (!strptime(str.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return FieldError("timestamp", "must be like 2015-08-30T12:36:00Z");
  return static_cast<Timestamp>(timegm(&tm)) * 1000;
}

}  // namespace wharf::http_client::sigv4
