#include "integrations/webhook_payload.h"

#include <nlohmann/json.hpp>

#include "base/json.h"

namespace wharf::integrations {

using nlohmann::json;

namespace {

// The member `k` of `j` when both exist with the right types; a shared null otherwise.
const json& At(const json& j, const char* k) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(k);
  return it == j.end() ? kNull : *it;
}
const json& First(const json& j) {
  static const json kNull;
  return j.is_array() && !j.empty() ? j.front() : kNull;
}
std::string Str(const json& j, const char* k) {
  const json& v = At(j, k);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace

Result<WebhookPush> ParseWebhookPush(std::string_view scheme, std::string_view raw_body) {
  // A push event lists commits and files: more values than an API body, the same depth cap.
  WHARF_ASSIGN_OR_RETURN(json body, ParseUntrustedJson(raw_body, "body", {.max_values = 200000}));
  if (!body.is_object())
    return FieldError("body", "is not a JSON object: set the webhook's content type to application/json");
  WebhookPush p;
  if (scheme == "bitbucket") {
    const json& n = At(First(At(At(body, "push"), "changes")), "new");
    if (Str(n, "type") == "branch") p.ref = "refs/heads/" + Str(n, "name");
    p.sha = Str(At(n, "target"), "hash");
    p.repository = Str(At(body, "repository"), "full_name");
  } else if (scheme == "azure_devops") {
    std::string et = Str(body, "eventType");
    p.azure_event = et == "git.push" ? "push" : et.substr(0, 60);
    const json& res = At(body, "resource");
    const json& update = First(At(res, "refUpdates"));
    p.ref = Str(update, "name");
    p.sha = Str(update, "newObjectId");
    p.repository = Str(At(res, "repository"), "name");
  } else {
    p.ref = Str(body, "ref");
    p.sha = Str(body, "after");
    const bool gitlab = scheme == "gitlab";
    p.repository = Str(At(body, gitlab ? "project" : "repository"), gitlab ? "path_with_namespace" : "full_name");
  }
  return p;
}

}  // namespace wharf::integrations
