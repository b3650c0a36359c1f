// Git providers: GitHub Apps and token hosts (GitLab, Bitbucket, Gitea, Azure DevOps) in the shared
// integrations table, their verify (integrations/git.h, integrations/github_app.h), webhook
// deliveries, and the expiring-credentials listing that covers every integration kind.
//
// Sealed, write-only fields: private_key, token, webhook_secret. The duplicate check keys: a
// GitHub App by (api_url, app id, installation id); a token host by (type, base_url, username,
// a salted SHA-256 fingerprint of the token), so the same token twice is refused while two
// tokens for the same host and default username are not.
#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "http_client/sigv4.h"
#include "integrations/git.h"
#include "integrations/webhook_payload.h"
#include "nodes/ssh.h"
#include "secrets/crypto.h"
#include "services/git_providers.h"

namespace wharf::services {

using domain::Action;
using nlohmann::json;

namespace {

constexpr const char* kTypes[] = {"github_app", "gitlab", "bitbucket", "gitea", "azure_devops"};
constexpr const char* kTypeList = "github_app, gitlab, bitbucket, gitea or azure_devops";

std::string HostOfUrl(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  return rest.substr(0, rest.find('/'));
}

Status ValidateDigits(std::string_view v, std::string_view field, const char* what) {
  if (v.empty() || v.size() > 20 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return FieldError(field, std::string("must be the numeric ") + what);
  return Ok();
}

Status ValidateSecretField(const SecretBytes& v, std::string_view field, const char* what, size_t max = 8192) {
  if (v.size() == 0) return FieldError(field, std::string("is empty: paste the ") + what);
  if (v.size() > max) return FieldError(field, "is longer than " + std::to_string(max) + " bytes");
  return Ok();
}

Status ValidateToken(const SecretBytes& v) {
  WHARF_TRY(ValidateSecretField(v, "token", "access token"));
  for (char c : v.view())
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
      return FieldError("token", "contains spaces, line breaks or control characters: paste the token alone");
  return Ok();
}

Result<std::string> ValidateBranch(std::string_view b, std::string_view field) {
  std::string_view v = Trim(b);
  if (StartsWith(v, "refs/heads/")) v.remove_prefix(11);
  if (v.empty()) return FieldError(field, "is empty: name a branch, e.g. main");
  if (v.size() > 255) return FieldError(field, "is longer than 255 characters");
  if (v.front() == '-' || v.front() == '/' || v.back() == '/' || v.back() == '.' || v.find("..") != std::string_view::npos ||
      v.find("@{") != std::string_view::npos || v.ends_with(".lock"))
    return FieldError(field, "is not a valid git branch name");
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f || c == '~' || c == '^' || c == ':' || c == '?' || c == '*' ||
        c == '[' || c == '\\')
      return FieldError(field, "is not a valid git branch name (no spaces or ~^:?*[\\)");
  return std::string(v);
}

std::string TokenFingerprint(std::string_view org_id, const SecretBytes& token) {
  return secrets::Sha256Hex("wharf-git-token-v1\n" + std::string(org_id) + "\n" + std::string(token.view())).substr(0, 32);
}

json ReportJson(const integrations::Report& r) {
  json checks = json::array();
  for (auto& c : r.checks) {
    json j = {{"name", c.name}, {"status", c.status}, {"message", c.message}};
    if (!c.layer.empty()) j["layer"] = c.layer;
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(std::move(j));
  }
  return {{"ok", r.ok()}, {"checks", checks}};
}

std::string IsoDay(Timestamp ms) {
  int64_t days = ms / 86400000;
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y + (m <= 2)), m, d);
  return buf;
}

// Replay protection for webhook deliveries: accepted deliveries are remembered this long, and
// where the provider dates a delivery, one older than kDeliveryMaxAgeMs is refused. The window
// sits inside the retention, so a delivery whose keys were pruned is always too old to count.
constexpr int64_t kDeliveryRetentionMs = 7LL * 24 * 3600 * 1000;
constexpr int64_t kDeliveryMaxAgeMs = 3LL * 24 * 3600 * 1000;

// The keys a delivery is remembered by: the provider's delivery id, and the digest of the raw
// body. GitHub, Gitea and Bitbucket sign only the body, so a replay may carry a fresh id header;
// the digest still matches.
std::vector<std::string> DeliveryKeys(std::string_view delivery_id, std::string_view raw_body) {
  std::vector<std::string> keys;
  if (!delivery_id.empty()) keys.push_back("id:" + std::string(delivery_id));
  keys.push_back("sha256:" + secrets::Sha256Hex(raw_body));
  return keys;
}

// When the provider says it made the delivery (ms), 0 when it does not say: a GitHub push's
// repository.pushed_at (seconds) and Azure DevOps' createdDate (RFC 3339, fractional seconds).
Timestamp DeliveryTime(const std::string& type, const json& body) {
  if (type == "github_app" && body.contains("repository") && body["repository"].is_object()) {
    const json& t = body["repository"].value("pushed_at", json());
    if (t.is_number_integer()) return t.get<int64_t>() * 1000;
  }
  if (type == "azure_devops" && body.contains("createdDate") && body["createdDate"].is_string()) {
    std::string s = body["createdDate"].get<std::string>();
    if (s.size() >= 19) {
      auto t = http_client::sigv4::ParseIso8601(s.substr(0, 19) + "Z");
      if (t) return *t;
    }
  }
  return 0;
}

}  // namespace

// The secret fields present in a body, copied for sealing.
static std::vector<std::pair<std::string, SecretBytes>> GitSecrets(const GitProviderInput& in) {
  std::vector<std::pair<std::string, SecretBytes>> out;
  if (in.private_key) out.emplace_back("private_key", SecretBytes::FromString(in.private_key->view()));
  if (in.token) out.emplace_back("token", SecretBytes::FromString(in.token->view()));
  if (in.webhook_secret) out.emplace_back("webhook_secret", SecretBytes::FromString(in.webhook_secret->view()));
  return out;
}

Status GitProviders::ApplyGitProviderInput(const GitProviderInput& in, domain::Integration& row, bool creating, std::string& label) {
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(row.name, domain::ValidateName(*in.name, "name", 100));
  }
  if (creating) {
    if (!in.type) return FieldError("type", std::string("is required: ") + kTypeList);
    bool known = false;
    for (const char* t : kTypes) known = known || *in.type == t;
    if (!known) return FieldError("type", std::string("must be ") + kTypeList);
    row.fields["type"] = *in.type;
  } else if (in.type && *in.type != row.Field("type")) {
    return FieldError("type", "cannot change (this provider is " + row.Field("type") + "): add a new git provider instead");
  }
  const std::string type = row.Field("type");
  if (type == "github_app") {
    for (auto [given, field] : {std::pair{in.base_url.has_value(), "base_url"}, {in.username.has_value(), "username"},
                                {in.token.has_value(), "token"}, {in.token_scope.has_value(), "token_scope"},
                                {in.repository.has_value(), "repository"}})
      if (given) return FieldError(field, "applies to token hosts (gitlab, bitbucket, gitea, azure_devops), not github_app");
    if (creating && !in.app_id) return FieldError("app_id", "is required: the App ID on the GitHub App's settings page");
    if (creating && !in.installation_id)
      return FieldError("installation_id", "is required: the number at the end of the installation's settings URL (…/installations/ID)");
    if (creating && !in.private_key) return FieldError("private_key", "is required: the .pem private key generated for the app");
    if (creating && !in.webhook_secret)
      return FieldError("webhook_secret", "is required: the webhook secret set on the GitHub App (Wharf checks X-Hub-Signature-256 with it)");
    if (in.app_id) {
      WHARF_TRY(ValidateDigits(Trim(*in.app_id), "app_id", "App ID from the GitHub App's settings page"));
      row.fields["app_id"] = std::string(Trim(*in.app_id));
    }
    if (in.installation_id) {
      WHARF_TRY(ValidateDigits(Trim(*in.installation_id), "installation_id", "installation id (…/installations/ID)"));
      row.fields["installation_id"] = std::string(Trim(*in.installation_id));
    }
    if (in.api_url || creating) {
      std::string v = in.api_url && !Trim(*in.api_url).empty() ? *in.api_url : "https://api.github.com";
      WHARF_ASSIGN_OR_RETURN(row.fields["api_url"], integrations::ValidateBaseUrl(v, "api_url"));
    }
    if (in.private_key) {
      WHARF_TRY(ValidateSecretField(*in.private_key, "private_key", "PEM private key", 16384));
      WHARF_TRY(integrations::ValidateGithubPrivateKey(*in.private_key, "private_key"));
    }
    WHARF_TRY(integrations_.CheckPrivateTarget(HostOfUrl(row.Field("api_url")), "api_url"));
    row.dedupe_key = "github_app|" + row.Field("api_url") + "|" + row.Field("app_id") + "|" + row.Field("installation_id");
    label = "app " + row.Field("app_id") + ", installation " + row.Field("installation_id") + " on " + HostOfUrl(row.Field("api_url"));
  } else {
    const integrations::TokenHostInfo& info = *integrations::FindTokenHost(type);
    for (auto [given, field] : {std::pair{in.app_id.has_value(), "app_id"}, {in.installation_id.has_value(), "installation_id"},
                                {in.api_url.has_value(), "api_url"}, {in.private_key.has_value(), "private_key"}})
      if (given) return FieldError(field, "applies only to type github_app");
    if (type != "bitbucket" && in.token_scope)
      return FieldError("token_scope", "applies only to bitbucket (workspace or repository access tokens)");
    if (in.base_url || creating) {
      std::string v = in.base_url ? std::string(Trim(*in.base_url)) : std::string();
      if (v.empty()) v = info.default_base_url;
      if (v.empty()) return FieldError("base_url", std::string("is required for ") + info.title + ": your server's URL, e.g. https://gitea.example.com");
      WHARF_ASSIGN_OR_RETURN(row.fields["base_url"], integrations::ValidateBaseUrl(v, "base_url"));
    }
    if (in.username) {
      std::string_view u = Trim(*in.username);
      if (u.size() > 256) return FieldError("username", "is longer than 256 characters");
      for (char c : u)
        if (static_cast<unsigned char>(c) < 0x21 || c == ':') return FieldError("username", "must not contain spaces, control characters or ':'");
      if (u.empty()) row.fields.erase("username");
      else row.fields["username"] = std::string(u);
    }
    if (creating && !in.token)
      return FieldError("token", std::string("is required: a ") + info.title + " access token with " + info.read_scope);
    if (in.token_scope || (creating && type == "bitbucket")) {
      std::string v = in.token_scope ? *in.token_scope : "workspace";
      if (v != "workspace" && v != "repository")
        return FieldError("token_scope", "must be workspace (workspace/project access token or app password) or repository (a repository access token)");
      row.fields["token_scope"] = v;
    }
    if (type != "bitbucket" && in.repository)
      return FieldError("repository", "is stored only for Bitbucket repository access tokens; give it to verify instead");
    if (in.repository) {
      WHARF_ASSIGN_OR_RETURN(auto url, integrations::ParseCloneUrl(info, row.Field("base_url"), *in.repository, "repository"));
      row.fields["repository"] = url.url;
    }
    if (row.Field("token_scope") == "repository" && row.Field("repository").empty())
      return FieldError("repository", "is required with token_scope repository: the clone URL of the repository the token belongs to");
    if (row.Field("token_scope") != "repository") row.fields.erase("repository");
    std::string fp;
    if (in.token) {
      WHARF_TRY(ValidateToken(*in.token));
      fp = TokenFingerprint(row.org_id, *in.token);
    } else {
      fp = row.dedupe_key.substr(row.dedupe_key.rfind('|') + 1);
    }
    WHARF_TRY(integrations_.CheckPrivateTarget(HostOfUrl(row.Field("base_url")), "base_url"));
    std::string user = row.Field("username").empty() ? info.default_username : row.Field("username");
    if (user.empty()) return FieldError("username", std::string("is required for ") + info.title + ": the account the token belongs to");
    row.dedupe_key = type + "|" + row.Field("base_url") + "|" + user + "|" + fp;
    label = std::string(info.title) + " token for " + user + " on " + HostOfUrl(row.Field("base_url"));
  }
  if (in.webhook_secret) {
    WHARF_TRY(ValidateSecretField(*in.webhook_secret, "webhook_secret", "webhook secret", 1024));
  }
  return Ok();
}

Result<domain::Integration> GitProviders::CreateGitProvider(const authz::Principal& p, GitProviderInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kGitProviders.collection, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  domain::Integration row;
  row.org_id = p.org_id;
  std::string label;
  WHARF_TRY(ApplyGitProviderInput(in, row, true, label));
  return integrations_.InsertIntegration(p, kGitProviders, std::move(row), GitSecrets(in), label, ctx);
}

Result<domain::Integration> GitProviders::UpdateGitProvider(const authz::Principal& p, std::string_view id, GitProviderInput in,
                                                        const RequestContext& ctx) {
  std::string label;
  auto edit = [&](domain::Integration& row) -> Status { return ApplyGitProviderInput(in, row, false, label); };
  return integrations_.SaveIntegration(p, kGitProviders, id, edit, GitSecrets(in), label, ctx);
}

Result<CheckOutcome> GitProviders::RunGitProviderChecks(const domain::Integration& row, const SecretBytes& credential,
                                                    const std::optional<std::string>& repository,
                                                    const std::optional<std::string>& branch,
                                                    integrations::GithubTokenCache& cache, Timestamp* expires_at) {
  const std::string type = row.Field("type");
  std::string branch_name;
  if (branch) {
    WHARF_ASSIGN_OR_RETURN(branch_name, ValidateBranch(*branch, "branch"));
  }
  std::function<bool(std::string_view)> guard;
  if (!config_.allow_private_targets) guard = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  json extra;
  integrations::Report report;
  if (type == "github_app") {
    std::string repo;
    if (repository && !Trim(*repository).empty()) {
      WHARF_ASSIGN_OR_RETURN(repo, integrations::ParseGithubRepository(*repository, "repository"));
    } else if (branch) {
      return FieldError("repository", "is required with branch: OWNER/REPO");
    }
    integrations::GithubApp app{.api_url = row.Field("api_url"), .app_id = row.Field("app_id"),
                                .installation_id = row.Field("installation_id"), .private_key = &credential};
    app.timeout_ms = static_cast<int>(config_.command_timeout_ms);
    app.connect_timeout_ms = static_cast<int>(config_.connect_timeout_ms);
    app.address_allowed = guard;
    auto res = integrations::VerifyGithubApp(app, cache, row.id, clock_.Now(), repo, branch_name);
    report = std::move(res.report);
    extra["account"] = res.account;
    extra["repository_selection"] = res.selection;
    extra["repositories"] = res.repositories.size();
    extra["token_exchanges"] = res.token_exchanges;
    if (!repo.empty()) extra["repository"] = repo;
    if (!res.branch_sha.empty()) extra["sha"] = res.branch_sha;
  } else {
    const integrations::TokenHostInfo& info = *integrations::FindTokenHost(type);
    std::string input = repository && !Trim(*repository).empty() ? *repository : row.Field("repository");
    if (input.empty())
      return FieldError("repository", std::string("is required: the HTTPS clone URL (or path) of a repository the token can read, ") +
                                          info.url_format);
    WHARF_ASSIGN_OR_RETURN(auto url, integrations::ParseCloneUrl(info, row.Field("base_url"), input, "repository"));
    extra["repository"] = url.url;
    if (type == "gitlab") {
      auto t = integrations::ReadGitlabToken(row.Field("base_url"), credential, static_cast<int>(config_.command_timeout_ms), guard);
      if (!t.reached) {
        report.Add("token_api", "skipped",
                   "GitLab's token API (/api/v4/personal_access_tokens/self) was not reachable: " + t.message +
                       ". Scopes and expiry are unknown; the clone check still runs.");
      } else if (!t.valid) {
        report.Fail("token_api", "git_token", "GitLab refused the token: " + t.message + ".",
                    "Create a new GitLab access token with read_repository (rotate before it expires) and save it here.");
      } else {
        bool can_read = false;
        for (auto& s : t.scopes) can_read = can_read || s == "read_repository" || s == "write_repository" || s == "api";
        std::string scopes;
        for (auto& s : t.scopes) scopes += (scopes.empty() ? "" : ", ") + s;
        extra["scopes"] = t.scopes;
        if (t.expires_at_ms) {
          extra["expires_at"] = IsoDay(t.expires_at_ms);
          if (expires_at) *expires_at = t.expires_at_ms;
        }
        const Timestamp now = clock_.Now();
        if (t.expires_at_ms && t.expires_at_ms <= now) {
          report.Fail("token_api", "git_token", "The token '" + t.name + "' expired on " + IsoDay(t.expires_at_ms) + ".",
                      "Create a new token with read_repository and save it here; rotate before the expiry date.");
        } else if (!can_read) {
          report.Fail("token_api", "git_token",
                      "The token '" + t.name + "' has the scopes [" + scopes + "] but not read_repository: git clone will be refused.",
                      "Create a token with the read_repository scope (read_api too if Wharf should read the API).");
        } else {
          std::string days = t.expires_at_ms ? ", expires " + IsoDay(t.expires_at_ms) + " (in " +
                                                   std::to_string((t.expires_at_ms - now) / 86400000) + " days)"
                                             : ", no expiry";
          report.Add("token_api", "passed", "Token '" + t.name + "': scopes " + scopes + days + ".");
        }
      }
    }
    if (type == "bitbucket" && row.Field("token_scope") == "repository" && !row.Field("repository").empty() &&
        row.Field("repository") != url.url) {
      report.Fail("token_scope", "git_token",
                  "This provider holds a Bitbucket repository access token for " + row.Field("repository") +
                      "; it cannot read " + url.url + ".",
                  "Add a git provider with that repository's own access token, or use a workspace access token where "
                  "your Bitbucket plan offers them.");
    } else {
      integrations::GitProbe probe{.host = &info, .url = url.url, .branch = branch_name, .username = row.Field("username"),
                                   .token = &credential};
      probe.ca_file = config_.ca_bundle;
      probe.timeout_ms = static_cast<int>(std::max<int64_t>(config_.command_timeout_ms, 5000));
      probe.address_allowed = guard;
      auto res = integrations::VerifyClone(probe);
      report.checks.insert(report.checks.end(), res.report.checks.begin(), res.report.checks.end());
      if (!res.head_sha.empty()) extra["sha"] = res.head_sha;
    }
  }
  json j = ReportJson(report);
  j["type"] = type;
  if (!branch_name.empty()) j["branch"] = branch_name;
  for (auto& [k, v] : extra.items()) j[k] = v;
  CheckOutcome out;
  out.ok = report.ok();
  out.report = j;
  return out;
}

Result<CheckOutcome> GitProviders::VerifyGitProvider(const authz::Principal& p, std::string_view id,
                                                 std::optional<std::string> repository, std::optional<std::string> branch,
                                                 const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto loaded, integrations_.LoadIntegrationSecret(p, kGitProviders, id, Action::kUpdate, "token", ctx));
  if (loaded.first.Field("type") == "github_app") {
    WHARF_ASSIGN_OR_RETURN(loaded, integrations_.LoadIntegrationSecret(p, kGitProviders, id, Action::kUpdate, "private_key", ctx));
  }
  auto& [row, credential] = loaded;
  Timestamp expires = row.expires_at;
  WHARF_ASSIGN_OR_RETURN(auto out, RunGitProviderChecks(row, credential, repository, branch, integrations_.github_tokens(), &expires));
  row.expires_at = expires;
  // The scheduled re-verification checks the repository and branch of the last verification again.
  bool remember = false;
  for (auto [field, value] : {std::pair{"verify_repository", repository}, std::pair{"verify_branch", branch}}) {
    const std::string v = value.value_or("");
    if (row.Field(field) == v) continue;
    remember = true;
    if (v.empty()) row.fields.erase(field);
    else row.fields[field] = v;
  }
  WHARF_TRY(integrations_.RecordIntegrationVerify(p, kGitProviders, row, out, ctx, remember));
  return out;
}

Result<CheckOutcome> GitProviders::TestGitProvider(const authz::Principal& p, GitProviderInput in,
                                               std::optional<std::string> repository, std::optional<std::string> branch,
                                               const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kGitProviders.collection, Action::kCreate, nullptr, ctx));
  if (!in.name) in.name = "test";
  if (!in.webhook_secret) in.webhook_secret = SecretBytes::FromString("unused");
  domain::Integration row;
  row.org_id = p.org_id;
  row.id = "test";
  std::string label;
  WHARF_TRY(ApplyGitProviderInput(in, row, true, label));
  const SecretBytes& credential = row.Field("type") == "github_app" ? *in.private_key : *in.token;
  integrations::GithubTokenCache scratch;  // an unsaved body's installation token is not kept
  return RunGitProviderChecks(row, credential, repository, branch, scratch, nullptr);
}

// ---- webhooks ----

void GitProviders::RecordGitDelivery(const domain::Integration& seen, const WebhookOutcome& out, const std::string& delivery_id) {
  const Timestamp now = clock_.Now();
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(seen.org_id, kGitProviders.name, seen.id));
    if (!row) return Ok();
    auto count = [&](const char* k) {
      int64_t n = std::atoll(row->Field(k).c_str());
      row->fields[k] = std::to_string(n + 1);
    };
    count("webhook_deliveries");
    if (!out.accepted) count("webhook_rejected");
    if (out.outcome == "replay" || out.outcome == "stale") count("webhook_replays");
    row->fields["webhook_last_at"] = std::to_string(now);
    row->fields["webhook_last_event"] = out.event;
    row->fields["webhook_last_outcome"] = out.outcome;
    row->fields["webhook_last_message"] = out.message;
    row->fields["webhook_last_delivery_id"] = delivery_id;
    if (out.outcome == "accepted") row->fields["webhook_last_accepted_at"] = std::to_string(now);
    return tx.integrations().Update(*row);
  });
  if (!st) log::Warn("webhook.record_failed", {{"provider_id", seen.id}, {"error", st.error().message}});
}

Result<WebhookOutcome> GitProviders::ReceiveGitWebhook(std::string_view provider_id, const WebhookRequest& req,
                                                   const RequestContext& ctx) {
  std::optional<domain::Integration> row;
  SecretBytes secret;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.integrations().FindAnyOrg(kGitProviders.name, provider_id));
    if (!row) return Ok();
    auto it = row->sealed.find("webhook_secret");
    if (it == row->sealed.end()) return Ok();
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(row->org_id));
    if (!org) return Ok();
    WHARF_ASSIGN_OR_RETURN(secret, envelope_.Open(org->wrapped_data_key, {row->org_id, kGitProviders.name, row->id, "webhook_secret"},
                                                  it->second));
    return Ok();
  }));
  if (!row)
    return Err(ErrorCode::kNotFound, "No git provider has this webhook URL (was the provider removed?): update the "
                                     "webhook's URL on the git host.", Layer::kWebhook);
  const std::string type = row->Field("type");
  integrations::WebhookHeaders h{req.header};
  WebhookOutcome out;
  out.event = integrations::WebhookEventName(type, h);
  std::string delivery = req.header("x-github-delivery");
  if (delivery.empty()) delivery = req.header("x-gitea-delivery");
  if (delivery.empty()) delivery = req.header("idempotency-key");  // GitLab: the same on a retry
  if (delivery.empty()) delivery = req.header("x-gitlab-event-uuid");
  if (delivery.empty()) delivery = req.header("x-request-uuid");
  if (delivery.size() > 100) delivery.resize(100);
  Result<integrations::WebhookPush> parsed = integrations::WebhookPush{};
  if (secret.size() == 0) {
    out.outcome = "no_secret";
    out.message = "This git provider has no webhook secret, so Wharf cannot tell a real delivery from a forged one: "
                  "set webhook_secret on the provider and the same secret on the git host.";
  } else {
    auto v = integrations::VerifyWebhookSignature(type, h, req.body, secret);
    out.outcome = v.outcome;
    out.message = v.message;
    out.accepted = v.outcome == "accepted";
    if (out.accepted) {
      parsed = integrations::ParseWebhookPush(type, req.body);
      if (!parsed) {
        out.accepted = false;
        out.outcome = "bad_payload";
        out.message = "The delivery could not be read (" + parsed.error().message + ").";
      } else if (type == "azure_devops" && out.event.empty()) {
        out.event = parsed->azure_event;
      }
    }
    if (out.accepted) {
      // Already parsed within the limits by ParseWebhookPush; read again for the delivery's id and date.
      const json body = ParseUntrustedJson(req.body, "body").value_or(json::object());
      if (type == "azure_devops" && delivery.empty() && body.contains("id") && body["id"].is_string())
        delivery = body["id"].get<std::string>().substr(0, 100);
      WHARF_ASSIGN_OR_RETURN(out.outcome, CheckDeliveryReplay(row->id, delivery, req.body, DeliveryTime(type, body)));
      if (out.outcome == "replay")
        out.message = "Wharf already accepted this delivery (same delivery id or the same signed body within 7 days); "
                      "it was not acted on again.";
      else if (out.outcome == "stale")
        out.message = "This delivery is dated more than 3 days ago; Wharf does not act on old deliveries.";
    }
  }
  RecordGitDelivery(*row, out, delivery);
  log::Info("webhook", {{"provider_id", row->id}, {"org_id", row->org_id}, {"type", type}, {"event", out.event},
                        {"outcome", out.outcome}, {"delivery", delivery}, {"request_id", ctx.request_id}});
  if (out.outcome == "accepted" && out.event == "push") {
    GitPush push{.org_id = row->org_id, .provider_id = row->id, .repository = parsed->repository,
                 .sha = parsed->sha, .at = clock_.Now()};
    const std::string& ref = parsed->ref;
    if (StartsWith(ref, "refs/heads/")) {
      push.branch = ref.substr(11);
      OnGitPush(push);
    }
  }
  return out;
}

Result<std::string> GitProviders::CheckDeliveryReplay(const std::string& provider_id, const std::string& delivery_id,
                                                 std::string_view raw_body, Timestamp sent) {
  const Timestamp now = clock_.Now();
  if (sent != 0 && sent < now - kDeliveryMaxAgeMs) return std::string("stale");
  bool replay = false;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    replay = false;
    WHARF_TRY(tx.integrations().PruneWebhookDeliveries(now - kDeliveryRetentionMs));
    for (const auto& key : DeliveryKeys(delivery_id, raw_body)) {
      WHARF_ASSIGN_OR_RETURN(bool fresh, tx.integrations().RememberWebhookDelivery(provider_id, key, now));
      replay = replay || !fresh;
    }
    return Ok();
  }));
  return std::string(replay ? "replay" : "accepted");
}

void GitProviders::OnGitPush(const GitPush& push) {
  // Push-to-deploy starts here (issue 5): find the app services that follow (provider_id,
  // repository, branch) and deploy `sha`. For now the push is recorded on the provider.
  json last = {{"repository", push.repository}, {"branch", push.branch}, {"sha", push.sha}, {"at", push.at}};
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(push.org_id, kGitProviders.name, push.provider_id));
    if (!row) return Ok();
    row->fields["last_push"] = last.dump();
    return tx.integrations().Update(*row);
  });
  log::Info("git.push", {{"provider_id", push.provider_id}, {"org_id", push.org_id}, {"repository", push.repository},
                         {"branch", push.branch}, {"sha", push.sha}, {"recorded", static_cast<bool>(st)}});
  if (push_handler_) push_handler_(push);  // push-to-deploy (Deployments::DeployOnPush)
}

GitProviders::GitProviders(Core& core, Integrations& integrations) : Feature(core), integrations_(integrations) {}

}  // namespace wharf::services
