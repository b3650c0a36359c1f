// POST …/diagnose: the troubleshooting pages as code. A resource (server, invitation) gets its
// layer's checklist run for real; pasted error text is classified into a layer first.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "diagnose/classify.h"
#include "services/diagnose.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

Result<Diagnosis> Diagnostics::Diagnose(const authz::Principal& p, DiagnoseInput in, const RequestContext& ctx) {
  if (!in.server_id && !in.invitation_id && !in.error_text && !in.docker_registry_id && !in.git_provider_id &&
      !in.backup_storage_id && !in.cloud_account_id)
    return FieldError("body", "give server_id, invitation_id, docker_registry_id (with image), git_provider_id (with "
                              "repository and branch for reach checks), backup_storage_id, cloud_account_id (with an "
                              "optional region) or error_text (the message you saw)");
  if ((in.repository || in.branch) && !in.git_provider_id)
    return FieldError("git_provider_id", "is required with repository and branch");
  if (in.region && !in.cloud_account_id) return FieldError("cloud_account_id", "is required with region");
  if (in.error_text && in.error_text->size() > 20000) return FieldError("error_text", "is longer than 20000 characters");
  Diagnosis d;
  if (in.error_text) {
    auto c = diagnose::Classify(*in.error_text);
    d.layer = c.layer;
    d.title = c.title;
    d.causes = c.causes;
    d.not_this = c.not_this;
    d.page = c.page;
    d.matched = c.matched;
    d.subject = "error_text";
    if (c.layer.empty())
      d.checklist.push_back({"classify", "failed", "No known pattern in the text.",
                             "Give the resource (server_id or invitation_id) to run its checks, or send a support bundle."});
  }
  if (in.server_id) {
    // Worker node / SSH: run every check (as servers.update would), and read them as a checklist.
    WHARF_ASSIGN_OR_RETURN(auto outcome, servers_.CheckServer(p, *in.server_id, ctx));
    json report = outcome.report;
    if (d.layer.empty() || d.layer == "ssh" || d.layer == "network") {
      d.subject = "server";
      if (d.page.empty()) d.page = "docs/troubleshooting/servers.md";
    }
    for (auto& c : report["checks"]) {
      std::string status = c["status"] == "skipped" ? "not_applicable" : c["status"].get<std::string>();
      d.checklist.push_back({c["name"], status, c.value("message", ""), c.value("fix", "")});
      if (status == "failed" && (d.layer.empty() || d.subject == "server")) {
        d.layer = c.value("layer", "ssh");
        if (d.title.empty()) d.title = c.value("code", "");
      }
    }
    if (report.contains("firewall") && report["firewall"].contains("rules_in_force"))
      d.checklist.push_back({"firewall", "passed", "Rules in force (" + report["firewall"]["backend"].get<std::string>() + "):\n" +
                                                       report["firewall"]["rules_in_force"].get<std::string>(), ""});
    if (d.layer == "git_token" || d.layer == "github_app")
      d.checklist.push_back({"git_vs_ssh", "passed", "Every SSH check above is the server's; the error is about git.",
                             "Fixing SSH will not help: check the git provider's token or app (verify it)."});
  }
  if (in.docker_registry_id) {
    // Registry: the same verify as …/docker-registries/{id}/verify (recorded on the row).
    if (!in.image) return FieldError("image", "is required with docker_registry_id: the image whose pull fails, e.g. ghcr.io/acme/api:v1");
    WHARF_ASSIGN_OR_RETURN(auto outcome, registries_.VerifyDockerRegistry(p, *in.docker_registry_id, in.image, ctx));
    json report = outcome.report;
    d.subject = "docker_registry";
    d.page = "docs/troubleshooting/integrations.md";
    if (d.layer.empty() || d.layer == "registry") d.layer = outcome.ok ? "" : "registry";
    for (auto& c : report["checks"]) {
      std::string status = c["status"] == "skipped" ? "not_applicable" : c["status"].get<std::string>();
      d.checklist.push_back({c["name"], status, c.value("message", ""), c.value("fix", "")});
      if (status == "failed" && d.subject == "docker_registry" && c.contains("layer")) d.layer = c["layer"];
    }
  }
  if (in.git_provider_id) {
    WHARF_TRY(DiagnoseGitProvider(p, in, d, ctx));
  }
  if (in.backup_storage_id) {
    // Backup storage: the same probe as …/backup-storage/{id}/verify (recorded on the row).
    WHARF_ASSIGN_OR_RETURN(auto outcome, backup_storage_.VerifyBackupStorage(p, *in.backup_storage_id, ctx));
    json report = outcome.report;
    d.subject = "backup_storage";
    d.page = "docs/troubleshooting/integrations.md";
    if (d.title.empty()) d.title = outcome.ok ? "Backup storage: write, read, list and delete all work" : "Backup storage check failed";
    bool first = true;  // the first failing step names the layer; when all pass, the text's layer (if any) stays
    for (auto& c : report["checks"]) {
      std::string status = c["status"] == "skipped" ? "not_applicable" : c["status"].get<std::string>();
      d.checklist.push_back({c["name"], status, c.value("message", ""), c.value("fix", "")});
      if (status == "failed" && first && c.contains("layer")) {
        d.layer = c["layer"];
        first = false;
      }
    }
    d.checklist.push_back({"separate_from_aws_compute", "passed", report.value("note", ""),
                           "An AWS compute account (cloud-accounts) does not grant bucket access; fix the backup "
                           "storage's own key or the bucket policy."});
  }
  if (in.cloud_account_id) {
    // AWS: the cloud account's verify (STS identity + EC2 DryRuns), recorded on the row.
    WHARF_ASSIGN_OR_RETURN(auto outcome, cloud_accounts_.VerifyCloudAccount(p, *in.cloud_account_id, in.region, ctx));
    json report = outcome.report;
    d.subject = "cloud_account";
    d.page = "docs/troubleshooting/integrations.md";
    if (d.title.empty()) d.title = "AWS account (compute credentials, not backup storage)";
    bool first = true;
    for (auto& c : report["checks"]) {
      std::string status = c["status"] == "skipped" ? "not_applicable" : c["status"].get<std::string>();
      d.checklist.push_back({c["name"], status, c.value("message", ""), c.value("fix", ""), c.value("layer", "")});
      // The first failing check names the layer (aws_iam or network), whatever the pasted text said.
      if (status == "failed" && first) {
        d.layer = c.value("layer", "aws_iam");
        first = false;
      }
    }
  }
  if (in.invitation_id) {
    d.subject = "invitation";
    d.layer = d.layer.empty() ? "email" : d.layer;
    d.page = "docs/troubleshooting/security.md";
    std::optional<domain::Invitation> inv;
    std::optional<domain::Org> org;
    int64_t used = 0;
    bool inviter_can = false;
    std::string inviter_role;
    WHARF_TRY(Authorize(p, Collection::kTeam, Action::kRead, nullptr, ctx, *in.invitation_id));
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(inv, tx.invitations().Find(p.org_id, *in.invitation_id));
      if (!inv) return Err(ErrorCode::kNotFound, "Invitation not found in this organisation.");
      WHARF_ASSIGN_OR_RETURN(org, tx.orgs().FindById(p.org_id));
      WHARF_ASSIGN_OR_RETURN(used, SeatsUsed(tx, p.org_id));
      WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, inv->created_by));
      if (m) {
        WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, m->role_id));
        if (role) {
          inviter_role = role->name;
          inviter_can = role->builtin || role->permissions[Collection::kTeam].update;
        }
      }
      return Ok();
    }));
    const Timestamp now = clock_.Now();
    auto st = inv->status;
    using S = domain::InvitationStatus;
    if (st == S::kAccepted) d.checklist.push_back({"status", "failed", "The invitation was already used.", "Invite again if someone else should join."});
    else if (st == S::kRevoked) d.checklist.push_back({"status", "failed", "The invitation was revoked.", "Invite again."});
    else if (inv->expires_at <= now)
      d.checklist.push_back({"status", "failed", "The invitation expired.", "Resend it: that mints a new 7-day link."});
    else d.checklist.push_back({"status", "passed", "Pending and unexpired.", ""});
    if (inv->email_status == "failed")
      d.checklist.push_back({"email", "failed", "Sending failed: " + inv->email_error,
                             "Check the SMTP settings (--smtp-url); meanwhile Copy invitation link and send it yourself."});
    else if (inv->email_status == "sent") d.checklist.push_back({"email", "passed", "The email was accepted by the SMTP server.",
                                                                  "If it never arrived, check spam, or copy the link."});
    else d.checklist.push_back({"email", "not_applicable", "No email was sent (" + inv->email_status + ").",
                                "Copy the invitation link and send it."});
    if (org->seat_limit > 0 && used > org->seat_limit)
      d.checklist.push_back({"seats", "failed", std::to_string(used) + " of " + std::to_string(org->seat_limit) + " seats are used.",
                             "An instance admin can raise the seat limit; or remove a member or revoke a pending invitation."});
    else
      d.checklist.push_back({"seats", "passed", std::to_string(used) + " seats used" +
                                                    (org->seat_limit ? " of " + std::to_string(org->seat_limit) : std::string(" (no limit)")), ""});
    d.checklist.push_back({"inviter", inviter_can ? "passed" : "failed",
                           inviter_role.empty() ? "The inviter is no longer a member."
                                                : "The inviter's role '" + inviter_role + "'" + (inviter_can ? " grants" : " no longer grants") + " team.update.",
                           inviter_can ? "" : "An Admin can resend it."});
    for (auto& c : d.checklist)
      if (c.status == "failed") {
        d.layer = c.name == "seats" ? "seat_limit" : c.name == "inviter" ? "permissions" : "email";
        break;
      }
  }
  // The failing items first (in check order), then the rest: the answer leads with what to fix.
  std::stable_partition(d.checklist.begin(), d.checklist.end(), [](const ChecklistItem& c) { return c.status == "failed"; });
  return d;
}

// "Webhook never arrives" and "permission denied on clone" for one git provider: the provider's
// own state (verified, webhook secret, deliveries and their outcome, the last push) as a
// checklist, and with {repository, branch} the provider's verify run for real.
Status Diagnostics::DiagnoseGitProvider(const authz::Principal& p, const DiagnoseInput& in, Diagnosis& d, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto row, integrations_.GetIntegration(p, kGitProviders, *in.git_provider_id, ctx));
  const std::string type = row.Field("type");
  const bool app = type == "github_app";
  const std::string cred_layer = app ? "github_app" : "git_token";
  d.subject = "git_provider";
  d.page = "docs/troubleshooting/integrations.md";
  std::string failed_layer;
  auto fail = [&](std::string name, std::string evidence, std::string fix, const std::string& layer) {
    d.checklist.push_back({std::move(name), "failed", std::move(evidence), std::move(fix)});
    if (failed_layer.empty()) failed_layer = layer;
  };
  auto when = [&](const std::string& ms) {
    int64_t t = std::atoll(ms.c_str());
    int64_t ago = (clock_.Now() - t) / 1000;
    std::string rel = ago < 120 ? std::to_string(ago) + " s ago" : ago < 7200 ? std::to_string(ago / 60) + " min ago"
                                                                   : std::to_string(ago / 3600) + " h ago";
    return rel;
  };
  // 1. The credential (with repository: verify it now; otherwise the last verify).
  if (in.repository || in.branch) {
    WHARF_ASSIGN_OR_RETURN(auto outcome, git_providers_.VerifyGitProvider(p, row.id, in.repository, in.branch, ctx));
    json report = outcome.report;
    for (auto& c : report["checks"]) {
      std::string status = c["status"] == "skipped" ? "not_applicable" : c["status"].get<std::string>();
      if (status == "failed") fail(c["name"], c.value("message", ""), c.value("fix", ""), c.value("layer", cred_layer));
      else d.checklist.push_back({c["name"], status, c.value("message", ""), c.value("fix", "")});
    }
  } else if (row.verified) {
    d.checklist.push_back({"credential", "passed", "Verified " + when(std::to_string(row.last_verified_at)) + ".",
                           "Give repository and branch to check them now."});
  } else if (row.last_verified_at == 0) {
    fail("credential", "The credential was never verified.",
         "Verify the provider with the repository and branch a service deploys (POST …/git-providers/" + row.id + "/verify).",
         cred_layer);
  } else if (row.last_error.empty()) {
    fail("credential", "The credential was changed after its last verify and has not been verified since.",
         "Verify the provider again (POST …/git-providers/" + row.id + "/verify).", cred_layer);
  } else {
    json e = json::parse(row.last_error, nullptr, false);
    fail("credential", "The last verify failed: " + (e.is_object() ? e.value("message", std::string("unknown")) : std::string("unknown")),
         e.is_object() ? e.value("fix", "") : "", e.is_object() && !e.value("layer", "").empty() ? e.value("layer", "") : cred_layer);
  }
  if (row.expires_at && row.expires_at <= clock_.Now())
    fail("expiry", "The token has expired.", "Create a new token with the same scopes and save it here.", "git_token");
  else if (row.expires_at && row.expires_at <= clock_.Now() + 7 * 86400000LL)
    d.checklist.push_back({"expiry", "passed",
                           "The token expires in " + std::to_string((row.expires_at - clock_.Now()) / 86400000) + " day(s).",
                           "Create a new token with the same scopes and save it here before it expires."});
  // 2. The webhook's own chain: secret, URL, deliveries, outcome, pushes.
  const std::string url = config_.public_url + "/api/v1/webhooks/git/" + row.id;
  if (row.sealed.count("webhook_secret") == 0)
    fail("webhook_secret", "No webhook secret is set, so every delivery is rejected (Wharf cannot verify its signature).",
         "Set webhook_secret on this provider and the same secret in the git host's webhook settings.", "webhook");
  else
    d.checklist.push_back({"webhook_secret", "passed", "A webhook secret is set.", ""});
  const int64_t deliveries = std::atoll(row.Field("webhook_deliveries").c_str());
  const int64_t rejected = std::atoll(row.Field("webhook_rejected").c_str());
  std::string host = config_.public_url.substr(config_.public_url.find("://") + 3);
  host = host.substr(0, host.find('/'));
  bool loopback = StartsWith(host, "127.") || StartsWith(host, "localhost") || StartsWith(host, "[::1]");
  if (deliveries == 0) {
    fail("last_delivery", "No delivery has ever arrived at " + url + ".",
         std::string(app ? "On the GitHub App's settings page: Webhook active, URL " : "In the repository's webhook settings: URL ") +
             url + ", content type application/json, the push event selected; then check the git host's delivery log "
             "(Redeliver shows the error it got) and that your firewall lets the git host's webhook addresses reach Wharf.",
         "webhook");
    if (loopback)
      fail("public_url", "Wharf's public URL is " + config_.public_url + ", an address only this machine can reach: a git "
                         "host on the internet cannot deliver to it.",
           "Start wharf with --public-url set to the address the git host reaches (a public name or a tunnel), and use "
           "that in the webhook URL.", "webhook");
    else
      d.checklist.push_back({"public_url", "passed", "The webhook URL to configure: " + url, ""});
  } else {
    d.checklist.push_back({"last_delivery", "passed",
                           "The last delivery (" + row.Field("webhook_last_event") + ") arrived " + when(row.Field("webhook_last_at")) +
                               "; " + std::to_string(deliveries) + " in all, " + std::to_string(rejected) + " rejected.",
                           ""});
    const std::string outcome = row.Field("webhook_last_outcome");
    if (outcome != "accepted")
      fail("last_outcome", "The last delivery was rejected (" + outcome + "): " + row.Field("webhook_last_message"),
           outcome == "bad_signature" || outcome == "missing_signature" || outcome == "no_secret"
               ? "Set the same secret on both sides: the git host's webhook secret and this provider's webhook_secret."
               : "Set the webhook's content type to application/json.",
           "webhook");
    else
      d.checklist.push_back({"last_outcome", "passed", "The last delivery's signature verified.", ""});
    json last = json::parse(row.Field("last_push").empty() ? "null" : row.Field("last_push"), nullptr, false);
    if (!last.is_object()) {
      fail("push_events", "Deliveries arrive but none was a push (last event: " + row.Field("webhook_last_event") + ").",
           "Subscribe the webhook to push events (GitHub App: Permissions & events → Subscribe to events → Push).", "webhook");
    } else {
      std::string b = last.value("branch", "");
      std::string r = last.value("repository", "");
      if (in.branch && b != *in.branch)
        fail("branch_filter", "The last push Wharf received was to " + r + "@" + b + ", not to " + *in.branch + ".",
             "Pushes to " + *in.branch + " are not delivered: check the webhook's branch filter on the git host, and that "
             "you pushed to " + *in.branch + ".", "webhook");
      else
        d.checklist.push_back({"push_events", "passed", "The last push: " + r + "@" + b + " (" + last.value("sha", "").substr(0, 12) + ").", ""});
    }
  }
  if (d.layer.empty() || d.layer == "webhook" || d.layer == "git_token" || d.layer == "github_app") d.layer = failed_layer;
  return Ok();
}

Diagnostics::Diagnostics(Core& core, Integrations& integrations, Servers& servers, Registries& registries, GitProviders& git_providers, BackupStorage& backup_storage, CloudAccounts& cloud_accounts) : Feature(core), integrations_(integrations), servers_(servers), registries_(registries), git_providers_(git_providers), backup_storage_(backup_storage), cloud_accounts_(cloud_accounts) {}

}  // namespace wharf::services
