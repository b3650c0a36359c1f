#include "domain/types.h"

namespace wharf::domain {

std::string_view InvitationStatusName(InvitationStatus s) {
  switch (s) {
    case InvitationStatus::kPending: return "pending";
    case InvitationStatus::kAccepted: return "accepted";
    case InvitationStatus::kRevoked: return "revoked";
  }
  return "pending";
}

std::optional<InvitationStatus> ParseInvitationStatus(std::string_view s) {
  if (s == "pending") return InvitationStatus::kPending;
  if (s == "accepted") return InvitationStatus::kAccepted;
  if (s == "revoked") return InvitationStatus::kRevoked;
  return std::nullopt;
}

std::string_view AccountTokenKindName(AccountTokenKind k) {
  switch (k) {
    case AccountTokenKind::kPasswordReset: return "password_reset";
    case AccountTokenKind::kVerifyEmail: return "verify_email";
    case AccountTokenKind::kChangeEmail: return "change_email";
  }
  return "password_reset";
}

std::optional<AccountTokenKind> ParseAccountTokenKind(std::string_view s) {
  if (s == "password_reset") return AccountTokenKind::kPasswordReset;
  if (s == "verify_email") return AccountTokenKind::kVerifyEmail;
  if (s == "change_email") return AccountTokenKind::kChangeEmail;
  return std::nullopt;
}

}  // namespace wharf::domain
