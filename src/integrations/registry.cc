#include "integrations/registry.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "http_client/http.h"

namespace wharf::integrations {

namespace {

constexpr const char* kManifestAccept =
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

std::string QueryEscape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A header value holding a secret, wiped when it goes out of scope.
struct SecretHeader {
  std::string value;
  ~SecretHeader() {
    volatile char* p = value.data();
    for (size_t i = 0; i < value.size(); ++i) p[i] = 0;
  }
};

bool IsLoopbackHost(std::string_view host) {
  std::string_view h = host;
  if (StartsWith(h, "[")) return StartsWith(h, "[::1]");
  h = h.substr(0, h.find(':'));
  return h == "localhost" || StartsWith(h, "127.");
}

const char* kUnauthorizedFix =
    "Check the username, and that the password is a current access token with pull (read) permission: a personal "
    "access token on ghcr.io (read:packages), a robot account on quay.io, an API token on "
    "registry.digitalocean.com, an access token on Docker Hub. Then update this registry's password.";

}  // namespace

std::string Challenge::Param(std::string_view key) const {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return {};
}

Challenge ParseChallenge(std::string_view header) {
  Challenge c;
  std::string_view h = Trim(header);
  auto sp = h.find(' ');
  c.scheme = ToLower(h.substr(0, sp));
  if (sp == std::string_view::npos) return c;
  std::string_view rest = h.substr(sp + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
    size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = ToLower(Trim(rest.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i++];
      }
      ++i;
    } else {
      size_t end = rest.find(',', i);
      value = std::string(Trim(rest.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
      i = end == std::string_view::npos ? rest.size() : end;
    }
    c.params.emplace_back(std::move(key), std::move(value));
  }
  return c;
}

RegistryResult VerifyPull(const RegistryProbe& p) {
  RegistryResult out;
  Report& r = out.report;
  const std::string image = p.host + "/" + p.repository + (StartsWith(p.reference, "sha256:") ? "@" : ":") + p.reference;
  auto call = [&](std::string method, std::string url) {
    http_client::HttpCall c{.method = std::move(method), .url = std::move(url)};
    c.timeout_ms = p.timeout_ms;
    c.connect_timeout_ms = p.connect_timeout_ms;
    c.user_agent = "wharf/0.1 (registry verify)";
    c.address_allowed = p.address_allowed;
    c.layer = Layer::kRegistry;
    return c;
  };
  auto skip_rest = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) r.Add(n, "skipped", "Not run: an earlier check failed.");
  };

  // 1. The challenge: GET /v2/ without credentials.
  std::string base;
  Result<http_client::HttpReply> challenge = tl::unexpected(Error{});
  std::vector<std::string> schemes = {"https"};
  if (IsLoopbackHost(p.host)) schemes.push_back("http");
  for (const auto& scheme : schemes) {
    base = scheme + "://" + p.host;
    challenge = http_client::Fetch(call("GET", base + "/v2/"));
    if (challenge || challenge.error().code != ErrorCode::kUnavailable) break;
  }
  if (!challenge) {
    r.Fail("challenge", "network", challenge.error().message,
           "Check that " + p.host + " is the registry's host[:port] and that Wharf can reach it (DNS, firewall, "
           "proxy).");
    skip_rest({"auth", "manifest"});
    return out;
  }
  std::string auth_header;
  SecretHeader secret;
  Challenge ch;
  if (challenge->status == 200) {
    out.auth = "none";
    r.Add("challenge", "passed", "The Registry v2 API at " + base + " answers without credentials.");
    r.Add("auth", "skipped", "The registry asks for no credentials, so the username and password were not used.");
  } else if (challenge->status == 401) {
    ch = ParseChallenge(challenge->Header("www-authenticate"));
    if (ch.scheme != "basic" && ch.scheme != "bearer") {
      r.Fail("challenge", "registry",
             base + "/v2/ asks for '" + ch.scheme + "' auth, which is neither Basic nor Bearer.",
             "Point the registry host at a Docker Registry v2 API.");
      skip_rest({"auth", "manifest"});
      return out;
    }
    out.auth = ch.scheme;
    r.Add("challenge", "passed",
          "The Registry v2 API at " + base + " asks for " + (ch.scheme == "basic" ? "Basic" : "Bearer token") + " auth.");
  } else {
    r.Fail("challenge", "registry",
           base + "/v2/ answered HTTP " + std::to_string(challenge->status) +
               ": this is not a Docker Registry v2 API.",
           "Use the registry's host (e.g. ghcr.io, quay.io, registry.example.com:5000), not a web page's address.");
    skip_rest({"auth", "manifest"});
    return out;
  }

  // 2. Authenticate.
  std::string pw(p.password ? p.password->view() : std::string_view());
  SecretHeader basic{"Basic " + Base64Encode(p.username + ":" + pw)};
  std::fill(pw.begin(), pw.end(), '\0');
  auto unauthorized = [&](const std::string& step, int status) {
    r.Fail(step, "registry",
           "unauthorized: the registry refused username '" + p.username + "' with this password (HTTP " +
               std::to_string(status) + "): wrong username or token, or the token has expired.",
           kUnauthorizedFix);
  };
  if (ch.scheme == "basic") {
    auto c = call("GET", base + "/v2/");
    c.headers.emplace_back("Authorization", basic.value);
    auto a = http_client::Fetch(c);
    if (!a) {
      r.Fail("auth", "network", a.error().message, "Check that Wharf can reach " + p.host + ".");
      skip_rest({"manifest"});
      return out;
    }
    if (a->status == 401) {
      unauthorized("auth", 401);
      skip_rest({"manifest"});
      return out;
    }
    if (a->status != 200) {
      r.Fail("auth", "registry", base + "/v2/ answered HTTP " + std::to_string(a->status) + " to the credential.",
             "Check the registry's status page, then verify again.");
      skip_rest({"manifest"});
      return out;
    }
    r.Add("auth", "passed", "Signed in as '" + p.username + "' with Basic auth.");
    secret.value = basic.value;
  } else if (ch.scheme == "bearer") {
    std::string realm = ch.Param("realm");
    if (!StartsWith(realm, "https://") && !StartsWith(realm, "http://")) {
      r.Fail("auth", "registry", "The registry's Bearer challenge names no usable token realm ('" + realm + "').",
             "The registry is misconfigured; ask its operator.");
      skip_rest({"manifest"});
      return out;
    }
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    if (!ch.Param("service").empty()) url += "service=" + QueryEscape(ch.Param("service")) + "&";
    url += "scope=" + QueryEscape("repository:" + p.repository + ":pull");
    auto c = call("GET", url);
    c.headers.emplace_back("Authorization", basic.value);
    auto t = http_client::Fetch(c);
    if (!t) {
      r.Fail("auth", "network", t.error().message, "Check that Wharf can reach the registry's token service.");
      skip_rest({"manifest"});
      return out;
    }
    if (t->status == 401) {
      unauthorized("auth", 401);
      skip_rest({"manifest"});
      return out;
    }
    if (t->status == 403) {
      r.Fail("auth", "registry",
             "denied: the token service refused '" + p.username + "' access to repository " + p.repository +
                 " (HTTP 403).",
             "Give the account or token pull (read) access to " + p.repository + ".");
      skip_rest({"manifest"});
      return out;
    }
    nlohmann::json body = nlohmann::json::parse(t->body, nullptr, false);
    std::string token;
    if (t->status == 200 && body.is_object()) token = body.value("token", body.value("access_token", ""));
    std::fill(t->body.begin(), t->body.end(), '\0');
    if (token.empty()) {
      r.Fail("auth", "registry",
             "The token service answered HTTP " + std::to_string(t->status) + " without a token.",
             "Check the registry's status page, then verify again.");
      skip_rest({"manifest"});
      return out;
    }
    secret.value = "Bearer " + token;
    std::fill(token.begin(), token.end(), '\0');
    r.Add("auth", "passed",
          "Got a Bearer token for repository:" + p.repository + ":pull as '" + p.username + "'.");
  }

  // 3. The manifest.
  auto c = call("HEAD", base + "/v2/" + p.repository + "/manifests/" + p.reference);
  c.headers.emplace_back("Accept", kManifestAccept);
  if (!secret.value.empty()) c.headers.emplace_back("Authorization", secret.value);
  auto m = http_client::Fetch(c);
  for (auto& [k, v] : c.headers) std::fill(v.begin(), v.end(), '\0');
  if (!m) {
    r.Fail("manifest", "network", m.error().message, "Check that Wharf can reach " + p.host + ".");
    return out;
  }
  if (m->status == 200) {
    out.digest = m->Header("docker-content-digest");
    r.Add("manifest", "passed",
          "Pull access confirmed: the manifest of " + image + " exists" +
              (out.digest.empty() ? std::string(".") : " (" + out.digest + ")."));
  } else if (m->status == 401) {
    Challenge again = ParseChallenge(m->Header("www-authenticate"));
    if (again.Param("error") == "insufficient_scope" || out.auth == "bearer")
      r.Fail("manifest", "registry",
             "unauthorized: '" + p.username + "' may not pull " + p.repository +
                 " (HTTP 401): the token lacks pull access to this repository, or the repository does not exist.",
             "Grant the account or token read access to " + p.repository + ", or check the repository name.");
    else
      unauthorized("manifest", 401);
  } else if (m->status == 403) {
    r.Fail("manifest", "registry", "denied: '" + p.username + "' may not pull " + p.repository + " (HTTP 403).",
           "Grant the account or token read access to " + p.repository + ".");
  } else if (m->status == 404) {
    r.Fail("manifest", "registry",
           "not found: " + image + " does not exist (HTTP 404): no such repository, or no such tag or digest in it.",
           "Check the repository and tag (Docker Hub's official images are library/<name>), and push the image "
           "before deploying it.");
  } else {
    r.Fail("manifest", "registry",
           "HEAD of the manifest of " + image + " answered HTTP " + std::to_string(m->status) + ".",
           "Check the registry's status page, then verify again.");
  }
  return out;
}

}  // namespace wharf::integrations
