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

}  // namespace wharf::domain
