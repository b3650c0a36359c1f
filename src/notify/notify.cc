#include "notify/notify.h"

#include <algorithm>
#include <array>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "secrets/crypto.h"

namespace wharf::notify {
namespace {

const std::vector<EventInfo> kEvents = {
    {EventKind::kDeploymentFailed, "deployment.failed", "Deployment failed", Severity::kCritical},
    {EventKind::kDeploymentSucceeded, "deployment.succeeded", "Deployment succeeded", Severity::kInfo},
    {EventKind::kDeploymentFailedAfterStart, "deployment.failed_after_start", "Deployment failed after start",
     Severity::kCritical},
    {EventKind::kDeploymentCancelled, "deployment.cancelled", "Deployment cancelled", Severity::kWarning},
    {EventKind::kBackupFailed, "backup.failed", "Backup failed", Severity::kCritical},
    {EventKind::kBackupSucceeded, "backup.succeeded", "Backup succeeded", Severity::kInfo},
    {EventKind::kBackupMissed, "backup.missed", "Scheduled backup missed", Severity::kCritical},
    {EventKind::kServerUnreachable, "server.unreachable", "Server unreachable", Severity::kCritical},
    {EventKind::kServerRecovered, "server.recovered", "Server recovered", Severity::kInfo},
    {EventKind::kServerDiskLow, "server.disk_low", "Disk space low", Severity::kWarning},
    {EventKind::kIntegrationVerifyFailed, "integration.verify_failed", "Integration check failed",
     Severity::kWarning},
    {EventKind::kCredentialExpiring, "integration.expiring", "Credential expiring", Severity::kWarning},
    {EventKind::kCertificateExpiring, "certificate.expiring", "TLS certificate expiring", Severity::kWarning},
    {EventKind::kRoleChanged, "security.role_changed", "Role changed", Severity::kWarning},
    {EventKind::kMemberJoined, "security.member_joined", "Member joined", Severity::kInfo},
    {EventKind::kMemberRemoved, "security.member_removed", "Member removed", Severity::kWarning},
    {EventKind::kTwoFactorDisabled, "security.two_factor_disabled", "Two-factor sign-in disabled",
     Severity::kCritical},
    {EventKind::kApiTokenCreated, "security.token_created", "API token created", Severity::kInfo},
    {EventKind::kSignInNewAddress, "security.new_sign_in", "Sign-in from a new address", Severity::kWarning},
    {EventKind::kTest, "test", "Test notification", Severity::kInfo},
};

// Discord embed colours by severity (decimal RGB).
int Colour(Severity s) {
  switch (s) {
    case Severity::kInfo: return 0x2E8B57;
    case Severity::kWarning: return 0xE0A800;
    case Severity::kCritical: return 0xC62828;
  }
  return 0;
}

// Slack mrkdwn: &, < and > are control characters (Slack's "Formatting text" guide); everything
// else is literal. Escaping stops a server or app name from forging a link or a mention.
std::string SlackEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// Cuts to at most `max` bytes on a UTF-8 boundary, marking the cut with "…".
std::string Clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max >= 3 ? max - 3 : 0;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "\xE2\x80\xA6";
}

std::string Iso8601(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string OrgLabel(const Event& e) { return e.org_name.empty() ? e.org_slug : e.org_name; }

std::string Title(const Event& e) {
  std::string t = std::string(Info(e.kind).title);
  if (!e.subject.empty()) t += ": " + e.subject;
  return t;
}

bool DecodeStdBase64(std::string_view in, std::string* out) {
  std::string url(in);
  while (!url.empty() && url.back() == '=') url.pop_back();
  for (char& c : url) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
    else if (c == '-' || c == '_') return false;  // not standard base64
  }
  return Base64UrlDecode(url, out);
}

}  // namespace

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "info";
}
std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kCritical})
    if (SeverityName(s) == name) return s;
  return std::nullopt;
}

const std::vector<EventInfo>& AllEvents() { return kEvents; }
const EventInfo& Info(EventKind kind) {
  for (const EventInfo& i : kEvents)
    if (i.kind == kind) return i;
  return kEvents.back();
}
std::optional<EventKind> ParseEventKind(std::string_view name) {
  for (const EventInfo& i : kEvents)
    if (i.name == name) return i.kind;
  return std::nullopt;
}

std::string DedupKey(const Event& e) {
  if (!e.dedup_key.empty()) return e.dedup_key;
  return std::string(Info(e.kind).name) + ":" + e.org_slug + ":" + e.subject + ":" + std::to_string(e.occurred_at_ms);
}

std::string_view ChannelKindName(ChannelKind k) {
  switch (k) {
    case ChannelKind::kEmail: return "email";
    case ChannelKind::kSlack: return "slack";
    case ChannelKind::kDiscord: return "discord";
    case ChannelKind::kWebhook: return "webhook";
  }
  return "webhook";
}
std::optional<ChannelKind> ParseChannelKind(std::string_view name) {
  for (ChannelKind k : {ChannelKind::kEmail, ChannelKind::kSlack, ChannelKind::kDiscord, ChannelKind::kWebhook})
    if (ChannelKindName(k) == name) return k;
  return std::nullopt;
}

Message Render(const Event& e, ChannelKind kind, std::string_view message_id) {
  const Severity sev = e.EffectiveSeverity();
  const std::string org = OrgLabel(e);
  const std::string title = Title(e);
  Message m;
  m.subject = "[Wharf] " + org + ": " + title;
  switch (kind) {
    case ChannelKind::kEmail: {
      m.content_type = "text/plain; charset=utf-8";
      std::string b;
      b += title + "\n\n";
      b += "Organisation: " + org + " (" + e.org_slug + ")\n";
      if (!e.subject.empty()) b += "Affected:     " + e.subject + "\n";
      b += "Severity:     " + std::string(SeverityName(sev)) + "\n";
      if (!e.layer.empty()) b += "Layer:        " + e.layer + "\n";
      b += "\n" + e.what + "\n";
      if (!e.fix.empty()) b += "\nFix: " + e.fix + "\n";
      if (!e.link.empty()) b += "\nOpen in Wharf: " + e.link + "\n";
      b += "\nYou receive this because a notification rule of " + org +
           " routes this event to this address. An Admin can change the rules under Settings > Notifications.\n";
      m.body = std::move(b);
      return m;
    }
    case ChannelKind::kSlack: {
      // Incoming webhooks take `text` (the fallback shown in notifications) and Block Kit
      // `blocks` (section text ≤ 3000 characters).
      std::string head = "*" + SlackEscape(title) + "*  _" + std::string(SeverityName(sev)) + "_\n" +
                         "Organisation: " + SlackEscape(org);
      std::string detail = SlackEscape(e.what);
      if (!e.layer.empty()) detail += "\nLayer: `" + SlackEscape(e.layer) + "`";
      if (!e.fix.empty()) detail += "\nFix: " + SlackEscape(e.fix);
      nlohmann::json blocks = nlohmann::json::array();
      blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Clip(head, 3000)}}}});
      blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Clip(detail, 3000)}}}});
      if (!e.link.empty())
        blocks.push_back({{"type", "context"},
                          {"elements", {{{"type", "mrkdwn"}, {"text", "<" + SlackEscape(e.link) + "|Open in Wharf>"}}}}});
      nlohmann::json j = {{"text", Clip(SlackEscape(m.subject + " — " + e.what), 3000)}, {"blocks", blocks}};
      m.content_type = "application/json";
      m.body = j.dump();
      return m;
    }
    case ChannelKind::kDiscord: {
      // Execute Webhook: content ≤ 2000, embed title ≤ 256, description ≤ 4096, field value ≤
      // 1024. allowed_mentions.parse = [] so no name can ping @everyone or a role.
      nlohmann::json fields = nlohmann::json::array();
      fields.push_back({{"name", "Organisation"}, {"value", Clip(org, 1024)}, {"inline", true}});
      fields.push_back({{"name", "Severity"}, {"value", std::string(SeverityName(sev))}, {"inline", true}});
      if (!e.layer.empty()) fields.push_back({{"name", "Layer"}, {"value", Clip(e.layer, 1024)}, {"inline", true}});
      if (!e.fix.empty()) fields.push_back({{"name", "Fix"}, {"value", Clip(e.fix, 1024)}, {"inline", false}});
      nlohmann::json embed = {{"title", Clip(title, 256)},
                              {"description", Clip(e.what, 4096)},
                              {"color", Colour(sev)},
                              {"fields", fields}};
      if (!e.link.empty()) embed["url"] = e.link;
      if (e.occurred_at_ms > 0) embed["timestamp"] = Iso8601(e.occurred_at_ms);
      nlohmann::json j = {{"content", Clip(m.subject, 2000)},
                          {"embeds", nlohmann::json::array({embed})},
                          {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
      m.content_type = "application/json";
      m.body = j.dump();
      return m;
    }
    case ChannelKind::kWebhook: {
      // Standard Webhooks' recommended envelope (type, timestamp, data), with data as API.md
      // pins it: org, application?, service?, server?, deployment_id?, message, layer?, fix?, url.
      nlohmann::json data = {{"id", std::string(message_id)},
                             {"org", e.org_slug},
                             {"org_name", org},
                             {"subject", e.subject},
                             {"severity", std::string(SeverityName(sev))},
                             {"title", title},
                             {"message", e.what},
                             {"url", e.link}};
      if (!e.application.empty()) data["application"] = e.application;
      if (!e.service.empty()) data["service"] = e.service;
      if (!e.server.empty()) data["server"] = e.server;
      if (!e.deployment_id.empty()) data["deployment_id"] = e.deployment_id;
      if (!e.layer.empty()) data["layer"] = e.layer;
      if (!e.fix.empty()) data["fix"] = e.fix;
      if (!e.application_id.empty()) data["application_id"] = e.application_id;
      if (!e.server_id.empty()) data["server_id"] = e.server_id;
      nlohmann::json j = {{"type", std::string(Info(e.kind).name)},
                          {"timestamp", Iso8601(e.occurred_at_ms)},
                          {"data", data}};
      m.content_type = "application/json";
      m.body = j.dump();
      return m;
    }
  }
  return m;
}

SecretBytes NewWebhookSecret() {
  std::string raw(32, '\0');
  secrets::RandomBytes(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
  std::string text = "whsec_" + Base64Encode(raw);
  SecretBytes s = SecretBytes::FromString(text);
  std::fill(raw.begin(), raw.end(), '\0');
  std::fill(text.begin(), text.end(), '\0');
  return s;
}

Result<std::string> SignStandardWebhook(const SecretBytes& secret, std::string_view id, int64_t unix_seconds,
                                        std::string_view body) {
  std::string_view s = secret.view();
  std::string key;
  if (StartsWith(s, "whsec_")) {
    if (!DecodeStdBase64(s.substr(6), &key) || key.empty())
      return FieldError("secret", "is not whsec_ followed by base64: create a new signing secret");
  } else {
    key = std::string(s);
  }
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(unix_seconds)).append(".").append(body);
  std::string mac = secrets::HmacSha256Raw(key, content);
  std::fill(key.begin(), key.end(), '\0');
  return "v1," + Base64Encode(mac);
}

bool VerifyStandardWebhook(const SecretBytes& secret, std::string_view id, std::string_view timestamp,
                           std::string_view signature_header, std::string_view body, int64_t now_unix_seconds,
                           int64_t tolerance_s) {
  if (id.empty() || timestamp.empty() || timestamp.size() > 18) return false;
  int64_t ts = 0;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return false;
    ts = ts * 10 + (c - '0');
  }
  if (ts < now_unix_seconds - tolerance_s || ts > now_unix_seconds + tolerance_s) return false;
  auto expected = SignStandardWebhook(secret, id, ts, body);
  if (!expected) return false;
  for (std::string_view part : Split(signature_header, ' ')) {
    if (part.empty()) continue;
    if (part.size() == expected->size() && ConstantTimeEquals(part, *expected)) return true;
  }
  return false;
}

bool ShouldRetry(int http_status) {
  if (http_status == 0) return true;  // transport error or timeout
  if (http_status == 408 || http_status == 429) return true;
  return http_status >= 500 && http_status <= 599;
}

std::optional<int64_t> RetryDelayMs(int attempt, std::optional<int64_t> retry_after_s) {
  static constexpr std::array<int64_t, kMaxAttempts - 1> kDelays = {10'000, 30'000, 120'000, 600'000, 1'800'000};
  if (attempt < 2 || attempt > kMaxAttempts) return std::nullopt;
  int64_t d = kDelays[static_cast<size_t>(attempt - 2)];
  if (retry_after_s && *retry_after_s > 0) d = std::max(d, std::min<int64_t>(*retry_after_s, 3600) * 1000);
  return d;
}

CertificateStage CertificateStageOf(int64_t ms_left, int alert_days) {
  constexpr int64_t kDay = 86'400'000;
  if (ms_left <= 0) return CertificateStage::kExpired;
  if (ms_left <= 3 * kDay) return CertificateStage::kFinal;
  if (ms_left <= static_cast<int64_t>(alert_days) * kDay) return CertificateStage::kAhead;
  return CertificateStage::kNone;
}

std::string_view CertificateStageName(CertificateStage s) {
  switch (s) {
    case CertificateStage::kAhead: return "ahead";
    case CertificateStage::kFinal: return "final";
    case CertificateStage::kExpired: return "expired";
    case CertificateStage::kNone: break;
  }
  return "";
}

FlapDamper::Say FlapDamper::Observe(bool healthy) {
  if (healthy) {
    failures_ = 0;
    if (alerting_) {
      alerting_ = false;
      return Say::kRecovered;
    }
    return Say::kNothing;
  }
  if (failures_ < threshold_) ++failures_;
  if (!alerting_ && failures_ >= threshold_) {
    alerting_ = true;
    return Say::kUnreachable;
  }
  return Say::kNothing;
}

}  // namespace wharf::notify
