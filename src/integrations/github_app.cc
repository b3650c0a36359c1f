#include "integrations/github_app.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "http_client/http.h"
#include "http_client/sigv4.h"

namespace wharf::integrations {

using nlohmann::json;

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

int NoPassphrase(char*, int, int, void*) { return 0; }  // an encrypted key fails instead of prompting

Result<Pkey> LoadKey(const SecretBytes& pem, std::string_view field) {
  std::string_view v = pem.view();
  if (v.find("-----BEGIN") == std::string_view::npos)
    return FieldError(field, "is not a PEM private key: paste the whole .pem file GitHub downloaded, from "
                             "'-----BEGIN RSA PRIVATE KEY-----' to the END line");
  if (v.find("ENCRYPTED") != std::string_view::npos)
    return FieldError(field, "is an encrypted (passphrase-protected) key: paste the key GitHub generated, unencrypted");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(v.data(), static_cast<int>(v.size())), BIO_free);
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!key) return FieldError(field, "could not be read as a PEM private key (truncated or altered?): paste the whole .pem file again");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    return FieldError(field, "is not an RSA key: GitHub App private keys are RSA; generate one on the app's settings page");
  return key;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), sizeof out));
}

std::string HmacHex(const SecretBytes& key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.view().data(), static_cast<int>(key.view().size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), len));
}

struct Api {
  const GithubApp& app;
  Result<http_client::HttpReply> Call(const std::string& method, const std::string& path, const std::string& auth) const {
    http_client::HttpCall c{.method = method, .url = app.api_url + path};
    c.headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}, {"Authorization", auth}};
    c.timeout_ms = app.timeout_ms;
    c.connect_timeout_ms = app.connect_timeout_ms;
    c.user_agent = "wharf";
    c.address_allowed = app.address_allowed;
    c.layer = Layer::kGithubApp;
    if (method == "POST") c.body = "{}";
    auto r = http_client::Fetch(c);
    std::fill(c.headers[2].second.begin(), c.headers[2].second.end(), '\0');
    return r;
  }
};

std::string GithubMessage(const http_client::HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"];
  return "HTTP " + std::to_string(r.status);
}

std::string PercentPath(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The cache key of an app's credential: a new key, app or installation mints anew.
std::string CredentialKey(const GithubApp& app) {
  return Sha256Hex(app.api_url + "\n" + app.app_id + "\n" + app.installation_id + "\n" + std::string(app.private_key->view()));
}

bool NameOk(std::string_view s) {
  if (s.empty() || s.size() > 100 || s == "." || s == "..") return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

}  // namespace

Status ValidateGithubPrivateKey(const SecretBytes& pem, std::string_view field) {
  WHARF_ASSIGN_OR_RETURN(auto key, LoadKey(pem, field));
  if (EVP_PKEY_get_bits(key.get()) < 2048) return FieldError(field, "is an RSA key shorter than 2048 bits");
  return Ok();
}

Result<SecretBytes> MintGithubAppJwt(std::string_view app_id, const SecretBytes& pem, int64_t now_seconds) {
  WHARF_ASSIGN_OR_RETURN(auto key, LoadKey(pem, "private_key"));
  json payload = {{"iat", now_seconds - 60}, {"exp", now_seconds + 540}};
  bool numeric = !app_id.empty() && std::all_of(app_id.begin(), app_id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric) payload["iss"] = std::stoll(std::string(app_id));
  else payload["iss"] = std::string(app_id);
  std::string input = Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})") + "." + Base64UrlEncode(payload.dump());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    return Internal("RS256 signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    return Internal("RS256 signing failed");
  }
  sig.resize(len);
  return SecretBytes::FromString(input + "." + Base64UrlEncode(sig));
}

Result<std::string> ParseGithubRepository(std::string_view in, std::string_view field) {
  std::string_view v = Trim(in);
  for (std::string_view prefix : {"https://github.com/", "http://github.com/", "github.com/"})
    if (StartsWith(v, prefix)) v.remove_prefix(prefix.size());
  while (!v.empty() && v.back() == '/') v.remove_suffix(1);
  if (v.ends_with(".git")) v.remove_suffix(4);
  auto parts = Split(v, '/');
  if (parts.size() != 2 || !NameOk(parts[0]) || !NameOk(parts[1]))
    return FieldError(field, "must be OWNER/REPO (e.g. acme/api) or https://github.com/OWNER/REPO");
  return std::string(parts[0]) + "/" + std::string(parts[1]);
}

std::optional<InstallationToken> GithubTokenCache::Get(const std::string& id, const std::string& credential_key, Timestamp now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.key != credential_key) return std::nullopt;
  if (it->second.token.expires_at - now <= kMarginMs) {
    entries_.erase(it);
    return std::nullopt;
  }
  return InstallationToken{SecretBytes::FromString(it->second.token.token.view()), it->second.token.expires_at};
}
void GithubTokenCache::Put(const std::string& id, const std::string& credential_key, const InstallationToken& t) {
  std::lock_guard lock(mu_);
  entries_[id] = Entry{credential_key, InstallationToken{SecretBytes::FromString(t.token.view()), t.expires_at}};
}
void GithubTokenCache::Drop(const std::string& id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

GithubResult VerifyGithubApp(const GithubApp& app, GithubTokenCache& cache, const std::string& cache_id, Timestamp now_ms,
                             std::string_view repository, std::string_view branch) {
  GithubResult res;
  Report& r = res.report;
  const std::string host = app.api_url.substr(app.api_url.find("://") + 3);
  auto skip_rest = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if ((std::string_view(n) == "repository" && repository.empty()) || (std::string_view(n) == "branch" && branch.empty()))
        continue;
      r.Add(n, "skipped", "Not checked: an earlier check failed.");
    }
  };
  auto network = [&](const char* check, const Error& e) {
    r.Fail(check, "network", "Cannot reach the GitHub API at " + host + ": " + e.message,
           "Check api_url (GitHub Enterprise: https://HOST/api/v3) and that the Wharf server may reach it.");
  };
  // 1. The key signs a JWT.
  auto jwt = MintGithubAppJwt(app.app_id, *app.private_key, now_ms / 1000);
  if (!jwt) {
    std::string why = jwt.error().details.contains("fields") ? jwt.error().details["fields"].value("private_key", jwt.error().message)
                                                             : jwt.error().message;
    r.Fail("private_key", "github_app", "The private key " + why, "Generate a private key on the GitHub App's settings page and paste the .pem file.");
    skip_rest({"installation", "installation_token", "repositories", "repository", "branch"});
    return res;
  }
  r.Add("private_key", "passed", "The app JWT (RS256, iss " + app.app_id + ", valid 10 minutes) was signed with the private key.");
  const Api api{app};
  const std::string bearer_jwt = "Bearer " + std::string(jwt->view());
  // 2. The installation: exists for this app, not suspended.
  auto inst = api.Call("GET", "/app/installations/" + app.installation_id, bearer_jwt);
  if (!inst) {
    network("installation", inst.error());
    skip_rest({"installation_token", "repositories", "repository", "branch"});
    return res;
  }
  if (inst->status == 401) {
    r.Fail("installation", "github_app",
           "GitHub refused the app's JWT (HTTP 401: \"" + GithubMessage(*inst) + "\"): the private key does not belong to app " +
               app.app_id + ", the app id is wrong, or this server's clock is off.",
           "Paste a private key generated for this app (GitHub → Settings → Developer settings → GitHub Apps → the app → "
           "Private keys) and check the App ID; keep the server's clock in sync (NTP).");
    skip_rest({"installation_token", "repositories", "repository", "branch"});
    return res;
  }
  if (inst->status == 404) {
    r.Fail("installation", "github_app",
           "Installation " + app.installation_id + " was not found for app " + app.app_id +
               ": the app is not installed there, or it was uninstalled.",
           "Install the app on the user or organisation account, then copy the installation id from the installation's "
           "settings URL (…/settings/installations/ID).");
    skip_rest({"installation_token", "repositories", "repository", "branch"});
    return res;
  }
  if (inst->status != 200) {
    r.Fail("installation", "github_app", "GitHub answered HTTP " + std::to_string(inst->status) + " for the installation: " + GithubMessage(*inst),
           "Check the app id and installation id.");
    skip_rest({"installation_token", "repositories", "repository", "branch"});
    return res;
  }
  auto ij = json::parse(inst->body, nullptr, false);
  if (ij.is_object()) {
    if (ij.contains("account") && ij["account"].is_object()) res.account = ij["account"].value("login", "");
    res.selection = ij.value("repository_selection", "");
  }
  if (ij.is_object() && ij.contains("suspended_at") && ij["suspended_at"].is_string()) {
    std::string by = ij.contains("suspended_by") && ij["suspended_by"].is_object() ? ij["suspended_by"].value("login", "") : "";
    r.Fail("installation", "github_app",
           "The installation on " + res.account + " is suspended (since " + ij["suspended_at"].get<std::string>() +
               (by.empty() ? "" : ", by " + by) + "): GitHub refuses it every token.",
           "An owner of " + res.account + " must unsuspend it: Settings → GitHub Apps → Configure → Unsuspend. Organisation "
           "third-party application restrictions can also block the app.");
    skip_rest({"installation_token", "repositories", "repository", "branch"});
    return res;
  }
  r.Add("installation", "passed", "Installed on " + res.account + " (repository access: " +
                                      (res.selection == "all" ? std::string("all repositories") : "only selected repositories") + ").");
  // 3. An installation token: cached, or minted.
  const std::string cred_key = CredentialKey(app);
  InstallationToken tok;
  auto mint = [&]() -> bool {
    auto ex = api.Call("POST", "/app/installations/" + app.installation_id + "/access_tokens", bearer_jwt);
    res.token_exchanges++;
    if (!ex) {
      network("installation_token", ex.error());
      return false;
    }
    if (ex->status != 201) {
      std::string msg = GithubMessage(*ex);
      bool suspended = ToLower(msg).find("suspended") != std::string::npos;
      r.Fail("installation_token", "github_app",
             "GitHub refused an installation token (HTTP " + std::to_string(ex->status) + ": \"" + msg + "\").",
             suspended ? "An owner of the account must unsuspend the installation (Settings → GitHub Apps → Configure)."
                       : "Check that the app is installed and has Contents (read) and Metadata (read) permissions.");
      return false;
    }
    auto tj = json::parse(ex->body, nullptr, false);
    if (!tj.is_object() || !tj.contains("token") || !tj["token"].is_string()) {
      r.Fail("installation_token", "github_app", "GitHub's token answer had no token.", "Retry; check api_url.");
      return false;
    }
    tok.token = SecretBytes::FromString(tj["token"].get_ref<const std::string&>());
    std::string exp_s = tj.value("expires_at", "");
    auto exp = http_client::sigv4::ParseIso8601(exp_s);
    tok.expires_at = exp ? *exp : now_ms + 3600 * 1000;
    cache.Put(cache_id, cred_key, tok);
    return true;
  };
  if (auto cached = cache.Get(cache_id, cred_key, now_ms)) {
    tok = std::move(*cached);
    res.cached_token = true;
  } else if (!mint()) {
    skip_rest({"repositories", "repository", "branch"});
    return res;
  }
  r.Add("installation_token", "passed",
        std::string(res.cached_token ? "A cached installation token was used" : "An installation token was minted") +
            " (valid for " + std::to_string(std::max<int64_t>(0, (tok.expires_at - now_ms) / 60000)) + " more minutes).");
  auto bearer_token = [&] { return "Bearer " + std::string(tok.token.view()); };
  // A call with the installation token; a 401 on a cached token (revoked or expired early) mints
  // a new one and tries once more.
  auto with_token = [&](const std::string& path) -> Result<http_client::HttpReply> {
    auto rep = api.Call("GET", path, bearer_token());
    if (rep && rep->status == 401 && res.cached_token) {
      cache.Drop(cache_id);
      res.cached_token = false;
      Report scratch;
      std::swap(scratch, r);
      bool ok = mint();
      std::swap(scratch, r);
      if (!ok) {
        for (auto& c : scratch.checks) r.checks.push_back(c);
        return rep;
      }
      for (auto& c : r.checks)
        if (c.name == "installation_token") c.message += " GitHub no longer accepted the cached token, so a new one was minted.";
      rep = api.Call("GET", path, bearer_token());
    }
    return rep;
  };
  // 4. The allow-list.
  std::vector<std::pair<std::string, std::string>> repos;  // full_name, default_branch
  int total = -1;
  for (int page = 1; page <= 50; ++page) {
    auto lr = with_token("/installation/repositories?per_page=100&page=" + std::to_string(page));
    if (!lr) {
      network("repositories", lr.error());
      skip_rest({"repository", "branch"});
      return res;
    }
    if (lr->status != 200) {
      r.Fail("repositories", "github_app",
             "GitHub refused to list the installation's repositories (HTTP " + std::to_string(lr->status) + ": \"" +
                 GithubMessage(*lr) + "\").",
             "Give the app the Metadata (read) permission and accept the new permissions on the installation.");
      skip_rest({"repository", "branch"});
      return res;
    }
    auto lj = json::parse(lr->body, nullptr, false);
    if (!lj.is_object() || !lj.contains("repositories") || !lj["repositories"].is_array()) break;
    total = lj.value("total_count", 0);
    for (auto& rep : lj["repositories"])
      if (rep.is_object()) repos.emplace_back(rep.value("full_name", ""), rep.value("default_branch", ""));
    if (lj["repositories"].size() < 100 || static_cast<int>(repos.size()) >= total) break;
  }
  for (auto& [n, _] : repos) res.repositories.push_back(n);
  std::string some;
  for (size_t i = 0; i < repos.size() && i < 10; ++i) some += (i ? ", " : "") + repos[i].first;
  r.Add("repositories", "passed",
        "The installation reaches " + std::to_string(repos.size()) + " repositor" + (repos.size() == 1 ? "y" : "ies") +
            (some.empty() ? std::string(".") : ": " + some + (repos.size() > 10 ? ", …" : "") + "."));
  if (repository.empty()) return res;
  // 5. The repository is on the allow-list.
  const std::pair<std::string, std::string>* found = nullptr;
  for (auto& rp : repos)
    if (ToLower(rp.first) == ToLower(repository)) found = &rp;
  if (!found) {
    r.Fail("repository", "github_app",
           std::string(repository) + " is not in the installation's repository allow-list (" +
               (res.selection == "selected" ? "the app is installed on 'Only select repositories', " : "") +
               std::to_string(repos.size()) + " reachable), or it does not exist.",
           "On GitHub: " + (res.account.empty() ? std::string("the account") : res.account) +
               " → Settings → GitHub Apps → the app → Configure → Repository access: add " + std::string(repository) +
               " (or choose All repositories).");
    if (!branch.empty()) r.Add("branch", "skipped", "Not checked: the repository is not reachable.");
    return res;
  }
  r.Add("repository", "passed", found->first + " is in the installation's allow-list.");
  if (branch.empty()) return res;
  // 6. The branch exists.
  auto br = with_token("/repos/" + found->first + "/branches/" + PercentPath(branch));
  if (!br) {
    network("branch", br.error());
    return res;
  }
  if (br->status == 200) {
    auto bj = json::parse(br->body, nullptr, false);
    if (bj.is_object() && bj.contains("commit") && bj["commit"].is_object()) res.branch_sha = bj["commit"].value("sha", "");
    r.Add("branch", "passed", "Branch " + std::string(branch) + " exists" +
                                  (res.branch_sha.empty() ? std::string(".") : " at " + res.branch_sha.substr(0, 12) + "."));
  } else if (br->status == 404) {
    r.Fail("branch", "github_app",
           "Branch '" + std::string(branch) + "' does not exist in " + found->first + " (GitHub: \"" + GithubMessage(*br) + "\")" +
               (found->second.empty() ? std::string(".") : "; the default branch is " + found->second + "."),
           "Point the service at an existing branch or tag, or push '" + std::string(branch) + "' first.");
  } else {
    r.Fail("branch", "github_app", "GitHub answered HTTP " + std::to_string(br->status) + " for the branch: " + GithubMessage(*br),
           "Give the app the Contents (read) permission.");
  }
  return res;
}

Result<InstallationToken> GithubInstallationToken(const GithubApp& app, GithubTokenCache& cache, const std::string& cache_id,
                                                  Timestamp now_ms, std::string_view repository) {
  GithubResult res = VerifyGithubApp(app, cache, cache_id, now_ms, repository, "");
  if (const Check* f = res.report.FirstFailure()) {
    Error e;
    e.code = ErrorCode::kConflict;
    e.message = f->message;
    e.layer = f->layer == "network" ? Layer::kNetwork : Layer::kGithubApp;
    e.details["check"] = f->name;
    e.details["fix"] = f->fix;
    return tl::unexpected(std::move(e));
  }
  if (auto t = cache.Get(cache_id, CredentialKey(app), now_ms)) return std::move(*t);
  // Verify just put a token in the cache; only a concurrent edit of the provider drops it.
  return Err(ErrorCode::kConflict, "The installation token was replaced while it was being minted.", Layer::kGithubApp);
}

std::string GithubGitHost(std::string_view api_url) {
  std::string_view v = api_url;
  if (auto p = v.find("://"); p != std::string_view::npos) v.remove_prefix(p + 3);
  v = v.substr(0, v.find('/'));
  if (auto at = v.rfind('@'); at != std::string_view::npos) v.remove_prefix(at + 1);
  std::string host = ToLower(v);
  if (host == "api.github.com") return "github.com";
  return host;
}

std::string GithubCloneUrl(std::string_view api_url, std::string_view owner_repo) {
  return "https://" + GithubGitHost(api_url) + "/" + std::string(owner_repo) + ".git";
}

WebhookVerdict VerifyWebhookSignature(std::string_view scheme, const WebhookHeaders& h, std::string_view raw_body,
                                      const SecretBytes& secret) {
  WebhookVerdict v;
  auto hmac_check = [&](const char* header, bool prefixed) {
    v.header = header;
    std::string got = h.get(ToLower(header));
    if (got.empty()) {
      v.outcome = "missing_signature";
      v.message = std::string("The delivery has no ") + header + " header: set the webhook's secret on the git host.";
      return;
    }
    std::string want = (prefixed ? "sha256=" : "") + HmacHex(secret, raw_body);
    bool ok = ConstantTimeEquals(ToLower(Trim(got)), want);
    std::fill(want.begin(), want.end(), '\0');
    v.outcome = ok ? "accepted" : "bad_signature";
    v.message = ok ? "" : std::string(header) + " does not match the body signed with this provider's webhook secret: the "
                                                "secret on the git host differs from the one saved in Wharf.";
  };
  if (scheme == "github_app") hmac_check("X-Hub-Signature-256", true);
  else if (scheme == "bitbucket") hmac_check("X-Hub-Signature", true);
  else if (scheme == "gitea") hmac_check("X-Gitea-Signature", false);
  else if (scheme == "gitlab") {
    v.header = "X-Gitlab-Token";
    std::string got = h.get("x-gitlab-token");
    if (got.empty()) {
      v.outcome = "missing_signature";
      v.message = "The delivery has no X-Gitlab-Token header: set the webhook's secret token in GitLab.";
    } else {
      v.outcome = ConstantTimeEquals(got, secret.view()) ? "accepted" : "bad_signature";
      if (v.outcome != "accepted") v.message = "X-Gitlab-Token differs from this provider's webhook secret.";
    }
  } else {  // azure_devops: Basic auth, the password is the secret
    v.header = "Authorization";
    std::string got = h.get("authorization");
    if (!StartsWith(got, "Basic ")) {
      v.outcome = "missing_signature";
      v.message = "The delivery has no Basic authorization: set a username and the webhook secret as password on the service hook.";
    } else {
      std::string decoded;
      std::string b64 = got.substr(6);
      // Base64 (not url): map to url alphabet and drop padding for the shared decoder.
      for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
      while (!b64.empty() && b64.back() == '=') b64.pop_back();
      bool ok = Base64UrlDecode(b64, &decoded);
      auto colon = decoded.find(':');
      ok = ok && colon != std::string::npos && ConstantTimeEquals(std::string_view(decoded).substr(colon + 1), secret.view());
      std::fill(decoded.begin(), decoded.end(), '\0');
      v.outcome = ok ? "accepted" : "bad_signature";
      if (!ok) v.message = "The Basic authorization password differs from this provider's webhook secret.";
    }
  }
  return v;
}

std::string WebhookEventName(std::string_view scheme, const WebhookHeaders& h) {
  std::string e;
  if (scheme == "github_app") e = h.get("x-github-event");
  else if (scheme == "gitlab") e = h.get("x-gitlab-event");
  else if (scheme == "gitea") e = h.get("x-gitea-event");
  else if (scheme == "bitbucket") e = h.get("x-event-key");
  e = ToLower(Trim(e));
  if (e == "push hook" || e == "repo:push") return "push";
  if (e == "tag push hook") return "tag_push";
  if (e.size() > 60) e.resize(60);
  for (char& c : e)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '.' || c == '-')) c = '_';
  return e;
}

}  // namespace wharf::integrations
