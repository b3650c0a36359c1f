// The machinery every integration shares (Docker registries now; git providers, cloud accounts
// and backup storage plug into it): one `integrations` table keyed by kind, secret fields sealed
// with AD {org, kind, id, field}, the duplicate-credential check that names the existing record,
// and the verify bookkeeping (verified, last_verified_at, last_error with its layer).
// Pattern as SSH keys: authorize (with the row as Resource) → validate → one transaction → audit.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "nodes/ssh.h"
#include "services/integrations.h"

namespace wharf::services {

using domain::Action;
using nlohmann::json;

namespace {
tl::unexpected<Error> NotFound(const IntegrationKind& k) {
  return Err(ErrorCode::kNotFound, std::string(k.noun) + " not found in this organisation.");
}
authz::Resource AsResource(const domain::Integration& i) { return authz::Resource{i.id, i.created_by, {}, {}}; }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : std::string(sep)) + part;
  return out;
}

// The destination fields of `k` whose value differs between `before` and `after`.
std::vector<std::string> ChangedDestination(const IntegrationKind& k, const domain::Integration& before,
                                            const domain::Integration& after) {
  std::vector<std::string> out;
  for (const char* f : k.binding.destination)
    if (before.Field(f) != after.Field(f)) out.emplace_back(f);
  return out;
}

// 400 when a destination changed and a secret the row holds was not given again: the stored
// value was entered for the old destination and must never be sent to the new one.
Status RequireRebind(const IntegrationKind& k, const domain::Integration& row, const std::vector<std::string>& changed,
                     const std::vector<std::pair<std::string, SecretBytes>>& given) {
  if (changed.empty()) return Ok();
  std::vector<std::string> missing;
  for (const char* f : k.binding.secrets) {
    if (!row.sealed.count(f)) continue;
    bool has = std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.first == f; });
    if (!has) missing.emplace_back(f);
  }
  if (missing.empty()) return Ok();
  std::string fields = Join(changed, ", ");
  std::string problem = "required when " + fields + (changed.size() == 1 ? " changes" : " change");
  Error e{ErrorCode::kValidationFailed,
          Join(missing, " and ") + " " + (missing.size() == 1 ? "is " : "are ") + problem + ": Wharf sends a stored " +
              "secret only to the destination it was given for. Give it again with the new " + fields +
              ", or leave " + fields + " as it is.",
          {}, Layer::kNone, json::object()};
  for (auto& m : missing) e.details["fields"][m] = problem;
  return tl::unexpected<Error>(std::move(e));
}

// "changed: a, b; secrets given again: c" for the audit event: field names, never values.
std::string ChangeSummary(const domain::Integration& before, const domain::Integration& after,
                          const std::vector<std::pair<std::string, SecretBytes>>& secrets) {
  std::vector<std::string> names;
  if (before.name != after.name) names.emplace_back("name");
  for (const auto& [f, v] : after.fields)
    if (before.Field(f) != v) names.push_back(f);
  for (const auto& field : before.fields)
    if (!after.fields.count(field.first)) names.push_back(field.first);
  std::vector<std::string> given;
  for (const auto& secret : secrets) given.push_back(secret.first);
  std::string out = names.empty() ? "" : "changed: " + Join(names, ", ");
  if (!given.empty()) out += (out.empty() ? "" : "; ") + std::string("secrets given again: ") + Join(given, ", ");
  return out;
}

tl::unexpected<Error> Duplicate(const IntegrationKind& k, const domain::Integration& existing, const std::string& label) {
  auto e = Err(ErrorCode::kConflict, "This credential (" + label + ") is already connected in this organisation as " +
                                         k.noun + " '" + existing.name + "' (" + existing.id +
                                         "). Edit or verify that one instead of adding it twice.");
  e.value().details = {{"existing", {{"id", existing.id}, {"name", existing.name}}}};
  return e;
}
}  // namespace

Status Integrations::CheckPrivateTarget(std::string_view host, std::string_view field) const {
  if (config_.allow_private_targets) return Ok();
  std::string h(host);
  if (StartsWith(h, "[")) h = h.substr(1, h.find(']') - 1);
  else h = h.substr(0, h.find(':'));
  if (h == "localhost" || (nodes::IsIpLiteral(h) && nodes::IsPrivateAddress(h)))
    return FieldError(field, "is a loopback, private or link-local address, and this Wharf instance does not allow "
                             "private targets (start wharf with --allow-private-targets to allow them)");
  return Ok();
}

Result<Page<domain::Integration>> Integrations::ListIntegrations(const authz::Principal& p, const IntegrationKind& k,
                                                             int limit, std::string_view cursor,
                                                             const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, k.collection)) q.created_by = p.user_id;
  Page<domain::Integration> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(page.items, tx.integrations().List(p.org_id, k.name, q));
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().created_at, page.items.back().id);
  }
  return page;
}

Result<std::vector<domain::Integration>> Integrations::ListExpiringIntegrations(const authz::Principal& p,
                                                                             const IntegrationKind& k, int64_t within_ms,
                                                                             const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, Action::kRead, nullptr, ctx));
  std::vector<domain::Integration> out;
  const Timestamp until = clock_.Now() + within_ms;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    store::PageQuery q;
    q.limit = 1000;
    if (authz::ReadsOwnOnly(p, k.collection)) q.created_by = p.user_id;
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.integrations().List(p.org_id, k.name, q));
    for (auto& r : rows)
      if (r.expires_at != 0 && r.expires_at <= until) out.push_back(std::move(r));
    return Ok();
  }));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.expires_at < b.expires_at; });
  return out;
}

Result<domain::Integration> Integrations::GetIntegration(const authz::Principal& p, const IntegrationKind& k,
                                                     std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, Action::kRead, nullptr, ctx, id));
  std::optional<domain::Integration> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.integrations().Find(p.org_id, k.name, id));
    return Ok();
  }));
  if (!row) return NotFound(k);
  auto r = AsResource(*row);
  auto st = Authorize(p, k.collection, Action::kRead, &r, ctx, id);
  if (!st) return st.error().code == ErrorCode::kNotFound ? NotFound(k) : tl::unexpected(st.error());
  return *row;
}

Status Integrations::DeleteIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                                   const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, Action::kDelete, nullptr, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, k.name, id));
    if (!row) return NotFound(k);
    auto r = AsResource(*row);
    auto st = Authorize(p, k.collection, Action::kDelete, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? NotFound(k) : tl::unexpected(st.error());
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.integrations().Delete(p.org_id, k.name, id));
    if (!deleted) return NotFound(k);
    return AuditIn(tx, p, std::string(k.name) + ".delete", k.name, row->id, ctx, row->name);
  });
}

Result<domain::Integration> Integrations::InsertIntegration(const authz::Principal& p, const IntegrationKind& k,
                                                        domain::Integration row,
                                                        std::vector<std::pair<std::string, SecretBytes>> secrets,
                                                        std::string credential_label, const RequestContext& ctx) {
  row.id = ids_.New(k.id_prefix);
  row.org_id = p.org_id;
  row.kind = k.name;
  row.created_at = row.updated_at = clock_.Now();
  row.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto existing, tx.integrations().FindByDedupeKey(p.org_id, k.name, row.dedupe_key));
    if (existing) return Duplicate(k, *existing, credential_label);
    WHARF_TRY(EnforceCreateLimit(
        p, k.collection, [&] { return tx.integrations().CountCreatedBy(p.org_id, k.name, p.user_id); },
        std::string(k.noun) + " records"));
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    for (auto& [field, value] : secrets) {
      WHARF_ASSIGN_OR_RETURN(row.sealed[field], envelope_.Seal(org->wrapped_data_key, {p.org_id, k.name, row.id, field},
                                                               value.view()));
    }
    WHARF_TRY(tx.integrations().Insert(row));
    return AuditIn(tx, p, std::string(k.name) + ".create", k.name, row.id, ctx, row.name + " " + credential_label);
  }));
  return row;
}

Result<domain::Integration> Integrations::SaveIntegration(const authz::Principal& p, const IntegrationKind& k,
                                                      std::string_view id,
                                                      const std::function<Status(domain::Integration&)>& edit,
                                                      std::vector<std::pair<std::string, SecretBytes>> secrets,
                                                      std::string credential_label, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, Action::kUpdate, nullptr, ctx, id));
  domain::Integration out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, k.name, id));
    if (!row) return NotFound(k);
    auto r = AsResource(*row);
    auto st = Authorize(p, k.collection, Action::kUpdate, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? NotFound(k) : tl::unexpected(st.error());
    const std::string old_key = row->dedupe_key;
    const domain::Integration before = *row;
    WHARF_TRY(edit(*row));
    const std::vector<std::string> moved = ChangedDestination(k, before, *row);
    WHARF_TRY(RequireRebind(k, *row, moved, secrets));
    if (row->dedupe_key != old_key) {
      WHARF_ASSIGN_OR_RETURN(auto existing, tx.integrations().FindByDedupeKey(p.org_id, k.name, row->dedupe_key));
      if (existing && existing->id != row->id) return Duplicate(k, *existing, credential_label);
    }
    if (!secrets.empty()) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
      if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
      for (auto& [field, value] : secrets) {
        WHARF_ASSIGN_OR_RETURN(row->sealed[field], envelope_.Seal(org->wrapped_data_key,
                                                                  {p.org_id, k.name, row->id, field}, value.view()));
      }
    }
    // A changed credential or destination has not been verified yet.
    if (!secrets.empty() || row->dedupe_key != old_key || !moved.empty()) {
      row->verified = false;
      row->last_error.clear();
    }
    row->updated_at = clock_.Now();
    WHARF_TRY(tx.integrations().Update(*row));
    out = *row;
    std::string summary = ChangeSummary(before, *row, secrets);
    return AuditIn(tx, p, std::string(k.name) + ".update", k.name, row->id, ctx,
                   summary.empty() ? row->name : row->name + " (" + summary + ")");
  }));
  return out;
}

Result<std::pair<domain::Integration, SecretBytes>> Integrations::LoadIntegrationSecret(
    const authz::Principal& p, const IntegrationKind& k, std::string_view id, Action a, const std::string& field,
    const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, a, nullptr, ctx, id));
  std::optional<std::pair<domain::Integration, SecretBytes>> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, k.name, id));
    if (!row) return NotFound(k);
    auto r = AsResource(*row);
    auto st = Authorize(p, k.collection, a, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? NotFound(k) : tl::unexpected(st.error());
    SecretBytes value;
    if (auto it = row->sealed.find(field); it != row->sealed.end()) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
      if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
      WHARF_ASSIGN_OR_RETURN(value, envelope_.Open(org->wrapped_data_key, {p.org_id, k.name, row->id, field}, it->second));
    }
    out.emplace(std::move(*row), std::move(value));
    return Ok();
  }));
  return std::move(*out);
}

Result<std::pair<domain::Integration, std::map<std::string, SecretBytes>>> Integrations::LoadIntegrationSecrets(
    const authz::Principal& p, const IntegrationKind& k, std::string_view id, Action a, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, k.collection, a, nullptr, ctx, id));
  std::optional<std::pair<domain::Integration, std::map<std::string, SecretBytes>>> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, k.name, id));
    if (!row) return NotFound(k);
    auto r = AsResource(*row);
    auto st = Authorize(p, k.collection, a, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? NotFound(k) : tl::unexpected(st.error());
    std::map<std::string, SecretBytes> values;
    if (!row->sealed.empty()) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
      if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
      for (const auto& [field, sealed] : row->sealed) {
        WHARF_ASSIGN_OR_RETURN(values[field], envelope_.Open(org->wrapped_data_key, {p.org_id, k.name, row->id, field}, sealed));
      }
    }
    out.emplace(std::move(*row), std::move(values));
    return Ok();
  }));
  return std::move(*out);
}

Status Integrations::RecordIntegrationVerify(const authz::Principal& p, const IntegrationKind& k, domain::Integration row,
                                         const CheckOutcome& out, const RequestContext& ctx, bool fields_changed) {
  json report = out.report;
  const Timestamp loaded_at = row.last_verified_at;  // the verification this one follows
  row.verified = out.ok;
  row.last_verified_at = clock_.Now();
  row.last_error.clear();
  const std::string run = ctx.scheduled ? "The scheduled re-verification of the " : "The ";
  notify::Event failed;  // integration.verify_failed (not for notification channels: their test answers at once)
  if (!out.ok && report.is_object()) {
    for (auto& c : report["checks"]) {
      if (c.value("status", "") != "failed") continue;
      row.last_error = json{{"check", c.value("name", "")}, {"message", c.value("message", "")},
                            {"layer", c.value("layer", "")}, {"fix", c.value("fix", "")}}
                           .dump();
      failed.what = run + std::string(k.noun) + " " + row.name + " failed its check (" + c.value("name", "") +
                    "): " + c.value("message", "");
      failed.layer = c.value("layer", "");
      failed.fix = c.value("fix", "");
      break;
    }
    if (failed.what.empty()) {
      const std::string why = report.contains("error") && report["error"].is_string() ? report["error"].get<std::string>() : "";
      failed.what = run + std::string(k.noun) + " " + row.name + " failed its check" + (why.empty() ? "." : ": " + why);
      // A failure without a failed check still leaves an error on the row, so the row reads as
      // failed (not as changed and never verified since) and stays on the re-verification schedule.
      row.last_error = json{{"check", ""}, {"message", why.empty() ? "The verification failed." : why},
                            {"layer", ""}, {"fix", ""}}
                           .dump();
    }
  }
  if (!out.ok && k.collection != domain::Collection::kNotifications) {
    failed.kind = notify::EventKind::kIntegrationVerifyFailed;
    failed.subject = row.name;
    if (failed.fix.empty()) failed.fix = "Open the integration, correct what the check names, then verify it again.";
    failed.link = "/integrations";
    failed.occurred_at_ms = row.last_verified_at;
    failed.dedup_key = "integration:" + row.id + ":verify_failed:" + std::to_string(row.last_verified_at);
  } else {
    failed.what.clear();
  }
  const std::string detail = std::string(out.ok ? "ok" : "failed") + (ctx.scheduled ? " (scheduled)" : "");
  return WriteTx([&](store::Tx& tx) -> Status {
    bool send = !failed.what.empty();
    notify::Event e = failed;  // a copy: the transaction may run again
    if (ctx.scheduled) {
      // A scheduled run announces only the change from passing to failing, once: against the
      // row as it is now, and keyed by the passing verification it follows, so another replica's
      // run (or a retried transaction) for the same change adds nothing. A verification recorded
      // meanwhile (someone pressed Verify, another replica ran) stands; this one is dropped.
      WHARF_ASSIGN_OR_RETURN(auto now, tx.integrations().Find(row.org_id, k.name, row.id));
      if (!now || now->last_verified_at != loaded_at) return Ok();
      send = send && now->verified;
      e.dedup_key = "integration:" + row.id + ":verify_failed_after:" + std::to_string(now->last_verified_at);
    }
    if (send) WHARF_TRY(Notify(tx, row.org_id, std::move(e)));
    if (fields_changed) {
      row.updated_at = clock_.Now();
      WHARF_TRY(tx.integrations().Update(row));
    } else {
      WHARF_TRY(tx.integrations().RecordVerification(row));
    }
    return AuditIn(tx, p, std::string(k.name) + ".verify", k.name, row.id, ctx, detail);
  });
}

Result<std::vector<domain::Integration>> Integrations::ListExpiringIntegrations(const authz::Principal& p, int within_days,
                                                                           const RequestContext& ctx) {
  (void)ctx;
  if (within_days < 0 || within_days > 3650) return FieldError("within_days", "must be an integer from 0 to 3650");
  const Timestamp before = clock_.Now() + static_cast<int64_t>(within_days) * 86400000LL;
  std::vector<domain::Integration> rows;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(rows, tx.integrations().ListExpiring(p.org_id, before, 500));
    return Ok();
  }));
  std::vector<domain::Integration> out;
  for (auto& r : rows) {
    auto coll = domain::ParseCollection(r.kind);
    if (!coll) continue;
    authz::Resource res{r.id, r.created_by, {}, {}};
    if (!authz::Check(p, *coll, Action::kRead, &res).allowed()) continue;
    out.push_back(std::move(r));
  }
  return out;
}


Integrations::Integrations(Core& core) : Feature(core) {}

}  // namespace wharf::services
