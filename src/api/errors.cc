#include <nlohmann/json.hpp>

#include "api/api.h"

namespace wharf::api {

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kValidationFailed: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kLimitReached: return 403;
    case ErrorCode::kStepUpRequired: return 403;
    case ErrorCode::kTwoFactorRequired: return 403;
    case ErrorCode::kSsoRequired: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kInvitationExpired: return 410;
    case ErrorCode::kInvitationInvalid: return 410;
    case ErrorCode::kLinkExpired: return 410;
    case ErrorCode::kLinkInvalid: return 410;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kUnsupportedMedia: return 415;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kUnavailable: return 503;
  }
  return 500;
}

std::string ErrorBody(const Error& e, std::string_view request_id) {
  nlohmann::json err = nlohmann::json::object();
  err["code"] = ErrorCodeName(e.code);
  if (e.code == ErrorCode::kInternal) {
    // The reason shown to the client is kept apart from the reason logged.
    err["message"] = "Internal error. Quote request id " + std::string(request_id) + " when reporting it.";
  } else {
    err["message"] = e.message;
    if (e.layer != Layer::kNone) err["layer"] = LayerName(e.layer);
    if (e.details.is_object() && !e.details.empty()) err["details"] = e.details;
  }
  err["request_id"] = request_id;
  return nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace wharf::api
