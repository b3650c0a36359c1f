// POST …/diagnose: the troubleshooting pages as code. A resource (server, invitation) gets its
// layer's checklist run for real; pasted error text is classified into a layer first.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "diagnose/classify.h"
#include "services/services.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

Result<Services::Diagnosis> Services::Diagnose(const authz::Principal& p, DiagnoseInput in, const RequestContext& ctx) {
  if (!in.server_id && !in.invitation_id && !in.error_text && !in.docker_registry_id && !in.backup_storage_id)
    return FieldError("body", "give server_id, invitation_id, docker_registry_id (with image), backup_storage_id or "
                              "error_text (the message you saw)");
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
    WHARF_ASSIGN_OR_RETURN(auto outcome, CheckServer(p, *in.server_id, ctx));
    json report = json::parse(outcome.report_json);
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
    WHARF_ASSIGN_OR_RETURN(auto outcome, VerifyDockerRegistry(p, *in.docker_registry_id, in.image, ctx));
    json report = json::parse(outcome.report_json);
    d.subject = "docker_registry";
    d.page = "docs/troubleshooting/integrations.md";
    if (d.layer.empty() || d.layer == "registry") d.layer = outcome.ok ? "" : "registry";
    for (auto& c : report["checks"]) {
      std::string status = c["status"] == "skipped" ? "not_applicable" : c["status"].get<std::string>();
      d.checklist.push_back({c["name"], status, c.value("message", ""), c.value("fix", "")});
      if (status == "failed" && d.subject == "docker_registry" && c.contains("layer")) d.layer = c["layer"];
    }
  }
  if (in.backup_storage_id) {
    // Backup storage: the same probe as …/backup-storage/{id}/verify (recorded on the row).
    WHARF_ASSIGN_OR_RETURN(auto outcome, VerifyBackupStorage(p, *in.backup_storage_id, ctx));
    json report = json::parse(outcome.report_json);
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

}  // namespace wharf::services
