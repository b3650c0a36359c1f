// Integrations: Docker registries, git providers (and their webhooks), backup storage, cloud accounts.
#include "api/integration_routes.h"

#include <charconv>
#include <chrono>

#include "api/body.h"
#include "api/schema.h"

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


Result<services::RegistryInput> ParseRegistry(const Body& b) {
  services::RegistryInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.host, b.OptString("host"));
  WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username"));
  WHARF_ASSIGN_OR_RETURN(in.namespace_, b.OptString("namespace"));
  WHARF_ASSIGN_OR_RETURN(in.password, b.OptSecret("password"));
  return in;
}

Result<services::GitProviderInput> ParseGitProvider(const Body& b) {
  services::GitProviderInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.type, b.OptString("type"));
  WHARF_ASSIGN_OR_RETURN(in.base_url, b.OptString("base_url"));
  WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username"));
  WHARF_ASSIGN_OR_RETURN(in.app_id, b.OptString("app_id"));
  WHARF_ASSIGN_OR_RETURN(in.installation_id, b.OptString("installation_id"));
  WHARF_ASSIGN_OR_RETURN(in.api_url, b.OptString("api_url"));
  WHARF_ASSIGN_OR_RETURN(in.token_scope, b.OptString("token_scope"));
  WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository"));
  WHARF_ASSIGN_OR_RETURN(in.token, b.OptSecret("token"));
  WHARF_ASSIGN_OR_RETURN(in.private_key, b.OptSecret("private_key"));
  WHARF_ASSIGN_OR_RETURN(in.webhook_secret, b.OptSecret("webhook_secret"));
  return in;
}

Result<services::BackupStorageInput> ParseBackupStorage(const Body& b) {
  services::BackupStorageInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.endpoint, b.OptString("endpoint"));
  WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region"));
  WHARF_ASSIGN_OR_RETURN(in.bucket, b.OptString("bucket"));
  WHARF_ASSIGN_OR_RETURN(in.prefix, b.OptString("prefix"));
  WHARF_ASSIGN_OR_RETURN(in.access_key_id, b.OptString("access_key_id"));
  WHARF_ASSIGN_OR_RETURN(in.path_style, b.OptBool("path_style"));
  WHARF_ASSIGN_OR_RETURN(in.secret_access_key, b.OptSecret("secret_access_key"));
  return in;
}

Result<services::CloudAccountInput> ParseCloudAccount(const Body& b) {
  services::CloudAccountInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.provider, b.OptString("provider"));
  WHARF_ASSIGN_OR_RETURN(in.access_key_id, b.OptString("access_key_id"));
  WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region"));
  WHARF_ASSIGN_OR_RETURN(in.session_expires_at, b.OptString("session_expires_at"));
  WHARF_ASSIGN_OR_RETURN(in.secret_access_key, b.OptSecret("secret_access_key"));
  WHARF_ASSIGN_OR_RETURN(in.session_token, b.OptSecret("session_token"));
  return in;
}

}  // namespace

json IntegrationSchema(std::initializer_list<const char*> fields, std::initializer_list<const char*> secrets,
                       const json& extra) {
  const json str = {{"type", "string"}}, str_or_null = {{"type", "string"}, {"nullable", true}};
  json props = {{"id", str}, {"name", str}};
  json required = {"id", "name", "verified", "last_verified_at", "last_error", "expires_at", "created_at",
                   "updated_at", "created_by"};
  for (const char* f : fields) {
    props[f] = str_or_null;
    required.push_back(f);
  }
  for (const char* f : secrets) {
    props[f] = {{"type", "object"}, {"required", {"set"}}, {"properties", {{"set", {{"type", "boolean"}}}}}};
    required.push_back(f);
  }
  props["verified"] = {{"type", "boolean"}};
  props["last_verified_at"] = str_or_null;
  props["last_error"] = json::object();  // the last failed check's error object, or null
  props["expires_at"] = str_or_null;
  props["created_at"] = str;
  props["updated_at"] = str;
  props["created_by"] = str;
  for (auto& [k, v] : extra.items()) {
    props[k] = v;
    required.push_back(k);
  }
  return {{"type", "object"}, {"required", required}, {"properties", props}};
}

void AddIntegrationRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();

  // --- docker registries ---
  const Fields registry_fields = {Str("name", 200).Example("ghcr"), Str("host", 300).Example("ghcr.io"),
                                  Str("username", 300).Example("ada"), Secret("password", 8192),
                                  Str("namespace", 300).Example("acme")};
  rt.AddSchema("DockerRegistry", IntegrationSchema({"host", "username", "namespace"}, {"password"}));
  IntegrationRoutes<services::RegistryInput> reg{
      .path = "docker-registries", .tag = "dockerRegistries", .kind = &services::kDockerRegistries,
      .schema = "DockerRegistry", .write = RegistryJson, .parse = ParseRegistry, .fields = registry_fields};
  reg.summary = {
      .list = "List Docker registries (dockerRegistries.read)",
      .test = "Verify an unsaved registry body against {image} without saving it (dockerRegistries.create)",
      .create = "Connect a Docker registry {name, host, username, password, namespace?}; the password is write-only "
                "(dockerRegistries.create)",
      .get = "A Docker registry (dockerRegistries.read)",
      .patch = "Edit a Docker registry; a new host, username or password clears 'verified' (dockerRegistries.update)",
      .remove = "Remove a Docker registry (dockerRegistries.delete)",
      .verify = "Verify pull access to {image} over the Registry v2 protocol and record verified/last_error "
                "(dockerRegistries.update)"};
  reg.test_fields = registry_fields.With({Str("image", 4096).Example("ghcr.io/acme/web:1.2.3")});
  reg.test = [&s](Call& c, const Body& b, services::RegistryInput in) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto image, b.OptString("image"));
    WHARF_ASSIGN_OR_RETURN(auto out, s.registries().TestDockerRegistry(c.p(), std::move(in), std::move(image), c.ctx));
    return std::move(out.report);
  };
  reg.create = [&s](Call& c, services::RegistryInput in) { return s.registries().CreateDockerRegistry(c.p(), std::move(in), c.ctx); };
  reg.update = [&s](Call& c, const std::string& id, services::RegistryInput in) {
    return s.registries().UpdateDockerRegistry(c.p(), id, std::move(in), c.ctx);
  };
  reg.verify_fields = {Str("image", 4096).Example("ghcr.io/acme/web:1.2.3")};
  reg.verify = [&s](Call& c, const Body& b) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto image, b.OptString("image"));
    WHARF_ASSIGN_OR_RETURN(auto out, s.registries().VerifyDockerRegistry(c.p(), c.params[1], std::move(image), c.ctx));
    return std::move(out.report);
  };
  AddIntegration(rt, std::move(reg));

  // --- git providers (GitHub Apps and token hosts; services/git_providers.cc) ---
  const Fields git_fields = {
      Str("name", 200).Example("GitLab"), Str("type", 40).Desc("github_app, gitlab, bitbucket, gitea or azure_devops").Example("gitlab"),
      Str("base_url", 1000), Str("username", 300), Secret("token", 8192), Str("app_id", 40),
      Str("installation_id", 40), Secret("private_key", 16384), Secret("webhook_secret", 1024), Str("api_url", 1000),
      Str("token_scope", 40), Str("repository", 2000)};
  // One schema for both shapes: the fields of either type, each present only for its own.
  // One schema for both shapes: the fields of either type, each present only for its own.
  {
    using namespace oas;
    json webhook = Object({{"url", String()}, {"last_delivery_at", Nullable(Time())}, {"last_accepted_at", Nullable(Time())},
                           {"last_event", Nullable(String())}, {"last_outcome", Nullable(String())},
                           {"last_message", Nullable(String())}, {"last_delivery_id", Nullable(String())},
                           {"deliveries", Integer()}, {"rejected", Integer()}, {"replays", Integer()},
                           {"last_push", Nullable(Map())}});
    json schema = IntegrationSchema({"type"}, {"webhook_secret"}, {{"webhook", webhook}});
    for (const char* f : {"app_id", "installation_id", "api_url", "base_url", "username", "token_scope", "repository"})
      schema["properties"][f] = Nullable(String("Only for its type"));
    for (const char* f : {"private_key", "token"}) schema["properties"][f] = IsSet();
    rt.AddSchema("GitProvider", schema);
  }
  IntegrationRoutes<services::GitProviderInput> git{
      .path = "git-providers", .tag = "gitProviders", .kind = &services::kGitProviders, .schema = "GitProvider",
      .write = [&s](const domain::Integration& i) { return GitProviderJson(i, s.config().public_url); },
      .parse = ParseGitProvider, .fields = git_fields};
  git.summary = {
      .list = "List git providers (gitProviders.read)",
      .test = "Run a git provider's checks on an unsaved body with {repository?, branch?}; nothing is saved "
              "(gitProviders.create)",
      .create = "Connect a git provider: {name, type: github_app, app_id, installation_id, private_key, webhook_secret, "
                "api_url?} or {name, type: gitlab|bitbucket|gitea|azure_devops, base_url?, username?, token, "
                "webhook_secret?, token_scope?, repository?}; secrets are write-only (gitProviders.create)",
      .get = "A git provider with its webhook's last deliveries (gitProviders.read)",
      .patch = "Edit a git provider; a new credential clears 'verified'; the type cannot change (gitProviders.update)",
      .remove = "Remove a git provider (gitProviders.delete)",
      .verify = "Verify the credential against {repository, branch} (git ls-remote for token hosts; JWT, installation "
                "token and allow-list for GitHub Apps) and record verified/last_error/expires_at (gitProviders.update)"};
  git.test_fields = git_fields.With({Str("branch", 300).Example("main")});
  git.test = [&s](Call& c, const Body& b, services::GitProviderInput in) -> Result<nlohmann::json> {
    std::optional<std::string> repository = in.repository;
    if (!in.token_scope || *in.token_scope != "repository") in.repository.reset();
    WHARF_ASSIGN_OR_RETURN(auto branch, b.OptString("branch"));
    WHARF_ASSIGN_OR_RETURN(auto out, s.git_providers().TestGitProvider(c.p(), std::move(in), std::move(repository), std::move(branch), c.ctx));
    return std::move(out.report);
  };
  git.create = [&s](Call& c, services::GitProviderInput in) { return s.git_providers().CreateGitProvider(c.p(), std::move(in), c.ctx); };
  git.update = [&s](Call& c, const std::string& id, services::GitProviderInput in) {
    return s.git_providers().UpdateGitProvider(c.p(), id, std::move(in), c.ctx);
  };
  git.verify_fields = {Str("repository", 2000).Example("acme/web"), Str("branch", 300).Example("main")};
  git.verify = [&s](Call& c, const Body& b) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto repository, b.OptString("repository"));
    WHARF_ASSIGN_OR_RETURN(auto branch, b.OptString("branch"));
    WHARF_ASSIGN_OR_RETURN(auto out, s.git_providers().VerifyGitProvider(c.p(), c.params[1], std::move(repository), std::move(branch), c.ctx));
    return std::move(out.report);
  };
  AddIntegration(rt, std::move(git));
  rt.Add("POST", "/api/v1/webhooks/git/{provider_id}", A::kNone, "gitProviders",
      "A git host's webhook delivery (no session: the signature over the raw body is the credential — "
      "X-Hub-Signature-256, X-Gitlab-Token, X-Gitea-Signature, Bitbucket X-Hub-Signature, Azure DevOps Basic auth)",
      {202, 400, 401, 404}, [&s](Call& c) -> Result<HttpResponse> {
        services::WebhookRequest wr{[&c](std::string_view name) { return std::string(c.req.Header(name)); }, c.req.body};
        WHARF_ASSIGN_OR_RETURN(auto out, s.git_providers().ReceiveGitWebhook(c.params[0], wr, c.ctx));
        if (!out.accepted) {
          Error e{out.outcome == "bad_payload" ? ErrorCode::kValidationFailed : ErrorCode::kUnauthenticated, out.message, {},
                  Layer::kWebhook, json{{"outcome", out.outcome}}};
          return tl::unexpected(e);
        }
        return Json(202, {{"ok", true}, {"event", out.event}, {"outcome", out.outcome}});
      },
      oas::Object({{"ok", oas::Boolean()}, {"event", oas::String()}, {"outcome", oas::String()}}))
      .RequestSchema(oas::Map(), true)
      .Description("The body is the git host's own event payload, checked by its signature before it is read.");
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
        WHARF_ASSIGN_OR_RETURN(auto rows, s.integrations().ListExpiringIntegrations(c.p(), days, c.ctx));
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
        json items = json::array();
        for (auto& r : rows)
          items.push_back({{"id", r.id}, {"kind", r.kind}, {"name", r.name}, {"expires_at", Time(r.expires_at)},
                           {"expired", r.expires_at <= now}, {"days_left", (r.expires_at - now) / 86400000}});
        return Json(200, {{"within_days", days}, {"items", items}});
      },
      oas::Object({{"within_days", oas::Integer()},
                   {"items", oas::Array(oas::Object({{"id", oas::String()}, {"kind", oas::String()}, {"name", oas::String()},
                                                     {"expires_at", oas::Time()}, {"expired", oas::Boolean()},
                                                     {"days_left", oas::Integer()}}))}}))
      .Query("within_days", {{"type", "integer"}, {"minimum", 0}, {"maximum", 3650}, {"default", 30}}, "Days ahead");

  // --- backup storage (S3-compatible; separate from the AWS compute keys of cloud-accounts) ---
  const Fields storage_fields = {
      Str("name", 200).Example("offsite"), Str("endpoint", 1000).Desc("\"\" = AWS S3"), Str("region", 100).Example("eu-west-1"),
      Str("bucket", 200).Example("acme-backups"), Str("prefix", 1024), Str("access_key_id", 300),
      Secret("secret_access_key", 1024), Bool("path_style")};
  rt.AddSchema("BackupStorage",
               IntegrationSchema({"endpoint", "region", "bucket", "prefix", "access_key_id"}, {"secret_access_key"},
                                 {{"endpoint_url", {{"type", "string"}}},
                                  {"path_style", {{"type", "boolean"}}},
                                  {"note", {{"type", "string"}}}}));
  IntegrationRoutes<services::BackupStorageInput> bst{
      .path = "backup-storage", .tag = "backupStorage", .kind = &services::kBackupStorage, .schema = "BackupStorage",
      .write = BackupStorageJson, .parse = ParseBackupStorage, .fields = storage_fields};
  bst.summary = {
      .list = "List backup storage (backupStorage.read)",
      .test = "Run the write/read/list/delete probe on an unsaved backup storage body without saving it "
              "(backupStorage.create)",
      .create = "Connect S3-compatible backup storage {name, endpoint (\"\" = AWS S3), region, bucket, prefix?, "
                "path_style?, access_key_id, secret_access_key}; the secret is write-only. These keys are separate "
                "from cloud-accounts' AWS compute keys (backupStorage.create)",
      .get = "A backup storage (backupStorage.read)",
      .patch = "Edit a backup storage; a new endpoint, region, bucket, prefix, addressing, key or secret clears "
               "'verified' (backupStorage.update)",
      .remove = "Remove a backup storage (backupStorage.delete)",
      .verify = "Write, read, list and delete a probe object under the prefix; record verified/last_error "
                "(backupStorage.update)"};
  bst.test_fields = storage_fields;
  bst.test = [&s](Call& c, const Body&, services::BackupStorageInput in) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto out, s.backup_storage().TestBackupStorage(c.p(), std::move(in), c.ctx));
    return std::move(out.report);
  };
  bst.create = [&s](Call& c, services::BackupStorageInput in) { return s.backup_storage().CreateBackupStorage(c.p(), std::move(in), c.ctx); };
  bst.update = [&s](Call& c, const std::string& id, services::BackupStorageInput in) {
    return s.backup_storage().UpdateBackupStorage(c.p(), id, std::move(in), c.ctx);
  };
  bst.verify = [&s](Call& c, const Body&) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto out, s.backup_storage().VerifyBackupStorage(c.p(), c.params[1], c.ctx));
    return std::move(out.report);
  };
  AddIntegration(rt, std::move(bst));

  // --- cloud accounts (AWS compute credentials; backup storage has its own keys) ---
  const Fields cloud_fields = {
      Str("name", 200).Example("prod"), Str("provider", 20).Example("aws"), Str("access_key_id", 128),
      Secret("secret_access_key", 1024), Secret("session_token", 8192), Str("region", 40).Example("eu-west-1"),
      Str("session_expires_at", 40).Format("date-time")};
  rt.AddSchema("CloudAccount", IntegrationSchema({"provider", "access_key_id", "region", "account_id", "arn"},
                                                 {"secret_access_key", "session_token"},
                                                 {{"credential_use", {{"type", "string"}}}}));
  IntegrationRoutes<services::CloudAccountInput> cloud{
      .path = "cloud-accounts", .tag = "cloudProviderAccounts", .kind = &services::kCloudAccounts,
      .schema = "CloudAccount", .write = CloudAccountJson, .parse = ParseCloudAccount, .fields = cloud_fields};
  cloud.summary = {
      .list = "List cloud accounts: AWS compute credentials, separate from backup storage keys; ?expiring_within_days=N "
              "lists only those whose session expires (or expired) within N days, soonest first "
              "(cloudProviderAccounts.read)",
      .test = "Verify an unsaved cloud account body (STS GetCallerIdentity + EC2 DryRuns) without saving it "
              "(cloudProviderAccounts.create)",
      .create = "Connect an AWS account for compute {name, provider: aws, access_key_id, secret_access_key, "
                "session_token?, region, session_expires_at?}; secrets are write-only. Not for backups: backup storage "
                "has its own keys (cloudProviderAccounts.create)",
      .get = "A cloud account (cloudProviderAccounts.read)",
      .patch = "Edit a cloud account; new keys clear 'verified'; session_token \"\" clears it (cloudProviderAccounts.update)",
      .remove = "Remove a cloud account; refused while EC2 security groups made with it are recorded "
                "(cloudProviderAccounts.delete)",
      .verify = "STS GetCallerIdentity, then an EC2 DryRun of every action Wharf needs, in {region?} (default: the "
                "account's); records verified/last_error and the account id and ARN (cloudProviderAccounts.update)"};
  cloud.list_filter = [&s](Call& c) -> std::optional<Result<HttpResponse>> {
    bool expiring = false;
    std::string days = c.req.Query("expiring_within_days", &expiring);
    if (!expiring) return std::nullopt;
    int n = -1;
    auto [ptr, ec] = std::from_chars(days.data(), days.data() + days.size(), n);
    if (ec != std::errc() || ptr != days.data() + days.size() || n < 0 || n > 3650)
      return Result<HttpResponse>(FieldError("expiring_within_days", "must be a whole number of days, 0–3650"));
    auto rows = s.integrations().ListExpiringIntegrations(c.p(), services::kCloudAccounts, int64_t{n} * 86'400'000, c.ctx);
    if (!rows) return Result<HttpResponse>(tl::unexpected(rows.error()));
    json items = json::array();
    for (auto& v : *rows) items.push_back(CloudAccountJson(v));
    return Result<HttpResponse>(Json(200, {{"items", items}, {"next_cursor", nullptr}}));
  };
  cloud.list_query.push_back({"expiring_within_days", json{{"type", "integer"}, {"minimum", 0}, {"maximum", 3650}},
                              "Only accounts whose session expires (or expired) within N days, soonest first"});
  cloud.test_fields = cloud_fields;
  cloud.test = [&s](Call& c, const Body&, services::CloudAccountInput in) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto out, s.cloud_accounts().TestCloudAccount(c.p(), std::move(in), c.ctx));
    return std::move(out.report);
  };
  cloud.create = [&s](Call& c, services::CloudAccountInput in) { return s.cloud_accounts().CreateCloudAccount(c.p(), std::move(in), c.ctx); };
  cloud.update = [&s](Call& c, const std::string& id, services::CloudAccountInput in) {
    return s.cloud_accounts().UpdateCloudAccount(c.p(), id, std::move(in), c.ctx);
  };
  cloud.remove = [&s](Call& c) { return s.cloud_accounts().DeleteCloudAccount(c.p(), c.params[1], c.ctx); };
  cloud.remove_statuses = {204, 401, 403, 404, 409};
  cloud.verify_fields = {Str("region", 40).Example("eu-west-1")};
  cloud.verify = [&s](Call& c, const Body& b) -> Result<nlohmann::json> {
    WHARF_ASSIGN_OR_RETURN(auto region, b.OptString("region"));
    WHARF_ASSIGN_OR_RETURN(auto out, s.cloud_accounts().VerifyCloudAccount(c.p(), c.params[1], std::move(region), c.ctx));
    return std::move(out.report);
  };
  AddIntegration(rt, std::move(cloud));
}

}  // namespace wharf::api
