// Notifications of an org: channels, rules and the delivery log (API.md, "Releases, runtime logs
// and notifications"; docs/notifications.md).
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

json ErrorObject(const std::string& text) { return text.empty() ? json() : json::parse(text, nullptr, false); }

json ChannelJson(const domain::Integration& c) {
  const std::string type = c.Field("type");
  json j = {{"id", c.id},
            {"name", c.name},
            {"type", type},
            {"verified", c.verified},
            {"last_verified_at", TimeOrNull(c.last_verified_at)},
            {"last_error", ErrorObject(c.last_error)},
            {"created_at", Time(c.created_at)},
            {"updated_at", Time(c.updated_at)},
            {"created_by", c.created_by}};
  if (type == "email") {
    json a = json::parse(c.Field("addresses"), nullptr, false);
    j["addresses"] = a.is_array() ? a : json::array();
  } else if (type == "webhook") {
    j["url"] = c.Field("url");
    // Rotation state: when it was last rotated, and while the old secret still signs, until when.
    json secret = {{"set", c.sealed.count("signing_secret") > 0}};
    if (Timestamp at = services::SigningSecretRotatedAt(c)) secret["rotated_at"] = Time(at);
    if (Timestamp until = services::PreviousSecretExpiresAt(c, 0)) secret["previous_expires_at"] = Time(until);
    j["signing_secret"] = secret;
  } else {
    j["url"] = {{"set", c.sealed.count("url") > 0}};  // the Slack/Discord URL is the credential: write-only
  }
  return j;
}

json RuleJson(const domain::NotificationRule& r) {
  return {{"id", r.id},
          {"events", r.events},
          {"channel_ids", r.channel_ids},
          {"application_ids", r.application_ids},
          {"server_ids", r.server_ids},
          {"min_severity", r.min_severity},
          {"created_at", Time(r.created_at)},
          {"updated_at", Time(r.updated_at)},
          {"created_by", r.created_by}};
}

json DeliveryJson(const domain::NotificationDelivery& d) {
  return {{"id", d.id},
          {"channel_id", d.channel_id},
          {"event", d.event},
          {"status", d.status},
          {"attempts", d.attempts},
          {"response_code", d.response_code == 0 ? json() : json(d.response_code)},
          {"duration_ms", d.duration_ms},
          {"last_error", ErrorObject(d.last_error)},
          {"next_attempt_at", TimeOrNull(d.next_attempt_at)},
          {"created_at", Time(d.created_at)},
          {"updated_at", Time(d.updated_at)}};
}

Result<std::optional<std::vector<std::string>>> OptStrings(const Body& b, const char* name, size_t max_len) {
  if (!b.Has(name)) return std::optional<std::vector<std::string>>();
  const json& v = b.Raw(name);
  if (v.is_null()) return std::optional<std::vector<std::string>>(std::vector<std::string>{});
  if (!v.is_array()) return FieldError(name, "must be an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().size() > max_len)
      return FieldError(std::string(name) + "[" + std::to_string(i) + "]",
                        "must be a string of at most " + std::to_string(max_len) + " characters");
    out.push_back(v[i].get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<services::ChannelInput> ParseChannel(const Body& b) {
  services::ChannelInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.type, b.OptString("type"));
  WHARF_ASSIGN_OR_RETURN(in.addresses, OptStrings(b, "addresses", 320));
  WHARF_ASSIGN_OR_RETURN(in.url, b.OptSecret("url"));
  return in;
}

Result<services::RuleInput> ParseRule(const Body& b) {
  services::RuleInput in;
  WHARF_ASSIGN_OR_RETURN(in.events, OptStrings(b, "events", 64));
  WHARF_ASSIGN_OR_RETURN(in.channel_ids, OptStrings(b, "channel_ids", 64));
  WHARF_ASSIGN_OR_RETURN(in.application_ids, OptStrings(b, "application_ids", 64));
  WHARF_ASSIGN_OR_RETURN(in.server_ids, OptStrings(b, "server_ids", 64));
  WHARF_ASSIGN_OR_RETURN(in.min_severity, b.OptString("min_severity"));
  return in;
}

// A list of strings of at most `max_len` characters (OptStrings reads it; null is an empty list).
json StringsSchema(size_t max_len) {
  json s = oas::Array(json{{"type", "string"}, {"maxLength", max_len}});
  s["nullable"] = true;
  return s;
}

// The bodies ParseChannel and ParseRule read; on create the fields the service needs are required.
Fields ChannelFields(bool creating) {
  auto req = [creating](Field f) { return creating ? f.Req() : f; };
  return Fields({req(Str("name", 200).Example("ops")),
                 creating ? Enum("type", {"email", "slack", "discord", "webhook"}).Req()
                          : Enum("type", {"email", "slack", "discord", "webhook"}).Desc("Cannot change"),
                 Any("addresses", StringsSchema(320)).Desc("type email: the recipients").Example(json::array({"ops@example.com"})),
                 Secret("url", 2048).Format("uri").Desc("slack, discord (the incoming-webhook URL, write-only) or webhook")});
}

Fields RuleFields(bool creating) {
  auto req = [creating](Field f) { return creating ? f.Req() : f; };
  return Fields({req(Any("events", StringsSchema(64)).Desc("Event names, such as deployment.failed").Example(json::array({"deployment.failed"}))),
                 req(Any("channel_ids", StringsSchema(64)).Desc("Verified channels of this org").Example(json::array({"nch_1"}))),
                 Any("application_ids", StringsSchema(64)).Desc("Only events of these applications; empty: all"),
                 Any("server_ids", StringsSchema(64)).Desc("Only events of these servers; empty: all"),
                 Enum("min_severity", {"info", "warning", "critical"})});
}

json Schemas(const char* which) {
  const json str = {{"type", "string"}}, str_or_null = {{"type", "string"}, {"nullable", true}};
  const json strs = {{"type", "array"}, {"items", str}};
  const json set = {{"type", "object"}, {"required", {"set"}}, {"properties", {{"set", {{"type", "boolean"}}}}}};
  if (std::string_view(which) == "channel")
    return {{"type", "object"},
            {"required", {"id", "name", "type", "verified", "last_error", "created_at"}},
            {"properties",
             {{"id", str}, {"name", str}, {"type", {{"type", "string"}, {"enum", {"email", "slack", "discord", "webhook"}}}},
              {"verified", {{"type", "boolean"}}}, {"last_verified_at", str_or_null}, {"last_error", json::object()},
              {"addresses", strs}, {"url", json::object()},
              {"signing_secret",
               {{"description", "webhook: the secret itself (whsec_…) in the answer that creates or rotates it, "
                                "else {set, rotated_at?, previous_expires_at?}"},
                {"oneOf", json::array({oas::String(),
                                       oas::Object({{"set", oas::Boolean()}, {"rotated_at", oas::Time()},
                                                    {"previous_expires_at", oas::Time()}},
                                                   {"rotated_at", "previous_expires_at"})})}}},
              {"previous_secret_expires_at",
               {{"type", "string"}, {"format", "date-time"},
                {"description", "rotate-secret's answer: when the old signing secret stops signing"}}},
              {"created_at", str}, {"updated_at", str}, {"created_by", str}}}};
  if (std::string_view(which) == "rule")
    return {{"type", "object"},
            {"required", {"id", "events", "channel_ids", "application_ids", "server_ids", "min_severity"}},
            {"properties",
             {{"id", str}, {"events", strs}, {"channel_ids", strs}, {"application_ids", strs}, {"server_ids", strs},
              {"min_severity", {{"type", "string"}, {"enum", {"info", "warning", "critical"}}}},
              {"created_at", str}, {"updated_at", str}, {"created_by", str}}}};
  return {{"type", "object"},
          {"required", {"id", "channel_id", "event", "status", "attempts", "response_code", "created_at"}},
          {"properties",
           {{"id", str}, {"channel_id", str}, {"event", str},
            {"status", {{"type", "string"}, {"enum", {"queued", "retrying", "succeeded", "failed"}}}},
            {"attempts", {{"type", "integer"}}}, {"response_code", {{"type", "integer"}, {"nullable", true}}},
            {"duration_ms", {{"type", "integer"}}}, {"last_error", json::object()}, {"next_attempt_at", str_or_null},
            {"created_at", str}, {"updated_at", str}}}};
}

}  // namespace

void AddNotificationRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  rt.AddSchema("NotificationChannel", Schemas("channel"));
  rt.AddSchema("NotificationRule", Schemas("rule"));
  rt.AddSchema("NotificationDelivery", Schemas("delivery"));
  // TestChannel's report: the one delivery check, and what the receiver answered.
  rt.AddSchema("NotificationTestReport",
               oas::Object({{"ok", oas::Boolean()}, {"checks", oas::Array(Ref("Check"))},
                            {"response_code", oas::Integer("The receiver's HTTP status; 0 for email or no answer")},
                            {"duration_ms", oas::Integer()}}));
  const Fields channel_fields = ChannelFields(true), channel_update_fields = ChannelFields(false);
  const Fields rule_fields = RuleFields(true), rule_update_fields = RuleFields(false);
  const Fields rotate_fields = {Int("overlap_hours")
                                    .Range(0, services::kMaxRotationOverlapHours)
                                    .Desc("How long the old secret keeps signing beside the new one; 0 drops it now")
                                    .Example(services::kDefaultRotationOverlapHours)};

  // --- channels ---
  rt.Add("GET", "/api/v1/orgs/{org}/notification-channels", A::kOrg, "notifications",
      "List notification channels (notifications.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.notifications().ListChannels(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, ChannelJson));
      }, ListOf("NotificationChannel"));
  rt.Add("POST", "/api/v1/orgs/{org}/notification-channels", A::kOrg, "notifications",
      "Add a channel: {name, type: email, addresses} or {name, type: slack|discord|webhook, url}; a webhook's answer "
      "carries its signing_secret (whsec_…) once. Unverified until a test arrives (notifications.create)",
      {201, 400, 401, 403, 404, 409}, [&s, channel_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, channel_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseChannel(b));
        WHARF_ASSIGN_OR_RETURN(auto created, s.notifications().CreateChannel(c.p(), std::move(in), c.ctx));
        json j = ChannelJson(created.channel);
        if (created.signing_secret.size() > 0) j["signing_secret"] = std::string(created.signing_secret.view());
        return Json(201, j);
      }, Ref("NotificationChannel"))
      .Request(channel_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/notification-channels/{id}", A::kOrg, "notifications",
      "A notification channel (notifications.read)", {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ch, s.notifications().GetChannel(c.p(), c.params[1], c.ctx));
        return Json(200, ChannelJson(ch));
      }, Ref("NotificationChannel"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/notification-channels/{id}", A::kOrg, "notifications",
      "Edit a channel's name, addresses or url; a new destination needs a new test (notifications.update)",
      {200, 400, 401, 403, 404, 409}, [&s, channel_update_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, channel_update_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseChannel(b));
        WHARF_ASSIGN_OR_RETURN(auto ch, s.notifications().UpdateChannel(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, ChannelJson(ch));
      }, Ref("NotificationChannel"))
      .Request(channel_update_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/notification-channels/{id}", A::kOrg, "notifications",
      "Delete a channel, its delivery log and its place in rules (notifications.delete)", {204, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.notifications().DeleteChannel(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/notification-channels/{id}/test", A::kOrg, "notifications",
      "Send a test message now and record verified/last_error (notifications.update)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.notifications().TestChannel(c.p(), c.params[1], c.ctx));
        return Json(200, out.report);
      },
      Ref("NotificationTestReport"));
  rt.Add("POST", "/api/v1/orgs/{org}/notification-channels/{id}/rotate-secret", A::kOrg, "notifications",
      "Give a webhook channel a new signing secret, shown once in signing_secret; the old one keeps signing beside it "
      "(two webhook-signature entries) until previous_secret_expires_at: {overlap_hours?: 0-168, default 24} "
      "(notifications.update)",
      {200, 400, 401, 403, 404}, [&s, rotate_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, rotate_fields));
        WHARF_ASSIGN_OR_RETURN(auto hours, b.OptInt("overlap_hours"));
        WHARF_ASSIGN_OR_RETURN(auto rotated, s.notifications().RotateSigningSecret(c.p(), c.params[1], hours, c.ctx));
        json j = ChannelJson(rotated.channel);
        j["signing_secret"] = std::string(rotated.signing_secret.view());
        j["previous_secret_expires_at"] = Time(rotated.previous_expires_at);
        return Json(200, j);
      }, Ref("NotificationChannel"))
      .Request(rotate_fields);

  // --- rules ---
  rt.Add("GET", "/api/v1/orgs/{org}/notification-rules", A::kOrg, "notifications",
      "List notification rules (notifications.read)", {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto rules, s.notifications().ListRules(c.p(), c.ctx));
        json items = json::array();
        for (auto& r : rules) items.push_back(RuleJson(r));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      }, ListOf("NotificationRule"));
  rt.Add("POST", "/api/v1/orgs/{org}/notification-rules", A::kOrg, "notifications",
      "Route events to verified channels: {events, channel_ids, application_ids?, server_ids?, min_severity?} "
      "(notifications.create)", {201, 400, 401, 403, 404}, [&s, rule_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, rule_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseRule(b));
        WHARF_ASSIGN_OR_RETURN(auto r, s.notifications().CreateRule(c.p(), std::move(in), c.ctx));
        return Json(201, RuleJson(r));
      }, Ref("NotificationRule"))
      .Request(rule_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/notification-rules/{id}", A::kOrg, "notifications",
      "A notification rule (notifications.read)", {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto r, s.notifications().GetRule(c.p(), c.params[1], c.ctx));
        return Json(200, RuleJson(r));
      }, Ref("NotificationRule"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/notification-rules/{id}", A::kOrg, "notifications",
      "Edit a notification rule (notifications.update)", {200, 400, 401, 403, 404},
      [&s, rule_update_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, rule_update_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseRule(b));
        WHARF_ASSIGN_OR_RETURN(auto r, s.notifications().UpdateRule(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, RuleJson(r));
      }, Ref("NotificationRule"))
      .Request(rule_update_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/notification-rules/{id}", A::kOrg, "notifications",
      "Delete a notification rule (notifications.delete)", {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.notifications().DeleteRule(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

  // --- deliveries ---
  rt.Add("GET", "/api/v1/orgs/{org}/notification-deliveries", A::kOrg, "notifications",
      "The delivery log, newest first; ?channel_id= narrows it to one channel (notifications.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.notifications().ListDeliveries(c.p(), c.req.Query("channel_id"), limit,
                                                                           c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, DeliveryJson));
      }, ListOf("NotificationDelivery"));
  rt.Add("POST", "/api/v1/orgs/{org}/notification-deliveries/{id}/redeliver", A::kOrg, "notifications",
      "Send a delivery again with a fresh retry budget and the same message id (notifications.update)",
      {202, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.notifications().Redeliver(c.p(), c.params[1], c.ctx));
        return Json(202, DeliveryJson(d));
      }, Ref("NotificationDelivery"));
}

}  // namespace wharf::api
