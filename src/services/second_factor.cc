// TOTP, recovery codes, the sign-in's second step, step-up, the org policy and the operator's
// reset (second_factor.h). Passkeys are in passkeys.cc.
#include "services/second_factor.h"

#include <algorithm>

#include "base/log.h"
#include "identity/qr.h"
#include "identity/recovery_codes.h"
#include "identity/totp.h"
#include "secrets/crypto.h"
#include "services/notifications.h"
#include "services/second_factor_internal.h"

namespace wharf::services {

namespace {
constexpr std::string_view kLoginChallengePrefix = "whl_";
constexpr int64_t kLoginChallengeMs = 5LL * 60 * 1000;
constexpr int64_t kPolicyCacheMs = 5'000;

tl::unexpected<Error> RateLimited(int64_t seconds) {
  auto e = Err(ErrorCode::kRateLimited, "Too many wrong codes for this account. Try again in " +
                                            std::to_string(seconds) + " seconds.");
  e.value().details["retry_after"] = seconds;
  return e;
}

// Exactly one proof, or a 400 naming the fields.
Status OneProof(const FactorProof& p) {
  const int n = p.totp_code.has_value() + p.recovery_code.has_value() + p.passkey.has_value() + p.password.has_value();
  if (n == 1) return Ok();
  return FieldError("totp_code", n == 0 ? "give one of totp_code, recovery_code or passkey"
                                        : "give only one of totp_code, recovery_code, passkey or password");
}
}  // namespace

std::string TotpKeyScope(std::string_view user_id) { return "user:" + std::string(user_id); }

SecondFactor::SecondFactor(Core& core, Auth& auth)
    : Feature(core),
      auth_(auth),
      failures_(5, 5LL * 60 * 1000, store_.shared_counters(), "second_factor_failures"),
      ceremonies_per_ip_(60, 60'000, store_.shared_counters(), "passkey_ceremonies_ip") {
  auth_.SetLoginGate([this](store::Tx& tx, const domain::User& u, const RequestContext& ctx) {
    return LoginGate(tx, u, ctx);
  });
}

Status SecondFactor::CheckRate(std::string_view user_id) {
  if (auto wait = failures_.Blocked(user_id, clock_.Now())) return RateLimited(*wait);
  return Ok();
}

Result<domain::User> SecondFactor::LoadUser(store::Tx& tx, std::string_view user_id) {
  WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(user_id));
  if (!u) return Err(ErrorCode::kUnauthenticated, "This account no longer exists.");
  return std::move(*u);
}

Result<std::string> SecondFactor::OpenTotpSecret(const store::TotpRow& row) {
  const std::string scope = TotpKeyScope(row.user_id);
  WHARF_ASSIGN_OR_RETURN(SecretBytes s,
                         envelope_.Open(row.wrapped_key, {scope, "users", row.user_id, "totp_secret"}, row.secret_sealed));
  return std::string(s.view());
}

Status SecondFactor::AuditUser(store::Tx& tx, const domain::User& u, const std::string& action,
                               const std::string& detail, const RequestContext& ctx, std::string actor_id,
                               std::string actor_email) {
  authz::Principal p;
  p.user_id = actor_id.empty() ? u.id : actor_id;
  p.user_email = actor_email.empty() ? u.email : actor_email;
  WHARF_ASSIGN_OR_RETURN(auto ms, tx.memberships().ListForUser(u.id));
  for (auto& m : ms) {
    p.org_id = m.org_id;
    WHARF_TRY(AuditIn(tx, p, action, "users", u.id, ctx, detail));
  }
  p.org_id = "";  // the instance's own log, for an account in no org
  return AuditIn(tx, p, action, "users", u.id, ctx, detail);
}

void SecondFactor::Email(const domain::User& u, const std::string& subject, const std::string& body) {
  if (!mailer_.enabled()) return;
  http_client::MailMessage msg;
  msg.to = u.email;
  msg.subject = subject;
  msg.text_body = body + "\r\n\r\nIf this was not you, sign in at " + config_.public_url +
                  "/account and review your security settings, or ask your instance administrator for help.\r\n";
  if (auto sent = mailer_.Send(msg); !sent)
    log::Warn("security_email_failed", {{"user_id", u.id}, {"error", sent.error().message}});
}

Result<std::optional<PendingSecondFactor>> SecondFactor::LoginGate(store::Tx& tx, const domain::User& u,
                                                                   const RequestContext&) {
  auto& sf = tx.second_factors();
  WHARF_ASSIGN_OR_RETURN(bool has, sf.HasSecondFactor(u.id));
  if (!has) return std::optional<PendingSecondFactor>();
  const Timestamp now = clock_.Now();
  PendingSecondFactor pending;
  WHARF_ASSIGN_OR_RETURN(auto totp, sf.FindTotp(u.id));
  WHARF_ASSIGN_OR_RETURN(auto passkeys, sf.ListPasskeys(u.id));
  WHARF_ASSIGN_OR_RETURN(auto codes, sf.ListRecoveryCodes(u.id));
  if (totp && totp->confirmed) pending.methods.push_back("totp");
  if (!passkeys.empty()) pending.methods.push_back("passkey");
  if (!codes.empty()) pending.methods.push_back("recovery");
  pending.challenge = secrets::NewToken(kLoginChallengePrefix);
  store::ChallengeRow row;
  row.id_hash = secrets::TokenHash(pending.challenge.view());
  row.kind = "login";
  row.user_id = u.id;
  row.expires_at = now + kLoginChallengeMs;
  if (!passkeys.empty()) {
    row.webauthn_challenge = NewWebAuthnChallenge();
    pending.passkey_options = RequestOptions(Rp(config_, false), row.webauthn_challenge, passkeys, false);
  }
  WHARF_TRY(sf.PruneChallenges(now));
  WHARF_TRY(sf.InsertChallenge(row));
  return std::optional<PendingSecondFactor>(std::move(pending));
}

Status SecondFactor::VerifyProof(store::Tx& tx, const domain::User& user, const FactorProof& proof,
                                 std::string_view webauthn_challenge, std::string* used) {
  auto& sf = tx.second_factors();
  const Timestamp now = clock_.Now();
  if (proof.totp_code) {
    WHARF_ASSIGN_OR_RETURN(auto row, sf.FindTotp(user.id));
    if (!row || !row->confirmed) return FieldError("totp_code", "TOTP is not enabled on this account");
    WHARF_ASSIGN_OR_RETURN(std::string secret, OpenTotpSecret(*row));
    auto step = identity::VerifyTotp(secret, *proof.totp_code, now / 1000, row->last_step);
    std::fill(secret.begin(), secret.end(), '\0');
    if (!step) {
      if (step.error().code == ErrorCode::kValidationFailed) return FieldError("totp_code", "must be 6 digits");
      return tl::unexpected(step.error());
    }
    WHARF_ASSIGN_OR_RETURN(bool advanced, sf.AdvanceTotpStep(user.id, *step));
    if (!advanced) {
      auto e = Err(ErrorCode::kUnauthenticated, "This code was already used. Wait for the next one.");
      e.value().details["check"] = "totp_replay";
      return e;
    }
    *used = "totp";
    return Ok();
  }
  if (proof.passkey) {
    WHARF_ASSIGN_OR_RETURN(Assertion a, ParseAssertion(*proof.passkey, "passkey"));
    WHARF_ASSIGN_OR_RETURN(auto pk, sf.FindPasskeyByCredential(a.credential_id));
    if (!pk || pk->user_id != user.id || webauthn_challenge.empty()) {
      auto e = Err(ErrorCode::kUnauthenticated, "This passkey is not registered to this account.");
      e.value().details["check"] = "credential";
      return e;
    }
    WHARF_ASSIGN_OR_RETURN(auto out, identity::VerifyAssertion(Rp(config_, false), webauthn_challenge, a.client_data,
                                                               a.authenticator_data, a.signature,
                                                               {pk->public_key, static_cast<uint32_t>(pk->sign_count)}));
    WHARF_ASSIGN_OR_RETURN(bool recorded, sf.RecordPasskeyUse(pk->id, pk->sign_count, out.sign_count, now));
    if (!recorded) return Err(ErrorCode::kUnauthenticated, "This passkey was used by another sign-in at the same moment. Try again.");
    *used = "passkey";
    return Ok();
  }
  return FieldError("totp_code", "give one of totp_code, recovery_code or passkey");
}

namespace {
// Matches a recovery code against the stored hashes outside any transaction (argon2id is slow
// by design); the caller consumes the index inside its own.
Result<int64_t> MatchRecovery(store::Store& store, std::string_view user_id, const SecretBytes& code) {
  std::vector<std::pair<int64_t, std::string>> rows;
  WHARF_TRY(store.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(rows, tx.second_factors().ListRecoveryCodes(user_id));
    return Ok();
  }));
  std::vector<std::string> hashes;
  for (auto& r : rows) hashes.push_back(r.second);
  WHARF_ASSIGN_OR_RETURN(size_t i, identity::MatchRecoveryCode(code.view(), hashes));
  return rows[i].first;
}

Status ConsumeRecovery(store::Tx& tx, std::string_view user_id, int64_t index) {
  WHARF_ASSIGN_OR_RETURN(bool took, tx.second_factors().ConsumeRecoveryCode(user_id, index));
  if (took) return Ok();
  auto e = Err(ErrorCode::kUnauthenticated, "This recovery code was already used.");
  e.value().details["check"] = "recovery_code";
  return e;
}
}  // namespace

Result<SessionGrant> SecondFactor::CompleteLogin(std::string_view challenge, FactorProof proof,
                                                 const RequestContext& ctx) {
  WHARF_TRY(OneProof(proof));
  if (proof.password) return FieldError("password", "the password was already checked; give a second factor");
  const std::string hash = secrets::TokenHash(challenge);
  const auto expired = [] {
    return Err(ErrorCode::kUnauthenticated, "This sign-in expired or was already completed. Sign in with your "
                                            "password again.");
  };
  std::optional<store::ChallengeRow> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.second_factors().FindChallenge(hash, "login", clock_.Now()));
    return Ok();
  }));
  if (!row) return expired();
  WHARF_TRY(CheckRate(row->user_id));
  std::optional<int64_t> recovery_index;
  if (proof.recovery_code) {
    auto m = MatchRecovery(store_, row->user_id, *proof.recovery_code);
    if (!m) {
      if (m.error().code == ErrorCode::kUnauthenticated) failures_.Record(row->user_id, clock_.Now());
      return tl::unexpected(m.error());
    }
    recovery_index = *m;
  }
  SessionGrant grant;
  int64_t codes_left = -1;
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(auto again, sf.FindChallenge(hash, "login", clock_.Now()));
    if (!again) return expired();
    WHARF_ASSIGN_OR_RETURN(domain::User user, LoadUser(tx, row->user_id));
    std::string used;
    if (recovery_index) {
      WHARF_TRY(ConsumeRecovery(tx, user.id, *recovery_index));
      used = "recovery";
      WHARF_ASSIGN_OR_RETURN(auto left, sf.ListRecoveryCodes(user.id));
      codes_left = static_cast<int64_t>(left.size());
      WHARF_TRY(AuditUser(tx, user, "auth.recovery_code_used", std::to_string(codes_left) + " recovery codes left",
                          ctx));
    } else {
      WHARF_TRY(VerifyProof(tx, user, proof, again->webauthn_challenge, &used));
    }
    WHARF_ASSIGN_OR_RETURN(bool took, sf.DeleteChallenge(hash));
    if (!took) return expired();
    WHARF_TRY(auth_.CheckSignIn(tx, user, "password"));  // the policy may have changed since the first step
    WHARF_ASSIGN_OR_RETURN(grant, auth_.NewSession(tx, user, ctx));
    return sf.SetStepUp(grant.session.id, user.id, clock_.Now() + kStepUpMs);
  });
  if (!st) {
    if (st.error().code == ErrorCode::kUnauthenticated) failures_.Record(row->user_id, clock_.Now());
    return tl::unexpected(st.error());
  }
  failures_.Reset(row->user_id);
  auth_.SessionOpened(grant);
  if (codes_left >= 0)
    Email(grant.user, "A recovery code was used to sign in to Wharf",
          "A recovery code was used to sign in to your Wharf account (" + grant.user.email + ") from " + ctx.ip +
              ". " + std::to_string(codes_left) + " unused recovery codes remain.");
  log::Info("login_second_factor", {{"request_id", ctx.request_id}, {"user_id", grant.user.id}});
  return grant;
}

Result<TwoFactorState> SecondFactor::State(const Authenticated& who) {
  TwoFactorState s;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(auto totp, sf.FindTotp(who.user.id));
    s.totp = totp && totp->confirmed;
    WHARF_ASSIGN_OR_RETURN(auto codes, sf.ListRecoveryCodes(who.user.id));
    s.recovery_codes_left = static_cast<int64_t>(codes.size());
    WHARF_ASSIGN_OR_RETURN(auto pks, sf.ListPasskeys(who.user.id));
    for (auto& p : pks) s.passkeys.push_back({p.id, p.name, p.created_at, p.last_used_at});
    if (!who.session_id.empty()) {
      WHARF_ASSIGN_OR_RETURN(s.step_up_until, sf.StepUpUntil(who.session_id));
    }
    return Ok();
  }));
  return s;
}

Result<TotpEnrolment> SecondFactor::BeginTotp(const Authenticated& who, const RequestContext& ctx) {
  if (who.api_token) return Forbidden("totp", "Enrol a second factor from a signed-in session, not with an API token.");
  SecretBytes secret = identity::NewTotpSecret();
  TotpEnrolment out;
  out.secret = SecretBytes::FromString(identity::Base32Encode(secret.view()));
  WHARF_ASSIGN_OR_RETURN(std::string uri, identity::TotpUri("Wharf", who.user.email, secret.view()));
  out.otpauth_uri = SecretBytes::FromString(uri);
  WHARF_ASSIGN_OR_RETURN(out.qr_svg, identity::QrSvg(uri));
  std::fill(uri.begin(), uri.end(), '\0');
  store::TotpRow row;
  row.user_id = who.user.id;
  const std::string scope = TotpKeyScope(who.user.id);
  WHARF_ASSIGN_OR_RETURN(row.wrapped_key, envelope_.NewWrappedDataKey(scope));
  WHARF_ASSIGN_OR_RETURN(row.secret_sealed,
                         envelope_.Seal(row.wrapped_key, {scope, "users", who.user.id, "totp_secret"}, secret.view()));
  row.last_step = identity::kTotpNoStepUsed;
  row.created_at = clock_.Now();
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto existing, tx.second_factors().FindTotp(who.user.id));
    if (existing && existing->confirmed)
      return Err(ErrorCode::kConflict, "TOTP is already active on this account. To move it to another "
                                       "authenticator, turn it off first (DELETE /api/v1/me/totp).");
    return tx.second_factors().PutTotp(row);
  }));
  log::Info("totp_enrolment_started", {{"request_id", ctx.request_id}, {"user_id", who.user.id}});
  return out;
}

Result<std::vector<SecretBytes>> SecondFactor::ConfirmTotp(const Authenticated& who, std::string_view code,
                                                           const RequestContext& ctx) {
  if (who.api_token) return Forbidden("totp", "Enrol a second factor from a signed-in session, not with an API token.");
  WHARF_TRY(CheckRate(who.user.id));
  std::optional<store::TotpRow> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.second_factors().FindTotp(who.user.id));
    return Ok();
  }));
  if (!row) return Err(ErrorCode::kConflict, "Start the enrolment first: POST /api/v1/me/totp.");
  if (row->confirmed) return Err(ErrorCode::kConflict, "TOTP is already active on this account.");
  WHARF_ASSIGN_OR_RETURN(std::string secret, OpenTotpSecret(*row));
  auto step = identity::VerifyTotp(secret, code, clock_.Now() / 1000, row->last_step);
  std::fill(secret.begin(), secret.end(), '\0');
  if (!step) {
    if (step.error().code == ErrorCode::kValidationFailed) return FieldError("code", "must be 6 digits");
    failures_.Record(who.user.id, clock_.Now());
    return tl::unexpected(step.error());
  }
  WHARF_ASSIGN_OR_RETURN(identity::RecoveryCodes codes, identity::GenerateRecoveryCodes());
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(auto again, sf.FindTotp(who.user.id));
    if (!again || again->confirmed || again->secret_sealed != row->secret_sealed)
      return Err(ErrorCode::kConflict, "The enrolment changed meanwhile (another tab?). Start again.");
    WHARF_TRY(sf.ConfirmTotp(who.user.id, *step));
    WHARF_TRY(sf.ReplaceRecoveryCodes(who.user.id, codes.hashes));
    if (!who.session_id.empty()) WHARF_TRY(sf.SetStepUp(who.session_id, who.user.id, clock_.Now() + kStepUpMs));
    return AuditUser(tx, who.user, "auth.totp_enabled", "authenticator app enrolled; 10 recovery codes issued", ctx);
  }));
  failures_.Reset(who.user.id);
  Email(who.user, "Two-factor sign-in was turned on for your Wharf account",
        "An authenticator app was enrolled as a second factor on your Wharf account (" + who.user.email + ") from " +
            ctx.ip + ". Keep your recovery codes somewhere safe.");
  return std::move(codes.codes);
}

Status SecondFactor::DisableTotp(const Authenticated& who, const RequestContext& ctx) {
  WHARF_TRY(RequireStepUp(who, "totp.delete", ctx));
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(auto row, sf.FindTotp(who.user.id));
    if (!row) return Err(ErrorCode::kNotFound, "TOTP is not enabled on this account.");
    WHARF_TRY(sf.DeleteTotp(who.user.id).map([](bool) {}));
    WHARF_ASSIGN_OR_RETURN(bool still, sf.HasSecondFactor(who.user.id));
    if (!still) WHARF_TRY(sf.DeleteRecoveryCodes(who.user.id));  // codes stand in for a factor that is gone
    if (!row->confirmed) return Ok();  // an abandoned enrolment: nothing to report
    if (!still)
      WHARF_TRY(NotifyUserOrgs(tx, who.user.id,
                               TwoFactorDisabledEvent(who.user, "they removed their authenticator app from " + ctx.ip,
                                                      clock_.Now())));
    return AuditUser(tx, who.user, "auth.totp_disabled", still ? "authenticator app removed; passkeys remain"
                                                               : "authenticator app removed; no second factor left", ctx);
  }));
  Email(who.user, "Two-factor sign-in was changed on your Wharf account",
        "The authenticator app was removed from your Wharf account (" + who.user.email + ") from " + ctx.ip + ".");
  return Ok();
}

Result<std::vector<SecretBytes>> SecondFactor::RegenerateRecoveryCodes(const Authenticated& who,
                                                                       const RequestContext& ctx) {
  WHARF_TRY(RequireStepUp(who, "recovery_codes.create", ctx));
  bool has = false;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(has, tx.second_factors().HasSecondFactor(who.user.id));
    return Ok();
  }));
  if (!has) return Err(ErrorCode::kConflict, "Enrol a second factor first (POST /api/v1/me/totp or a passkey): "
                                             "recovery codes stand in for one.");
  WHARF_ASSIGN_OR_RETURN(identity::RecoveryCodes codes, identity::GenerateRecoveryCodes());
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.second_factors().ReplaceRecoveryCodes(who.user.id, codes.hashes));
    return AuditUser(tx, who.user, "auth.recovery_codes_regenerated", "10 new recovery codes; the old ones stopped",
                     ctx);
  }));
  Email(who.user, "New recovery codes for your Wharf account",
        "New recovery codes were generated for your Wharf account (" + who.user.email + ") from " + ctx.ip +
            ". The previous codes no longer work.");
  return std::move(codes.codes);
}

Status SecondFactor::RequireStepUp(const Authenticated& who, std::string_view action, const RequestContext&) {
  if (who.api_token || who.session_id.empty()) return Ok();  // non-interactive; creating one needed step-up
  bool has = false;
  Timestamp until = 0;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(has, tx.second_factors().HasSecondFactor(who.user.id));
    if (has) {
      WHARF_ASSIGN_OR_RETURN(until, tx.second_factors().StepUpUntil(who.session_id));
    }
    return Ok();
  }));
  if (!has || until > clock_.Now()) return Ok();
  auto e = Err(ErrorCode::kStepUpRequired,
               "This action needs your second factor again (the last one was more than 10 minutes ago). Confirm it "
               "with POST /api/v1/auth/step-up, then retry.");
  e.value().details = {{"action", std::string(action)}, {"step_up", "/api/v1/auth/step-up"}};
  return e;
}

Result<Timestamp> SecondFactor::StepUp(const Authenticated& who, FactorProof proof, const RequestContext& ctx) {
  if (who.api_token || who.session_id.empty())
    return Forbidden("step_up", "Step-up is for signed-in sessions; API tokens do not need it.");
  WHARF_TRY(OneProof(proof));
  WHARF_TRY(CheckRate(who.user.id));
  const Timestamp now = clock_.Now();
  bool has = false;
  std::string password_hash;
  std::string webauthn_challenge, challenge_hash;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(has, tx.second_factors().HasSecondFactor(who.user.id));
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(who.user.id));
    if (u) password_hash = u->password_hash;
    if (proof.passkey) {
      WHARF_ASSIGN_OR_RETURN(challenge_hash, ChallengeHashOf(*proof.passkey, "passkey"));
      WHARF_ASSIGN_OR_RETURN(auto row, tx.second_factors().FindChallenge(challenge_hash, "step_up", now));
      if (row && row->user_id == who.user.id) webauthn_challenge = row->webauthn_challenge;
    }
    return Ok();
  }));
  if (proof.password && has)
    return FieldError("password", "is accepted only when no second factor is enrolled; give totp_code, "
                                  "recovery_code or passkey");
  if (!proof.password && !has) return FieldError("password", "is required: no second factor is enrolled");
  if (proof.passkey && webauthn_challenge.empty())
    return Err(ErrorCode::kUnauthenticated, "This passkey ceremony expired. Ask for new options "
                                            "(POST /api/v1/auth/step-up/options) and try again.");
  const auto fail = [&](const Error& e) -> tl::unexpected<Error> {
    if (e.code == ErrorCode::kUnauthenticated) failures_.Record(who.user.id, clock_.Now());
    return tl::unexpected(e);
  };
  if (proof.password && !secrets::VerifyPassword(*proof.password, password_hash))
    return fail(Err(ErrorCode::kUnauthenticated, "The password is wrong.").value());
  std::optional<int64_t> recovery_index;
  if (proof.recovery_code) {
    auto m = MatchRecovery(store_, who.user.id, *proof.recovery_code);
    if (!m) return fail(m.error());
    recovery_index = *m;
  }
  const Timestamp until = clock_.Now() + kStepUpMs;
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    std::string used = "password";
    if (recovery_index) {
      WHARF_TRY(ConsumeRecovery(tx, who.user.id, *recovery_index));
      WHARF_TRY(AuditUser(tx, who.user, "auth.recovery_code_used", "used for step-up", ctx));
    } else if (!proof.password) {
      WHARF_TRY(VerifyProof(tx, who.user, proof, webauthn_challenge, &used));
    }
    if (!challenge_hash.empty()) WHARF_TRY(sf.DeleteChallenge(challenge_hash).map([](bool) {}));
    return sf.SetStepUp(who.session_id, who.user.id, until);
  });
  if (!st) return fail(st.error());
  failures_.Reset(who.user.id);
  return until;
}

Status SecondFactor::CheckOrgPolicy(const Authenticated& who, const authz::Principal& p) {
  if (who.api_token) return Ok();  // tokens keep working; creating one needed step-up
  const Timestamp now = clock_.Now();
  std::optional<bool> on;
  {
    std::lock_guard lock(policy_mu_);
    auto it = policy_cache_.find(p.org_id);
    if (it != policy_cache_.end() && now - it->second.at < kPolicyCacheMs) on = it->second.on;
  }
  bool has = true;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    if (!on) {
      WHARF_ASSIGN_OR_RETURN(bool v, tx.second_factors().RequireTwoFactor(p.org_id));
      on = v;
      std::lock_guard lock(policy_mu_);
      if (policy_cache_.size() > 100'000) policy_cache_.clear();
      policy_cache_[p.org_id] = {v, now};
    }
    if (*on) {
      WHARF_ASSIGN_OR_RETURN(has, tx.second_factors().HasSecondFactor(who.user.id));
    }
    return Ok();
  }));
  if (has) return Ok();
  auto e = Err(ErrorCode::kTwoFactorRequired,
               "This organisation requires two-factor sign-in. Enrol a second factor on your account page "
               "(an authenticator app or a passkey) to continue.");
  e.value().details = {{"org", p.org_slug}, {"enrol", "/api/v1/me/totp"}};
  return e;
}

Result<OrgTwoFactorView> SecondFactor::OrgStatus(const authz::Principal& p, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, domain::Collection::kTeam, domain::Action::kRead, ctx));
  OrgTwoFactorView v;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(v.require_two_factor, tx.second_factors().RequireTwoFactor(p.org_id));
    store::PageQuery page;
    page.limit = 10'000;
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.memberships().ListForOrg(p.org_id, page));
    std::vector<std::string> ids;
    for (auto& r : rows) ids.push_back(r.user.id);
    WHARF_ASSIGN_OR_RETURN(auto with, tx.second_factors().WithSecondFactor(ids));
    for (auto& r : rows)
      v.members.push_back({r.user, std::find(with.begin(), with.end(), r.user.id) != with.end()});
    return Ok();
  }));
  return v;
}

Status SecondFactor::SetRequireTwoFactor(const authz::Principal& p, bool on, const RequestContext& ctx) {
  WHARF_TRY(RequireAdmin(p, "orgs.update", ctx));
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (on && !p.via_api_token) {
      WHARF_ASSIGN_OR_RETURN(bool has, tx.second_factors().HasSecondFactor(p.user_id));
      if (!has)
        return Err(ErrorCode::kConflict, "Enrol a second factor on your own account first: requiring one now "
                                         "would lock you out of this organisation.");
    }
    WHARF_TRY(tx.second_factors().SetRequireTwoFactor(p.org_id, on));
    return AuditIn(tx, p, "orgs.require_two_factor", "orgs", p.org_id, ctx, on ? "turned on" : "turned off");
  }));
  std::lock_guard lock(policy_mu_);
  policy_cache_.erase(p.org_id);
  return Ok();
}

Status SecondFactor::AdminReset(std::string_view email_in, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(std::string email, domain::NormalizeEmail(email_in, "email"));
  domain::User user;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindByEmail(email));
    if (!u) return Err(ErrorCode::kNotFound, "No account has the email " + email + ".");
    user = std::move(*u);
    WHARF_ASSIGN_OR_RETURN(bool had, tx.second_factors().HasSecondFactor(user.id));
    WHARF_TRY(tx.second_factors().DeleteAllForUser(user.id));
    if (had)
      WHARF_TRY(NotifyUserOrgs(tx, user.id,
                               TwoFactorDisabledEvent(user, "the instance operator removed every factor (wharf admin reset-2fa)",
                                                      clock_.Now())));
    return AuditUser(tx, user, "auth.two_factor_reset",
                     "every second factor and recovery code removed by the operator (wharf admin reset-2fa)", ctx,
                     "operator", "operator");
  }));
  Email(user, "Two-factor sign-in was reset on your Wharf account",
        "The instance operator removed every second factor (authenticator app, passkeys, recovery codes) from your "
        "Wharf account (" + user.email + "). Sign in with your password and enrol a new one.");
  log::Warn("two_factor_reset", {{"user_id", user.id}, {"request_id", ctx.request_id}});
  return Ok();
}

}  // namespace wharf::services
