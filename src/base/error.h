// Error and Result: how every Wharf module reports an expected failure.
//
// A function that can fail for a reason the caller should handle returns Result<T>. The Error
// carries a machine code (mapped to an HTTP status in exactly one place, api/errors.cc), a
// `message` that is safe to show a client, a `detail` that only goes to logs, the troubleshooting
// `layer` the failure belongs to, and optional structured `details` for the client.
//
//   Result<Org> FindOrg(std::string_view slug) {
//     if (!ValidSlug(slug)) return Err(ErrorCode::kValidationFailed, "slug is not valid");
//     WHARF_ASSIGN_OR_RETURN(Org org, store.FindOrgBySlug(slug));
//     return org;
//   }
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace wharf {

// ErrorCode is the closed set of failure kinds. Each maps to one HTTP status (see API.md).
enum class ErrorCode {
  kValidationFailed,   // 400: bad input. details.fields maps each field to its problem. Do not retry.
  kUnauthenticated,    // 401: no or invalid credentials. Sign in again.
  kForbidden,          // 403: authenticated, missing a permission (details.permission).
  kLimitReached,       // 403: seat limit or a role's create_limit (details.limit, details.used).
  kStepUpRequired,     // 403: a sensitive action needs a second factor within the last 10 minutes.
  kTwoFactorRequired,  // 403: the org requires a second factor the caller has not enrolled.
  kSsoRequired,        // 403: an SSO-only org's member tried another sign-in method.
  kNotFound,           // 404: absent, in another org, or outside the caller's scope.
  kMethodNotAllowed,   // 405: the path exists but not with this method.
  kConflict,           // 409: duplicate, still in use, built-in role, last Admin, already member.
  kInvitationExpired,  // 410: the invitation's time ran out.
  kInvitationInvalid,  // 410: used, revoked or rotated invitation token.
  kLinkExpired,        // 410: a password-reset or email link whose time ran out. Ask for a new one.
  kLinkInvalid,        // 410: a used, replaced or voided (password changed) account link.
  kPayloadTooLarge,    // 413: request body over the limit.
  kUnsupportedMedia,   // 415: body is not application/json.
  kRateLimited,        // 429: retry after details.retry_after seconds.
  kInternal,           // 500: a bug or an unexpected environment failure. Message carries no detail.
  kUnavailable,        // 503: a dependency (store) is down; retry later.
};

// Layer names the troubleshooting layer a failure belongs to (API.md, "layer").
enum class Layer {
  kNone,
  kPermissions,
  kSsh,
  kNetwork,
  kGitToken,
  kGithubApp,
  kRegistry,
  kBackupStorage,
  kAwsIam,
  kWebhook,
  kEmail,
  kSeatLimit,
};

std::string_view ErrorCodeName(ErrorCode code);  // "validation_failed", ...
std::string_view LayerName(Layer layer);         // "" for kNone, else "permissions", ...

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;   // Safe for the client. Never contains a secret.
  std::string detail;    // For logs only. Never contains a secret either.
  Layer layer = Layer::kNone;
  nlohmann::json details = nlohmann::json::object();  // Structured, client-visible.
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> Err(ErrorCode code, std::string message, Layer layer = Layer::kNone) {
  return tl::unexpected<Error>(Error{code, std::move(message), {}, layer, nlohmann::json::object()});
}
inline tl::unexpected<Error> Err(Error e) { return tl::unexpected<Error>(std::move(e)); }

// A validation error for one field: details.fields = {field: problem}.
tl::unexpected<Error> FieldError(std::string_view field, std::string problem);

// Forbidden with details.permission = "<collection>.<action>".
tl::unexpected<Error> Forbidden(std::string permission, std::string reason = {});

// Internal error; `detail` is logged, the client sees only a generic message + request id.
tl::unexpected<Error> Internal(std::string detail);

inline Status Ok() { return {}; }

}  // namespace wharf

#define WHARF_CONCAT_INNER_(a, b) a##b
#define WHARF_CONCAT_(a, b) WHARF_CONCAT_INNER_(a, b)

// WHARF_TRY(expr): evaluates a Result/Status; returns its error from the enclosing function.
#define WHARF_TRY(expr)                                                      \
  do {                                                                       \
    auto&& wharf_try_result_ = (expr);                                       \
    if (!wharf_try_result_) return ::tl::unexpected(std::move(wharf_try_result_).error()); \
  } while (0)

// WHARF_ASSIGN_OR_RETURN(decl, expr): `decl = *expr` or return its error.
#define WHARF_ASSIGN_OR_RETURN(decl, expr) \
  WHARF_ASSIGN_OR_RETURN_IMPL_(WHARF_CONCAT_(wharf_aor_, __LINE__), decl, expr)
#define WHARF_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr)             \
  auto tmp = (expr);                                              \
  if (!tmp) return ::tl::unexpected(std::move(tmp).error());      \
  decl = std::move(*tmp)

// WHARF_CHECK(cond): a broken invariant (never user input). Logs and aborts.
#define WHARF_CHECK(cond) \
  do { if (!(cond)) ::wharf::CheckFailed(#cond, __FILE__, __LINE__); } while (0)

namespace wharf {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}
