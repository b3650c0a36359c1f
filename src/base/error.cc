#include "base/error.h"

#include <cstdio>
#include <cstdlib>

namespace wharf {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kValidationFailed: return "validation_failed";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kLimitReached: return "limit_reached";
    case ErrorCode::kStepUpRequired: return "step_up_required";
    case ErrorCode::kTwoFactorRequired: return "two_factor_required";
    case ErrorCode::kSsoRequired: return "sso_required";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kInvitationExpired: return "invitation_expired";
    case ErrorCode::kInvitationInvalid: return "invitation_invalid";
    case ErrorCode::kLinkExpired: return "link_expired";
    case ErrorCode::kLinkInvalid: return "link_invalid";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kUnsupportedMedia: return "unsupported_media_type";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kUnavailable: return "unavailable";
  }
  return "internal";
}

std::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kNone: return "";
    case Layer::kPermissions: return "permissions";
    case Layer::kSsh: return "ssh";
    case Layer::kNetwork: return "network";
    case Layer::kGitToken: return "git_token";
    case Layer::kGithubApp: return "github_app";
    case Layer::kRegistry: return "registry";
    case Layer::kBackupStorage: return "backup_storage";
    case Layer::kAwsIam: return "aws_iam";
    case Layer::kWebhook: return "webhook";
    case Layer::kEmail: return "email";
    case Layer::kSeatLimit: return "seat_limit";
  }
  return "";
}

tl::unexpected<Error> FieldError(std::string_view field, std::string problem) {
  Error e{ErrorCode::kValidationFailed, std::string(field) + ": " + problem, {}, Layer::kNone,
          nlohmann::json::object()};
  e.details["fields"][std::string(field)] = std::move(problem);
  return tl::unexpected<Error>(std::move(e));
}

tl::unexpected<Error> Forbidden(std::string permission, std::string reason) {
  std::string msg = "Your role does not grant " + permission + ". Ask an Admin of this organisation to grant it.";
  if (!reason.empty()) msg = reason;
  Error e{ErrorCode::kForbidden, std::move(msg), {}, Layer::kPermissions, nlohmann::json::object()};
  e.details["permission"] = std::move(permission);
  return tl::unexpected<Error>(std::move(e));
}

tl::unexpected<Error> Internal(std::string detail) {
  return tl::unexpected<Error>(
      Error{ErrorCode::kInternal, "internal error", std::move(detail), Layer::kNone, nlohmann::json::object()});
}

void CheckFailed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "WHARF_CHECK failed: %s at %s:%d\n", cond, file, line);
  std::abort();
}

}  // namespace wharf
