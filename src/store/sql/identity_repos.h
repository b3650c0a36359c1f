// Second factors, sign-in ceremonies, step-up, org policy and OpenID Connect providers, once for
// both databases (see query.h for what Q provides). Internal to src/store.
#pragma once

#include "store/sql/query.h"
#include "store/sql/repo_macro.h"
#include "store/sql/rows.h"

#define WHARF_PASSKEY_COLS "id, user_id, name, credential_id, public_key, alg, sign_count, created_at, last_used_at"
#define WHARF_IDP_COLS                                                                                            \
  "id, name, display_name, issuer, client_id, wrapped_key, client_secret_sealed, scopes, allowed_domains, mappings, " \
  "created_at, updated_at"

namespace wharf::store::sql {

WHARF_SQL_REPO(SecondFactors, SecondFactorRepository)
  static Result<TotpRow> ReadTotp(Q& r) {
    return TotpRow{r.Str(0), r.Bytes(1), r.Bytes(2), r.I64(3) != 0, r.I64(4), r.I64(5)};
  }
  static Result<PasskeyRow> ReadPasskey(Q& r) {
    return PasskeyRow{r.Str(0), r.Str(1), r.Str(2), r.Bytes(3), r.Bytes(4), r.I64(5), r.I64(6), r.I64(7), r.I64(8)};
  }
  Result<std::optional<TotpRow>> FindTotp(std::string_view user_id) override {
    Q q(c_, "SELECT user_id, wrapped_key, secret_sealed, confirmed, last_step, created_at FROM user_totp WHERE user_id = ?");
    q.Text(user_id);
    return One<TotpRow>(q, ReadTotp);
  }
  Status PutTotp(const TotpRow& t) override {
    Q q(c_, "INSERT INTO user_totp (user_id, wrapped_key, secret_sealed, confirmed, last_step, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET wrapped_key = excluded.wrapped_key, "
            "secret_sealed = excluded.secret_sealed, confirmed = excluded.confirmed, last_step = excluded.last_step, "
            "created_at = excluded.created_at");
    q.Text(t.user_id).Blob(t.wrapped_key).Blob(t.secret_sealed).Bool(t.confirmed).Int(t.last_step).Int(t.created_at);
    return q.Exec();
  }
  Result<std::vector<TotpRow>> ListAllTotp() override {
    Q q(c_, "SELECT user_id, wrapped_key, secret_sealed, confirmed, last_step, created_at FROM user_totp ORDER BY user_id");
    return Collect<TotpRow>(q, ReadTotp);
  }
  Status ConfirmTotp(std::string_view user_id, int64_t step) override {
    Q q(c_, WHARF_SQL("UPDATE user_totp SET confirmed = 1, last_step = ? WHERE user_id = ?",
                      "UPDATE user_totp SET confirmed = TRUE, last_step = ? WHERE user_id = ?"));
    q.Int(step).Text(user_id);
    return q.Exec();
  }
  Result<bool> AdvanceTotpStep(std::string_view user_id, int64_t step) override {
    Q q(c_, "UPDATE user_totp SET last_step = ?1 WHERE user_id = ?2 AND last_step < ?1");
    q.Int(step).Text(user_id);
    return Changed(q);
  }
  Result<bool> DeleteTotp(std::string_view user_id) override {
    Q q(c_, "DELETE FROM user_totp WHERE user_id = ?");
    q.Text(user_id);
    return Changed(q);
  }
  Status ReplaceRecoveryCodes(std::string_view user_id, const std::vector<std::string>& hashes) override {
    WHARF_TRY(DeleteRecoveryCodes(user_id));
    for (size_t i = 0; i < hashes.size(); ++i) {
      Q q(c_, "INSERT INTO user_recovery_codes (user_id, idx, code_hash) VALUES (?, ?, ?)");
      q.Text(user_id).Int(static_cast<int64_t>(i)).Text(hashes[i]);
      WHARF_TRY(q.Exec());
    }
    return Ok();
  }
  Result<std::vector<std::pair<int64_t, std::string>>> ListRecoveryCodes(std::string_view user_id) override {
    Q q(c_, "SELECT idx, code_hash FROM user_recovery_codes WHERE user_id = ? ORDER BY idx");
    q.Text(user_id);
    return Collect<std::pair<int64_t, std::string>>(
        q, [](Q& r) -> Result<std::pair<int64_t, std::string>> { return std::make_pair(r.I64(0), r.Str(1)); });
  }
  Result<bool> ConsumeRecoveryCode(std::string_view user_id, int64_t index) override {
    Q q(c_, "DELETE FROM user_recovery_codes WHERE user_id = ? AND idx = ?");
    q.Text(user_id).Int(index);
    return Changed(q);
  }
  Status DeleteRecoveryCodes(std::string_view user_id) override {
    Q q(c_, "DELETE FROM user_recovery_codes WHERE user_id = ?");
    q.Text(user_id);
    return q.Exec();
  }
  Status InsertPasskey(const PasskeyRow& p) override {
    Q q(c_, "INSERT INTO user_passkeys (" WHARF_PASSKEY_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(p.id).Text(p.user_id).Text(p.name).Blob(p.credential_id).Blob(p.public_key).Int(p.alg).Int(p.sign_count);
    q.Int(p.created_at).Int(p.last_used_at);
    return q.Exec("This passkey is already registered.");
  }
  Result<std::vector<PasskeyRow>> ListPasskeys(std::string_view user_id) override {
    Q q(c_, "SELECT " WHARF_PASSKEY_COLS " FROM user_passkeys WHERE user_id = ? ORDER BY created_at, id");
    q.Text(user_id);
    return Collect<PasskeyRow>(q, ReadPasskey);
  }
  Result<std::optional<PasskeyRow>> FindPasskeyByCredential(std::string_view credential_id) override {
    Q q(c_, "SELECT " WHARF_PASSKEY_COLS " FROM user_passkeys WHERE credential_id = ?");
    q.Blob(credential_id);
    return One<PasskeyRow>(q, ReadPasskey);
  }
  Result<bool> RecordPasskeyUse(std::string_view id, int64_t old_count, int64_t new_count, Timestamp at) override {
    Q q(c_, "UPDATE user_passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?");
    q.Int(new_count).Int(at).Text(id).Int(old_count);
    return Changed(q);
  }
  Result<bool> DeletePasskey(std::string_view user_id, std::string_view id) override {
    Q q(c_, "DELETE FROM user_passkeys WHERE user_id = ? AND id = ?");
    q.Text(user_id).Text(id);
    return Changed(q);
  }
  Status InsertChallenge(const ChallengeRow& c) override {
    Q q(c_, "INSERT INTO auth_challenges (id_hash, kind, user_id, webauthn_challenge, expires_at) VALUES (?, ?, ?, ?, ?)");
    q.Text(c.id_hash).Text(c.kind).Text(c.user_id).Blob(c.webauthn_challenge).Int(c.expires_at);
    return q.Exec();
  }
  Result<std::optional<ChallengeRow>> FindChallenge(std::string_view id_hash, std::string_view kind,
                                                    Timestamp now) override {
    Q q(c_, "SELECT id_hash, kind, user_id, webauthn_challenge, expires_at FROM auth_challenges "
            "WHERE id_hash = ? AND kind = ? AND expires_at > ?");
    q.Text(id_hash).Text(kind).Int(now);
    return One<ChallengeRow>(q, [](Q& r) -> Result<ChallengeRow> {
      return ChallengeRow{r.Str(0), r.Str(1), r.Str(2), r.Bytes(3), r.I64(4)};
    });
  }
  Result<bool> DeleteChallenge(std::string_view id_hash) override {
    Q q(c_, "DELETE FROM auth_challenges WHERE id_hash = ?");
    q.Text(id_hash);
    return Changed(q);
  }
  Status PruneChallenges(Timestamp now) override {
    Q q(c_, "DELETE FROM auth_challenges WHERE expires_at <= ?");
    q.Int(now);
    WHARF_TRY(q.Exec());
    Q s(c_, "DELETE FROM sso_states WHERE expires_at <= ?");
    s.Int(now);
    return s.Exec();
  }
  Status SetStepUp(std::string_view session_id, std::string_view user_id, Timestamp until) override {
    Q q(c_, "INSERT INTO session_step_ups (session_id, user_id, until_at) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id) DO UPDATE SET until_at = excluded.until_at");
    q.Text(session_id).Text(user_id).Int(until);
    return q.Exec();
  }
  Result<Timestamp> StepUpUntil(std::string_view session_id) override {
    Q q(c_, "SELECT until_at FROM session_step_ups WHERE session_id = ?");
    q.Text(session_id);
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.I64(0) : Timestamp{0};
  }
  Result<bool> RequireTwoFactor(std::string_view org_id) override {
    Q q(c_, "SELECT require_two_factor FROM org_policies WHERE org_id = ?");
    q.Text(org_id);
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    return row && q.I64(0) != 0;
  }
  Status SetRequireTwoFactor(std::string_view org_id, bool on) override {
    Q q(c_, "INSERT INTO org_policies (org_id, require_two_factor) VALUES (?, ?) "
            "ON CONFLICT (org_id) DO UPDATE SET require_two_factor = excluded.require_two_factor");
    q.Text(org_id).Bool(on);
    return q.Exec();
  }
  Result<bool> HasSecondFactor(std::string_view user_id) override {
    Q q(c_, WHARF_SQL("SELECT (SELECT COUNT(*) FROM user_totp WHERE user_id = ?1 AND confirmed = 1) + "
                      "(SELECT COUNT(*) FROM user_passkeys WHERE user_id = ?1)",
                      "SELECT (SELECT COUNT(*) FROM user_totp WHERE user_id = ?1 AND confirmed) + "
                      "(SELECT COUNT(*) FROM user_passkeys WHERE user_id = ?1)"));
    q.Text(user_id);
    WHARF_ASSIGN_OR_RETURN(int64_t n, Scalar(q));
    return n > 0;
  }
  Result<std::vector<std::string>> WithSecondFactor(const std::vector<std::string>& user_ids) override {
    std::vector<std::string> out;
    for (const auto& id : user_ids) {
      WHARF_ASSIGN_OR_RETURN(bool has, HasSecondFactor(id));
      if (has) out.push_back(id);
    }
    return out;
  }
  Status DeleteAllForUser(std::string_view user_id) override {
    WHARF_TRY(DeleteTotp(user_id).map([](bool) {}));
    WHARF_TRY(DeleteRecoveryCodes(user_id));
    Q p(c_, "DELETE FROM user_passkeys WHERE user_id = ?");
    p.Text(user_id);
    WHARF_TRY(p.Exec());
    Q c(c_, "DELETE FROM auth_challenges WHERE user_id = ?");
    c.Text(user_id);
    WHARF_TRY(c.Exec());
    Q s(c_, "DELETE FROM session_step_ups WHERE user_id = ?");
    s.Text(user_id);
    return s.Exec();
  }
};

WHARF_SQL_REPO(Sso, SsoRepository)
  static Result<IdentityProviderRow> ReadProvider(Q& r) {
    return IdentityProviderRow{r.Str(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Bytes(5),
                               r.Bytes(6), r.Str(7), r.Str(8), r.Str(9), r.I64(10), r.I64(11)};
  }
  Status InsertProvider(const IdentityProviderRow& p) override {
    Q q(c_, "INSERT INTO identity_providers (" WHARF_IDP_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(p.id).Text(p.name).Text(p.display_name).Text(p.issuer).Text(p.client_id).Blob(p.wrapped_key);
    q.Blob(p.client_secret_sealed).Text(p.scopes).Text(p.allowed_domains).Text(p.mappings).Int(p.created_at);
    q.Int(p.updated_at);
    return q.Exec("An identity provider named '" + p.name + "' already exists.");
  }
  Status UpdateProvider(const IdentityProviderRow& p) override {
    Q q(c_, "UPDATE identity_providers SET name = ?, display_name = ?, issuer = ?, client_id = ?, wrapped_key = ?, "
            "client_secret_sealed = ?, scopes = ?, allowed_domains = ?, mappings = ?, updated_at = ? WHERE id = ?");
    q.Text(p.name).Text(p.display_name).Text(p.issuer).Text(p.client_id).Blob(p.wrapped_key);
    q.Blob(p.client_secret_sealed).Text(p.scopes).Text(p.allowed_domains).Text(p.mappings).Int(p.updated_at);
    q.Text(p.id);
    return q.Exec("An identity provider named '" + p.name + "' already exists.");
  }
  Result<std::optional<IdentityProviderRow>> FindProvider(std::string_view id) override {
    Q q(c_, "SELECT " WHARF_IDP_COLS " FROM identity_providers WHERE id = ?");
    q.Text(id);
    return One<IdentityProviderRow>(q, ReadProvider);
  }
  Result<std::optional<IdentityProviderRow>> FindProviderByName(std::string_view name) override {
    Q q(c_, "SELECT " WHARF_IDP_COLS " FROM identity_providers WHERE name = ?");
    q.Text(name);
    return One<IdentityProviderRow>(q, ReadProvider);
  }
  Result<std::vector<IdentityProviderRow>> ListProviders() override {
    Q q(c_, "SELECT " WHARF_IDP_COLS " FROM identity_providers ORDER BY created_at, id");
    return Collect<IdentityProviderRow>(q, ReadProvider);
  }
  Result<bool> DeleteProvider(std::string_view id) override {
    Q q(c_, "DELETE FROM identity_providers WHERE id = ?");
    q.Text(id);
    return Changed(q);
  }
  Status InsertState(const SsoStateRow& s) override {
    Q q(c_, "INSERT INTO sso_states (state_hash, provider_id, nonce, pkce_verifier, expires_at) VALUES (?, ?, ?, ?, ?)");
    q.Text(s.state_hash).Text(s.provider_id).Text(s.nonce).Text(s.pkce_verifier).Int(s.expires_at);
    return q.Exec();
  }
  Result<std::optional<SsoStateRow>> TakeState(std::string_view state_hash, Timestamp now) override {
    Q q(c_, "SELECT state_hash, provider_id, nonce, pkce_verifier, expires_at FROM sso_states WHERE state_hash = ?");
    q.Text(state_hash);
    WHARF_ASSIGN_OR_RETURN(auto row, One<SsoStateRow>(q, [](Q& r) -> Result<SsoStateRow> {
      return SsoStateRow{r.Str(0), r.Str(1), r.Str(2), r.Str(3), r.I64(4)};
    }));
    if (!row) return row;
    Q d(c_, "DELETE FROM sso_states WHERE state_hash = ?");
    d.Text(state_hash);
    WHARF_ASSIGN_OR_RETURN(bool took, Changed(d));
    if (!took || row->expires_at <= now) return std::optional<SsoStateRow>();
    return row;
  }
  Result<std::optional<SsoIdentityRow>> FindIdentity(std::string_view provider_id, std::string_view subject) override {
    Q q(c_, "SELECT provider_id, subject, user_id, email, created_at FROM sso_identities WHERE provider_id = ? AND subject = ?");
    q.Text(provider_id).Text(subject);
    return One<SsoIdentityRow>(q, [](Q& r) -> Result<SsoIdentityRow> {
      return SsoIdentityRow{r.Str(0), r.Str(1), r.Str(2), r.Str(3), r.I64(4)};
    });
  }
  Status InsertIdentity(const SsoIdentityRow& i) override {
    Q q(c_, "INSERT INTO sso_identities (provider_id, subject, user_id, email, created_at) VALUES (?, ?, ?, ?, ?)");
    q.Text(i.provider_id).Text(i.subject).Text(i.user_id).Text(i.email).Int(i.created_at);
    return q.Exec("This identity is already linked.");
  }
  Result<std::vector<SsoGrantRow>> ListGrants(std::string_view provider_id, std::string_view user_id) override {
    Q q(c_, "SELECT provider_id, user_id, org_id, role_id FROM sso_grants WHERE provider_id = ? AND user_id = ? "
            "ORDER BY org_id");
    q.Text(provider_id).Text(user_id);
    return Collect<SsoGrantRow>(q, [](Q& r) -> Result<SsoGrantRow> {
      return SsoGrantRow{r.Str(0), r.Str(1), r.Str(2), r.Str(3)};
    });
  }
  Status PutGrant(const SsoGrantRow& g) override {
    Q q(c_, "INSERT INTO sso_grants (provider_id, user_id, org_id, role_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (provider_id, user_id, org_id) DO UPDATE SET role_id = excluded.role_id");
    q.Text(g.provider_id).Text(g.user_id).Text(g.org_id).Text(g.role_id);
    return q.Exec();
  }
  Status DeleteGrant(std::string_view provider_id, std::string_view user_id, std::string_view org_id) override {
    Q q(c_, "DELETE FROM sso_grants WHERE provider_id = ? AND user_id = ? AND org_id = ?");
    q.Text(provider_id).Text(user_id).Text(org_id);
    return q.Exec();
  }

  static Result<SsoOnlyRow> ReadSsoOnly(Q& r) { return SsoOnlyRow{r.Str(0), r.Str(1), r.Str(2), r.I64(3), r.Str(4)}; }
  Result<std::optional<SsoOnlyRow>> FindSsoOnly(std::string_view org_id) override {
    Q q(c_, "SELECT org_id, provider_id, break_glass_user_id, updated_at, updated_by FROM org_sso_only WHERE org_id = ?");
    q.Text(org_id);
    return One<SsoOnlyRow>(q, ReadSsoOnly);
  }
  Status PutSsoOnly(const SsoOnlyRow& r) override {
    Q q(c_, "INSERT INTO org_sso_only (org_id, provider_id, break_glass_user_id, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET provider_id = excluded.provider_id, "
            "break_glass_user_id = excluded.break_glass_user_id, updated_at = excluded.updated_at, "
            "updated_by = excluded.updated_by");
    q.Text(r.org_id).Text(r.provider_id).Text(r.break_glass_user_id).Int(r.updated_at).Text(r.updated_by);
    return q.Exec();
  }
  Result<bool> DeleteSsoOnly(std::string_view org_id) override {
    Q q(c_, "DELETE FROM org_sso_only WHERE org_id = ?");
    q.Text(org_id);
    return Changed(q);
  }
  Result<std::vector<SsoOnlyRow>> SsoOnlyForMember(std::string_view user_id) override {
    Q q(c_, "SELECT p.org_id, p.provider_id, p.break_glass_user_id, p.updated_at, p.updated_by FROM org_sso_only p "
            "JOIN memberships m ON m.org_id = p.org_id JOIN orgs o ON o.id = p.org_id "
            "WHERE m.user_id = ? AND o.deleted_at = 0 ORDER BY o.created_at, o.id");
    q.Text(user_id);
    return Collect<SsoOnlyRow>(q, ReadSsoOnly);
  }
  Result<std::vector<std::string>> SsoOnlyOrgsOfProvider(std::string_view provider_id) override {
    Q q(c_, "SELECT org_id FROM org_sso_only WHERE provider_id = ? ORDER BY org_id");
    q.Text(provider_id);
    return Collect<std::string>(q, [](Q& r) -> Result<std::string> { return r.Str(0); });
  }
  Status MarkSsoSession(std::string_view session_id, std::string_view provider_id, Timestamp at) override {
    Q q(c_, "INSERT INTO sso_sessions (session_id, provider_id, created_at) VALUES (?, ?, ?)");
    q.Text(session_id).Text(provider_id).Int(at);
    return q.Exec();
  }
  Result<std::optional<std::string>> SsoSessionProvider(std::string_view session_id) override {
    Q q(c_, "SELECT provider_id FROM sso_sessions WHERE session_id = ?");
    q.Text(session_id);
    return One<std::string>(q, [](Q& r) -> Result<std::string> { return r.Str(0); });
  }
  Status InsertCliCode(const CliLoginCodeRow& r) override {
    Q prune(c_, "DELETE FROM cli_login_codes WHERE expires_at <= ?");
    prune.Int(r.expires_at - 10LL * 60 * 1000);  // codes live minutes: anything this old is long dead
    WHARF_TRY(prune.Exec());
    Q q(c_, "INSERT INTO cli_login_codes (code_hash, user_id, redirect_uri, code_challenge, sso_provider_id, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)");
    q.Text(r.code_hash).Text(r.user_id).Text(r.redirect_uri).Text(r.code_challenge).Text(r.sso_provider_id);
    q.Int(r.expires_at);
    return q.Exec();
  }
  Result<int64_t> CountLiveCliCodes(std::string_view user_id, Timestamp now) override {
    Q q(c_, "SELECT COUNT(*) FROM cli_login_codes WHERE user_id = ? AND expires_at > ?");
    q.Text(user_id).Int(now);
    WHARF_ASSIGN_OR_RETURN(auto n, One<int64_t>(q, [](Q& r) -> Result<int64_t> { return r.I64(0); }));
    return n.value_or(0);
  }
  Result<std::optional<CliLoginCodeRow>> TakeCliCode(std::string_view code_hash, Timestamp now) override {
    Q q(c_, "SELECT code_hash, user_id, redirect_uri, code_challenge, sso_provider_id, expires_at FROM cli_login_codes "
            "WHERE code_hash = ?");
    q.Text(code_hash);
    WHARF_ASSIGN_OR_RETURN(auto row, One<CliLoginCodeRow>(q, [](Q& r) -> Result<CliLoginCodeRow> {
      return CliLoginCodeRow{r.Str(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.I64(5)};
    }));
    if (!row) return row;
    Q d(c_, "DELETE FROM cli_login_codes WHERE code_hash = ?");
    d.Text(code_hash);
    WHARF_ASSIGN_OR_RETURN(bool took, Changed(d));
    if (!took || row->expires_at <= now) return std::optional<CliLoginCodeRow>();
    return row;
  }
};

}  // namespace wharf::store::sql
