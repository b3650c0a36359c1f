// Integrations: Docker registries, git providers (and their webhooks), backup storage, cloud accounts.
#include "api/routes.h"

#include <charconv>
#include <chrono>

#include "api/body.h"

namespace wharf::api {

namespace {

// Every integration's read shape: its non-secret fields, each sealed field as {set}, and the
// verify fields. Secret values never leave the services layer.
json IntegrationJson(const domain::Integration& i, std::initializer_list<const char*> fields,
                     std::initializer_list<const char*> secrets) {
  json j = {{"id", i.id}, {"name", i.name}};
  for (const char* f : fields) {
    auto it = i.fields.find(f);
    j[f] = it == i.fields.end() ? json() : json(it->second);
  }
  for (const char* f : secrets) j[f] = {{"set", i.sealed.count(f) > 0}};
  j["verified"] = i.verified;
  j["last_verified_at"] = TimeOrNull(i.last_verified_at);
  j["last_error"] = i.last_error.empty() ? json() : json::parse(i.last_error, nullptr, false);
  j["expires_at"] = TimeOrNull(i.expires_at);
  j["created_at"] = Time(i.created_at);
  j["updated_at"] = Time(i.updated_at);
  j["created_by"] = i.created_by;
  return j;
}

json RegistryJson(const domain::Integration& i) { return IntegrationJson(i, {"host", "username", "namespace"}, {"password"}); }
json BackupStorageJson(const domain::Integration& i) {
  json j = IntegrationJson(i, {"endpoint", "region", "bucket", "prefix", "access_key_id"}, {"secret_access_key"});
  if (j["endpoint"].is_null()) j["endpoint"] = "";
  if (j["prefix"].is_null()) j["prefix"] = "";
  j["endpoint_url"] = i.Field("endpoint").empty() ? "https://s3." + i.Field("region") + ".amazonaws.com" : i.Field("endpoint");
  j["path_style"] = i.Field("path_style") == "true";
  j["note"] = "Backup storage keys are used only for backups; they are separate from the AWS compute keys of cloud "
              "accounts (cloud-accounts), and neither is ever used for the other.";
  return j;
}

// A git provider: the fields of its type, the secrets as {set}, and its webhook: the URL to
// configure on the git host and what the last deliveries were.
json GitProviderJson(const domain::Integration& i, const std::string& public_url) {
  const bool app = i.Field("type") == "github_app";
  json j = app ? IntegrationJson(i, {"type", "app_id", "installation_id", "api_url"}, {"private_key", "webhook_secret"})
               : IntegrationJson(i, {"type", "base_url", "username", "token_scope", "repository"}, {"token", "webhook_secret"});
  auto ms = [&](const char* k) -> json {
    std::string v = i.Field(k);
    return v.empty() ? json() : json(Time(std::atoll(v.c_str())));
  };
  auto str = [&](const char* k) -> json {
    std::string v = i.Field(k);
    return v.empty() ? json() : json(v);
  };
  json last_push = json::parse(i.Field("last_push").empty() ? "null" : i.Field("last_push"), nullptr, false);
  if (last_push.is_object() && last_push.contains("at")) last_push["at"] = Time(last_push["at"].get<int64_t>());
  j["webhook"] = {{"url", public_url + "/api/v1/webhooks/git/" + i.id},
                  {"last_delivery_at", ms("webhook_last_at")},
                  {"last_accepted_at", ms("webhook_last_accepted_at")},
                  {"last_event", str("webhook_last_event")},
                  {"last_outcome", str("webhook_last_outcome")},
                  {"last_message", str("webhook_last_message")},
                  {"last_delivery_id", str("webhook_last_delivery_id")},
                  {"deliveries", std::atoll(i.Field("webhook_deliveries").c_str())},
                  {"rejected", std::atoll(i.Field("webhook_rejected").c_str())},
                  {"replays", std::atoll(i.Field("webhook_replays").c_str())},
                  {"last_push", last_push.is_discarded() ? json() : last_push}};
  return j;
}

json CloudAccountJson(const domain::Integration& i) {
  json j = IntegrationJson(i, {"provider", "access_key_id", "region", "account_id", "arn"},
                           {"secret_access_key", "session_token"});
  j["credential_use"] = "compute";  // EC2 provisioning; backup storage has its own S3 keys
  return j;
}

}  // namespace

void AddIntegrationRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // --- docker registries (the first integration; the others reuse IntegrationJson and the service machinery) ---
  auto parse_registry = [](const Body& b) -> Result<services::RegistryInput> {
    services::RegistryInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.host, b.OptString("host", 300));
    WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username", 300));
    WHARF_ASSIGN_OR_RETURN(in.namespace_, b.OptString("namespace", 300));
    WHARF_ASSIGN_OR_RETURN(in.password, b.OptSecret("password", 8192));
    return in;
  };
  const auto& reg = services::kDockerRegistries;
  rt.Add("GET", "/api/v1/orgs/{org}/docker-registries", A::kOrg, "dockerRegistries",
      "List Docker registries (dockerRegistries.read)", {200, 400, 401, 403, 404}, [&s, &reg](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.ListIntegrations(c.p(), reg, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(RegistryJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  rt.Add("POST", "/api/v1/orgs/{org}/docker-registries/test", A::kOrg, "dockerRegistries",
      "Verify an unsaved registry body against {image} without saving it (dockerRegistries.create)",
      {200, 400, 401, 403, 404}, [&s, parse_registry](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "username", "password", "namespace", "image"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_registry(b));
        WHARF_ASSIGN_OR_RETURN(auto image, b.OptString("image", 4096));
        WHARF_ASSIGN_OR_RETURN(auto out, s.TestDockerRegistry(c.p(), std::move(in), std::move(image), c.ctx));
        return Json(200, json::parse(out.report_json));
      });
  rt.Add("POST", "/api/v1/orgs/{org}/docker-registries", A::kOrg, "dockerRegistries",
      "Connect a Docker registry {name, host, username, password, namespace?}; the password is write-only "
      "(dockerRegistries.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_registry](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "username", "password", "namespace"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_registry(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.CreateDockerRegistry(c.p(), std::move(in), c.ctx));
        return Json(201, RegistryJson(v));
      });
  rt.Add("GET", "/api/v1/orgs/{org}/docker-registries/{id}", A::kOrg, "dockerRegistries",
      "A Docker registry (dockerRegistries.read)", {200, 401, 403, 404}, [&s, &reg](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.GetIntegration(c.p(), reg, c.params[1], c.ctx));
        return Json(200, RegistryJson(v));
      });
  rt.Add("PATCH", "/api/v1/orgs/{org}/docker-registries/{id}", A::kOrg, "dockerRegistries",
      "Edit a Docker registry; a new host, username or password clears 'verified' (dockerRegistries.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_registry](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "host", "username", "password", "namespace"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_registry(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.UpdateDockerRegistry(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, RegistryJson(v));
      });
  rt.Add("DELETE", "/api/v1/orgs/{org}/docker-registries/{id}", A::kOrg, "dockerRegistries",
      "Remove a Docker registry (dockerRegistries.delete)", {204, 401, 403, 404}, [&s, &reg](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.DeleteIntegration(c.p(), reg, c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/docker-registries/{id}/verify", A::kOrg, "dockerRegistries",
      "Verify pull access to {image} over the Registry v2 protocol and record verified/last_error "
      "(dockerRegistries.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"image"}));
        WHARF_ASSIGN_OR_RETURN(auto image, b.OptString("image", 4096));
        WHARF_ASSIGN_OR_RETURN(auto out, s.VerifyDockerRegistry(c.p(), c.params[1], std::move(image), c.ctx));
        return Json(200, json::parse(out.report_json));
      });

  // --- git providers (GitHub Apps and token hosts; services/git_providers.cc) ---
  auto parse_git = [](const Body& b) -> Result<services::GitProviderInput> {
    services::GitProviderInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.type, b.OptString("type", 40));
    WHARF_ASSIGN_OR_RETURN(in.base_url, b.OptString("base_url", 1000));
    WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username", 300));
    WHARF_ASSIGN_OR_RETURN(in.app_id, b.OptString("app_id", 40));
    WHARF_ASSIGN_OR_RETURN(in.installation_id, b.OptString("installation_id", 40));
    WHARF_ASSIGN_OR_RETURN(in.api_url, b.OptString("api_url", 1000));
    WHARF_ASSIGN_OR_RETURN(in.token_scope, b.OptString("token_scope", 40));
    WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository", 2000));
    WHARF_ASSIGN_OR_RETURN(in.token, b.OptSecret("token", 8192));
    WHARF_ASSIGN_OR_RETURN(in.private_key, b.OptSecret("private_key", 16384));
    WHARF_ASSIGN_OR_RETURN(in.webhook_secret, b.OptSecret("webhook_secret", 1024));
    return in;
  };
#define WHARF_GIT_FIELDS                                                                                          \
  {"name", "type", "base_url", "username", "token", "app_id", "installation_id", "private_key", "webhook_secret", \
   "api_url", "token_scope", "repository"}
  const auto& git = services::kGitProviders;
  rt.Add("GET", "/api/v1/orgs/{org}/git-providers", A::kOrg, "gitProviders",
      "List git providers (gitProviders.read)", {200, 400, 401, 403, 404}, [&s, &git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.ListIntegrations(c.p(), git, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(GitProviderJson(v, s.config().public_url));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  rt.Add("POST", "/api/v1/orgs/{org}/git-providers/test", A::kOrg, "gitProviders",
      "Run a git provider's checks on an unsaved body with {repository?, branch?}; nothing is saved (gitProviders.create)",
      {200, 400, 401, 403, 404}, [&s, parse_git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "type", "base_url", "username", "token", "app_id",
                                                          "installation_id", "private_key", "webhook_secret", "api_url",
                                                          "token_scope", "repository", "branch"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_git(b));
        std::optional<std::string> repository = in.repository;
        if (!in.token_scope || *in.token_scope != "repository") in.repository.reset();
        WHARF_ASSIGN_OR_RETURN(auto branch, b.OptString("branch", 300));
        WHARF_ASSIGN_OR_RETURN(auto out, s.TestGitProvider(c.p(), std::move(in), std::move(repository), std::move(branch), c.ctx));
        return Json(200, json::parse(out.report_json));
      });
  rt.Add("POST", "/api/v1/orgs/{org}/git-providers", A::kOrg, "gitProviders",
      "Connect a git provider: {name, type: github_app, app_id, installation_id, private_key, webhook_secret, api_url?} or "
      "{name, type: gitlab|bitbucket|gitea|azure_devops, base_url?, username?, token, webhook_secret?, token_scope?, "
      "repository?}; secrets are write-only (gitProviders.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, WHARF_GIT_FIELDS));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_git(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.CreateGitProvider(c.p(), std::move(in), c.ctx));
        return Json(201, GitProviderJson(v, s.config().public_url));
      });
  rt.Add("GET", "/api/v1/orgs/{org}/git-providers/{id}", A::kOrg, "gitProviders",
      "A git provider with its webhook's last deliveries (gitProviders.read)", {200, 401, 403, 404},
      [&s, &git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.GetIntegration(c.p(), git, c.params[1], c.ctx));
        return Json(200, GitProviderJson(v, s.config().public_url));
      });
  rt.Add("PATCH", "/api/v1/orgs/{org}/git-providers/{id}", A::kOrg, "gitProviders",
      "Edit a git provider; a new credential clears 'verified'; the type cannot change (gitProviders.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_git](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, WHARF_GIT_FIELDS));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_git(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.UpdateGitProvider(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, GitProviderJson(v, s.config().public_url));
      });
  rt.Add("DELETE", "/api/v1/orgs/{org}/git-providers/{id}", A::kOrg, "gitProviders",
      "Remove a git provider (gitProviders.delete)", {204, 401, 403, 404}, [&s, &git](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.DeleteIntegration(c.p(), git, c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/git-providers/{id}/verify", A::kOrg, "gitProviders",
      "Verify the credential against {repository, branch} (git ls-remote for token hosts; JWT, installation token and "
      "allow-list for GitHub Apps) and record verified/last_error/expires_at (gitProviders.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"repository", "branch"}));
        WHARF_ASSIGN_OR_RETURN(auto repository, b.OptString("repository", 2000));
        WHARF_ASSIGN_OR_RETURN(auto branch, b.OptString("branch", 300));
        WHARF_ASSIGN_OR_RETURN(auto out, s.VerifyGitProvider(c.p(), c.params[1], std::move(repository), std::move(branch), c.ctx));
        return Json(200, json::parse(out.report_json));
      });
  rt.Add("POST", "/api/v1/webhooks/git/{provider_id}", A::kNone, "gitProviders",
      "A git host's webhook delivery (no session: the signature over the raw body is the credential — "
      "X-Hub-Signature-256, X-Gitlab-Token, X-Gitea-Signature, Bitbucket X-Hub-Signature, Azure DevOps Basic auth)",
      {202, 400, 401, 404}, [&s](Call& c) -> Result<HttpResponse> {
        services::WebhookRequest wr{[&c](std::string_view name) { return std::string(c.req.Header(name)); }, c.req.body};
        WHARF_ASSIGN_OR_RETURN(auto out, s.ReceiveGitWebhook(c.params[0], wr, c.ctx));
        if (!out.accepted) {
          Error e{out.outcome == "bad_payload" ? ErrorCode::kValidationFailed : ErrorCode::kUnauthenticated, out.message, {},
                  Layer::kWebhook, json{{"outcome", out.outcome}}};
          return tl::unexpected(e);
        }
        return Json(202, {{"ok", true}, {"event", out.event}, {"outcome", out.outcome}});
      });
  rt.Add("GET", "/api/v1/orgs/{org}/integrations/expiring", A::kOrg, "integrations",
      "Credentials of every integration kind that expire within ?within_days=N (default 30), or have expired, soonest "
      "first; kinds the caller may not read are left out", {200, 400, 401, 404}, [&s](Call& c) -> Result<HttpResponse> {
        bool present = false;
        std::string v = c.req.Query("within_days", &present);
        int days = 30;
        if (present) {
          auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), days);
          if (ec != std::errc() || p != v.data() + v.size()) return FieldError("within_days", "must be an integer from 0 to 3650");
        }
        WHARF_ASSIGN_OR_RETURN(auto rows, s.ListExpiringIntegrations(c.p(), days, c.ctx));
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
        json items = json::array();
        for (auto& r : rows)
          items.push_back({{"id", r.id}, {"kind", r.kind}, {"name", r.name}, {"expires_at", Time(r.expires_at)},
                           {"expired", r.expires_at <= now}, {"days_left", (r.expires_at - now) / 86400000}});
        return Json(200, {{"within_days", days}, {"items", items}});
      });
  // --- backup storage (S3-compatible; separate from the AWS compute keys of cloud-accounts) ---
  auto parse_storage = [](const Body& b) -> Result<services::BackupStorageInput> {
    services::BackupStorageInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.endpoint, b.OptString("endpoint", 1000));
    WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region", 100));
    WHARF_ASSIGN_OR_RETURN(in.bucket, b.OptString("bucket", 200));
    WHARF_ASSIGN_OR_RETURN(in.prefix, b.OptString("prefix", 1024));
    WHARF_ASSIGN_OR_RETURN(in.access_key_id, b.OptString("access_key_id", 300));
    WHARF_ASSIGN_OR_RETURN(in.path_style, b.OptBool("path_style"));
    WHARF_ASSIGN_OR_RETURN(in.secret_access_key, b.OptSecret("secret_access_key", 1024));
    return in;
  };
  const auto& bst = services::kBackupStorage;
  rt.Add("GET", "/api/v1/orgs/{org}/backup-storage", A::kOrg, "backupStorage",
      "List backup storage (backupStorage.read)", {200, 400, 401, 403, 404}, [&s, &bst](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.ListIntegrations(c.p(), bst, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(BackupStorageJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  rt.Add("POST", "/api/v1/orgs/{org}/backup-storage/test", A::kOrg, "backupStorage",
      "Run the write/read/list/delete probe on an unsaved backup storage body without saving it (backupStorage.create)",
      {200, 400, 401, 403, 404}, [&s, parse_storage](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "endpoint", "region", "bucket", "prefix", "access_key_id", "secret_access_key", "path_style"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_storage(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.TestBackupStorage(c.p(), std::move(in), c.ctx));
        return Json(200, json::parse(out.report_json));
      });
  rt.Add("POST", "/api/v1/orgs/{org}/backup-storage", A::kOrg, "backupStorage",
      "Connect S3-compatible backup storage {name, endpoint (\"\" = AWS S3), region, bucket, prefix?, path_style?, "
      "access_key_id, secret_access_key}; the secret is write-only. These keys are separate from cloud-accounts' AWS "
      "compute keys (backupStorage.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_storage](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "endpoint", "region", "bucket", "prefix", "access_key_id", "secret_access_key", "path_style"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_storage(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.CreateBackupStorage(c.p(), std::move(in), c.ctx));
        return Json(201, BackupStorageJson(v));
      });
  rt.Add("GET", "/api/v1/orgs/{org}/backup-storage/{id}", A::kOrg, "backupStorage",
      "A backup storage (backupStorage.read)", {200, 401, 403, 404}, [&s, &bst](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.GetIntegration(c.p(), bst, c.params[1], c.ctx));
        return Json(200, BackupStorageJson(v));
      });
  rt.Add("PATCH", "/api/v1/orgs/{org}/backup-storage/{id}", A::kOrg, "backupStorage",
      "Edit a backup storage; a new endpoint, region, bucket, prefix, addressing, key or secret clears 'verified' "
      "(backupStorage.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_storage](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "endpoint", "region", "bucket", "prefix", "access_key_id", "secret_access_key", "path_style"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_storage(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.UpdateBackupStorage(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, BackupStorageJson(v));
      });
  rt.Add("DELETE", "/api/v1/orgs/{org}/backup-storage/{id}", A::kOrg, "backupStorage",
      "Remove a backup storage (backupStorage.delete)", {204, 401, 403, 404}, [&s, &bst](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.DeleteIntegration(c.p(), bst, c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/backup-storage/{id}/verify", A::kOrg, "backupStorage",
      "Write, read, list and delete a probe object under the prefix; record verified/last_error "
      "(backupStorage.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {}));
        (void)b;
        WHARF_ASSIGN_OR_RETURN(auto out, s.VerifyBackupStorage(c.p(), c.params[1], c.ctx));
        return Json(200, json::parse(out.report_json));
      });

  // --- cloud accounts (AWS compute credentials; backup storage has its own keys) ---
  auto parse_cloud = [](const Body& b) -> Result<services::CloudAccountInput> {
    services::CloudAccountInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name", 200));
    WHARF_ASSIGN_OR_RETURN(in.provider, b.OptString("provider", 20));
    WHARF_ASSIGN_OR_RETURN(in.access_key_id, b.OptString("access_key_id", 128));
    WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region", 40));
    WHARF_ASSIGN_OR_RETURN(in.session_expires_at, b.OptString("session_expires_at", 40));
    WHARF_ASSIGN_OR_RETURN(in.secret_access_key, b.OptSecret("secret_access_key", 1024));
    WHARF_ASSIGN_OR_RETURN(in.session_token, b.OptSecret("session_token", 8192));
    return in;
  };
  const auto& cloud = services::kCloudAccounts;
  rt.Add("GET", "/api/v1/orgs/{org}/cloud-accounts", A::kOrg, "cloudProviderAccounts",
      "List cloud accounts: AWS compute credentials, separate from backup storage keys; ?expiring_within_days=N lists "
      "only those whose session expires (or expired) within N days, soonest first (cloudProviderAccounts.read)",
      {200, 400, 401, 403, 404}, [&s, &cloud](Call& c) -> Result<HttpResponse> {
        bool expiring = false;
        std::string days = c.req.Query("expiring_within_days", &expiring);
        if (expiring) {
          int n = -1;
          auto [ptr, ec] = std::from_chars(days.data(), days.data() + days.size(), n);
          if (ec != std::errc() || ptr != days.data() + days.size() || n < 0 || n > 3650)
            return FieldError("expiring_within_days", "must be a whole number of days, 0–3650");
          WHARF_ASSIGN_OR_RETURN(auto rows, s.ListExpiringIntegrations(c.p(), cloud, int64_t{n} * 86'400'000, c.ctx));
          json items = json::array();
          for (auto& v : rows) items.push_back(CloudAccountJson(v));
          return Json(200, {{"items", items}, {"next_cursor", nullptr}});
        }
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.ListIntegrations(c.p(), cloud, limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(CloudAccountJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      });
  rt.Add("POST", "/api/v1/orgs/{org}/cloud-accounts/test", A::kOrg, "cloudProviderAccounts",
      "Verify an unsaved cloud account body (STS GetCallerIdentity + EC2 DryRuns) without saving it "
      "(cloudProviderAccounts.create)",
      {200, 400, 401, 403, 404}, [&s, parse_cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "provider", "access_key_id", "secret_access_key", "session_token", "region", "session_expires_at"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_cloud(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.TestCloudAccount(c.p(), std::move(in), c.ctx));
        return Json(200, json::parse(out.report_json));
      });
  rt.Add("POST", "/api/v1/orgs/{org}/cloud-accounts", A::kOrg, "cloudProviderAccounts",
      "Connect an AWS account for compute {name, provider: aws, access_key_id, secret_access_key, session_token?, "
      "region, session_expires_at?}; secrets are write-only. Not for backups: backup storage has its own keys "
      "(cloudProviderAccounts.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "provider", "access_key_id", "secret_access_key", "session_token", "region", "session_expires_at"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_cloud(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.CreateCloudAccount(c.p(), std::move(in), c.ctx));
        return Json(201, CloudAccountJson(v));
      });
  rt.Add("GET", "/api/v1/orgs/{org}/cloud-accounts/{id}", A::kOrg, "cloudProviderAccounts",
      "A cloud account (cloudProviderAccounts.read)", {200, 401, 403, 404}, [&s, &cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.GetIntegration(c.p(), cloud, c.params[1], c.ctx));
        return Json(200, CloudAccountJson(v));
      });
  rt.Add("PATCH", "/api/v1/orgs/{org}/cloud-accounts/{id}", A::kOrg, "cloudProviderAccounts",
      "Edit a cloud account; new keys clear 'verified'; session_token \"\" clears it (cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_cloud](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"name", "provider", "access_key_id", "secret_access_key", "session_token", "region", "session_expires_at"}));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_cloud(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.UpdateCloudAccount(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, CloudAccountJson(v));
      });
  rt.Add("DELETE", "/api/v1/orgs/{org}/cloud-accounts/{id}", A::kOrg, "cloudProviderAccounts",
      "Remove a cloud account; refused while EC2 security groups made with it are recorded (cloudProviderAccounts.delete)",
      {204, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.DeleteCloudAccount(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/cloud-accounts/{id}/verify", A::kOrg, "cloudProviderAccounts",
      "STS GetCallerIdentity, then an EC2 DryRun of every action Wharf needs, in {region?} (default: the account's); "
      "records verified/last_error and the account id and ARN (cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, {"region"}));
        WHARF_ASSIGN_OR_RETURN(auto region, b.OptString("region", 40));
        WHARF_ASSIGN_OR_RETURN(auto out, s.VerifyCloudAccount(c.p(), c.params[1], std::move(region), c.ctx));
        return Json(200, json::parse(out.report_json));
      });

}

}  // namespace wharf::api
