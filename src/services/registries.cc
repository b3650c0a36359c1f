// Docker registries: {name, host, username, password (sealed, write-only), namespace?}, verified by
// pulling a named image's manifest over the Registry v2 protocol (integrations/registry.h).
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "domain/image_ref.h"
#include "integrations/registry.h"
#include "nodes/ssh.h"
#include "services/registries.h"

namespace wharf::services {

using domain::Action;
using nlohmann::json;

namespace {

std::string DedupeKey(const std::string& host, const std::string& username) { return host + "|" + username; }
std::string Label(const std::string& host, const std::string& username) { return username + " on " + host; }

Status ValidateUsername(std::string_view u, std::string_view field) {
  if (Trim(u).empty()) return FieldError(field, "is required: the registry account (or robot/token name) to sign in as");
  if (u.size() > 256) return FieldError(field, "is longer than 256 characters");
  for (char c : u)
    if (static_cast<unsigned char>(c) < 0x21 || c == ':')
      return FieldError(field, "must not contain spaces, control characters or ':'");
  return Ok();
}

Result<std::string> ValidateNamespace(std::string_view ns, std::string_view field) {
  std::string_view v = Trim(ns);
  if (v.empty()) return std::string();
  // A namespace is the leading path of repository names: "owner" or "owner/team".
  auto r = domain::ParseImageRef("example.com/" + std::string(v), field);
  if (!r || r->tag != "latest" || !r->digest.empty() || ("example.com/" + std::string(v) + ":latest") != r->String())
    return FieldError(field, "must be a lowercase repository path prefix such as 'acme' or 'acme/team' (no host, no tag)");
  return std::string(v);
}

Status ValidatePasswordField(const RegistryInput& in) {
  if (in.password) {
    if (in.password->size() == 0) return FieldError("password", "is empty: paste the password or access token");
    if (in.password->size() > 8192) return FieldError("password", "is longer than 8192 bytes");
  }
  return Ok();
}

Status ApplyInput(const RegistryInput& in, domain::Integration& row) {
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(row.name, domain::ValidateName(*in.name, "name", 100));
  }
  if (in.host) {
    WHARF_ASSIGN_OR_RETURN(row.fields["host"], domain::ValidateRegistryHost(*in.host, "host"));
  }
  if (in.username) {
    WHARF_TRY(ValidateUsername(*in.username, "username"));
    row.fields["username"] = *in.username;
  }
  if (in.namespace_) {
    WHARF_ASSIGN_OR_RETURN(auto ns, ValidateNamespace(*in.namespace_, "namespace"));
    if (ns.empty()) row.fields.erase("namespace");
    else row.fields["namespace"] = ns;
  }
  row.dedupe_key = DedupeKey(row.Field("host"), row.Field("username"));
  return Ok();
}

}  // namespace

Result<domain::Integration> Registries::CreateDockerRegistry(const authz::Principal& p, RegistryInput in,
                                                           const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kDockerRegistries.collection, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.host) return FieldError("host", "is required: docker.io, ghcr.io, quay.io, registry.digitalocean.com or your registry's host[:port]");
  if (!in.username) return FieldError("username", "is required: the registry account to sign in as");
  if (!in.password) return FieldError("password", "is required: the password or an access token with pull permission");
  domain::Integration row;
  WHARF_TRY(ValidatePasswordField(in));
  WHARF_TRY(ApplyInput(in, row));
  WHARF_TRY(integrations_.CheckPrivateTarget(row.Field("host"), "host"));
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  secrets.emplace_back("password", std::move(*in.password));
  std::string label = Label(row.Field("host"), row.Field("username"));
  return integrations_.InsertIntegration(p, kDockerRegistries, std::move(row), std::move(secrets), label, ctx);
}

Result<domain::Integration> Registries::UpdateDockerRegistry(const authz::Principal& p, std::string_view id,
                                                           RegistryInput in, const RequestContext& ctx) {
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  std::string label;
  auto edit = [&](domain::Integration& row) -> Status {
    WHARF_TRY(ApplyInput(in, row));
    WHARF_TRY(integrations_.CheckPrivateTarget(row.Field("host"), "host"));
    label = Label(row.Field("host"), row.Field("username"));
    return Ok();
  };
  WHARF_TRY(ValidatePasswordField(in));
  if (in.password) secrets.emplace_back("password", std::move(*in.password));
  in.password.reset();
  return integrations_.SaveIntegration(p, kDockerRegistries, id, edit, std::move(secrets), label, ctx);
}

namespace {

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

// The checks that need no network: the credential's host against the image's, and its namespace.
// False when one failed (the probe must not run).
bool LocalChecks(const domain::Integration& row, const domain::ImageRef& img, integrations::Report& r) {
  const std::string cred_host = row.Field("host");
  const std::string img_host = domain::NormalizeRegistryHost(img.domain);
  if (img_host != cred_host) {
    r.Fail("host_match", "registry",
           "Wrong registry host: the image " + img.String() + " is on " + img_host + ", but this credential is for " +
               cred_host + ". Nothing was sent to either registry.",
           "Use a credential for " + img_host + ", or name the image with this registry's host, e.g. " + cred_host +
               "/" + img.path + ":" + (img.tag.empty() ? "latest" : img.tag) + ".");
    return false;
  }
  r.Add("host_match", "passed", "The image is on " + img_host + ", the credential's host.");
  const std::string ns = row.Field("namespace");
  if (!ns.empty()) {
    if (!StartsWith(img.path, ns + "/")) {
      r.Fail("namespace", "registry",
             "The image's repository " + img.path + " is outside this credential's namespace '" + ns +
                 "'. Nothing was sent to the registry.",
             "Use an image under " + ns + "/, or clear or change the registry's namespace.");
      return false;
    }
    r.Add("namespace", "passed", "The repository is under the namespace '" + ns + "'.");
  }
  return true;
}

}  // namespace

Result<CheckOutcome> Registries::TestDockerRegistry(const authz::Principal& p, RegistryInput in,
                                                  std::optional<std::string> image, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kDockerRegistries.collection, Action::kCreate, nullptr, ctx));
  if (!in.host) return FieldError("host", "is required: docker.io, ghcr.io, quay.io, registry.digitalocean.com or your registry's host[:port]");
  if (!in.username) return FieldError("username", "is required: the registry account to sign in as");
  if (!in.password) return FieldError("password", "is required: the password or an access token with pull permission");
  if (!image) return FieldError("image", "is required: the image to check pull access to, e.g. ghcr.io/owner/app:v1");
  domain::Integration row;
  if (!in.name) in.name = "test";
  WHARF_TRY(ValidatePasswordField(in));
  WHARF_TRY(ApplyInput(in, row));
  WHARF_TRY(integrations_.CheckPrivateTarget(row.Field("host"), "host"));
  WHARF_ASSIGN_OR_RETURN(auto img, domain::ParseImageRef(*image, "image"));
  integrations::Report local;
  CheckOutcome out;
  if (!LocalChecks(row, img, local)) {
    json j = ReportJson(local);
    j["image"] = img.String();
    out.ok = false;
    out.report = j;
    return out;
  }
  integrations::RegistryProbe probe{.host = domain::RegistryApiHost(img.domain), .repository = img.path,
                                    .reference = img.Reference(), .username = row.Field("username"),
                                    .password = &*in.password};
  probe.connect_timeout_ms = static_cast<int>(config_.connect_timeout_ms);
  probe.timeout_ms = static_cast<int>(config_.command_timeout_ms);
  if (!config_.allow_private_targets) probe.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  auto res = integrations::VerifyPull(probe);
  local.checks.insert(local.checks.end(), res.report.checks.begin(), res.report.checks.end());
  json j = ReportJson(local);
  j["image"] = img.String();
  if (!res.auth.empty()) j["auth"] = res.auth;
  if (!res.digest.empty()) j["digest"] = res.digest;
  out.ok = local.ok();
  out.report = j;
  return out;
}

Result<CheckOutcome> Registries::VerifyDockerRegistry(const authz::Principal& p, std::string_view id,
                                                    std::optional<std::string> image, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto loaded, integrations_.LoadIntegrationSecret(p, kDockerRegistries, id, Action::kUpdate, "password", ctx));
  auto& [row, password] = loaded;
  if (!image) return FieldError("image", "is required: the image to check pull access to, e.g. ghcr.io/owner/app:v1");
  WHARF_ASSIGN_OR_RETURN(auto img, domain::ParseImageRef(*image, "image"));
  integrations::Report report;
  CheckOutcome out;
  json j;
  if (!LocalChecks(row, img, report)) {
    j = ReportJson(report);
  } else {
    integrations::RegistryProbe probe{.host = domain::RegistryApiHost(img.domain), .repository = img.path,
                                      .reference = img.Reference(), .username = row.Field("username"),
                                      .password = &password};
    probe.connect_timeout_ms = static_cast<int>(config_.connect_timeout_ms);
    probe.timeout_ms = static_cast<int>(config_.command_timeout_ms);
    if (!config_.allow_private_targets)
      probe.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
    auto res = integrations::VerifyPull(probe);
    report.checks.insert(report.checks.end(), res.report.checks.begin(), res.report.checks.end());
    j = ReportJson(report);
    if (!res.auth.empty()) j["auth"] = res.auth;
    if (!res.digest.empty()) j["digest"] = res.digest;
  }
  j["image"] = img.String();
  out.ok = report.ok();
  out.report = j;
  // The scheduled re-verification checks the image of the last verification again.
  const bool remember = row.Field("verify_image") != img.String();
  if (remember) row.fields["verify_image"] = img.String();
  WHARF_TRY(integrations_.RecordIntegrationVerify(p, kDockerRegistries, row, out, ctx, remember));
  return out;
}

}  // namespace wharf::services

namespace wharf::services {

CheckOutcome Registries::ProbeRegistryPull(const domain::Integration& row, const SecretBytes& password,
                                         const domain::ImageRef& img) {
  integrations::Report report;
  json j;
  if (!LocalChecks(row, img, report)) {
    j = ReportJson(report);
  } else {
    integrations::RegistryProbe probe{.host = domain::RegistryApiHost(img.domain), .repository = img.path,
                                      .reference = img.Reference(), .username = row.Field("username"),
                                      .password = &password};
    probe.connect_timeout_ms = static_cast<int>(config_.connect_timeout_ms);
    probe.timeout_ms = static_cast<int>(config_.command_timeout_ms);
    if (!config_.allow_private_targets)
      probe.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
    auto res = integrations::VerifyPull(probe);
    report.checks.insert(report.checks.end(), res.report.checks.begin(), res.report.checks.end());
    j = ReportJson(report);
    if (!res.digest.empty()) j["digest"] = res.digest;
  }
  j["image"] = img.String();
  return CheckOutcome{report.ok(), j};
}

Registries::Registries(Core& core, Integrations& integrations) : Feature(core), integrations_(integrations) {}

}  // namespace wharf::services
