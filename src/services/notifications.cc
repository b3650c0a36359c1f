// Notification channels, rules and the delivery log as use cases (the Notifier side, sending and
// retries, is in notification_delivery.cc). Channels ride on the integrations machinery
// (services/integrations.h): sealed fields, the name check, verify bookkeeping.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "services/notifications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace {

tl::unexpected<Error> RuleNotFound() { return Err(ErrorCode::kNotFound, "Notification rule not found in this organisation."); }
tl::unexpected<Error> DeliveryNotFound() {
  return Err(ErrorCode::kNotFound, "Notification delivery not found in this organisation.");
}
tl::unexpected<Error> ChannelNotFound() {
  return Err(ErrorCode::kNotFound, "Notification channel not found in this organisation.");
}

constexpr size_t kMaxAddresses = 20;
constexpr size_t kMaxListItems = 100;

// The host[:port] of an http(s) URL, after checking its shape. https always; http only on an
// instance that allows private targets (tests, an in-cluster receiver).
Result<std::string> UrlHost(std::string_view url, bool allow_http) {
  if (url.size() > 2048) return FieldError("url", "is longer than 2048 characters");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return FieldError("url", "must not contain spaces or control characters");
  std::string_view rest;
  if (StartsWith(url, "https://")) rest = url.substr(8);
  else if (StartsWith(url, "http://") && allow_http) rest = url.substr(7);
  else
    return FieldError("url", allow_http ? "must start with https:// or http://"
                                        : "must start with https:// (plain http is only allowed with --allow-private-targets)");
  const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.find('@') != std::string_view::npos)
    return FieldError("url", "must name a host, without user:password@");
  return std::string(host);
}

Status CheckList(const std::vector<std::string>& v, std::string_view field) {
  if (v.size() > kMaxListItems) return FieldError(field, "has more than 100 entries");
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i].empty() || v[i].size() > 64)
      return FieldError(std::string(field) + "[" + std::to_string(i) + "]", "must be an id of 1 to 64 characters");
  return Ok();
}

std::vector<std::string> Unique(std::vector<std::string> v) {
  std::vector<std::string> out;
  for (auto& s : v)
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  return out;
}

authz::Resource RuleResource(const domain::NotificationRule& r) { return authz::Resource{r.id, r.created_by, {}, {}}; }

}  // namespace

// --- channels ---

Result<Page<domain::Integration>> Notifications::ListChannels(const authz::Principal& p, int limit,
                                                              std::string_view cursor, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto page, integrations_.ListIntegrations(p, kNotificationChannels, limit, cursor, ctx));
  for (auto& c : page.items) c = Current(std::move(c));
  return page;
}

Result<domain::Integration> Notifications::GetChannel(const authz::Principal& p, std::string_view id,
                                                      const RequestContext& ctx) {
  return integrations_.GetIntegration(p, kNotificationChannels, id, ctx).map([this](domain::Integration c) {
    return Current(std::move(c));
  });
}

Result<ChannelCreated> Notifications::CreateChannel(const authz::Principal& p, ChannelInput in,
                                                    const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.type) return FieldError("type", "is required: email, slack, discord or webhook");
  auto kind = notify::ParseChannelKind(*in.type);
  if (!kind) return FieldError("type", "must be email, slack, discord or webhook");
  domain::Integration row;
  WHARF_ASSIGN_OR_RETURN(row.name, domain::ValidateName(*in.name, "name", 100));
  row.fields["type"] = *in.type;
  row.dedupe_key = row.name;
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  ChannelCreated out;
  if (*kind == notify::ChannelKind::kEmail) {
    if (in.url) return FieldError("url", "is not used by email channels: give addresses");
    if (!in.addresses || in.addresses->empty()) return FieldError("addresses", "is required: at least one email address");
    if (in.addresses->size() > kMaxAddresses) return FieldError("addresses", "has more than 20 addresses");
    json a = json::array();
    for (size_t i = 0; i < in.addresses->size(); ++i) {
      WHARF_ASSIGN_OR_RETURN(auto e, domain::NormalizeEmail((*in.addresses)[i], "addresses[" + std::to_string(i) + "]"));
      a.push_back(e);
    }
    row.fields["addresses"] = a.dump();
  } else {
    if (in.addresses) return FieldError("addresses", "is only used by email channels");
    if (!in.url || in.url->size() == 0)
      return FieldError("url", *kind == notify::ChannelKind::kWebhook ? "is required: the receiver's https URL"
                                                                       : "is required: the incoming webhook URL");
    WHARF_ASSIGN_OR_RETURN(auto host, UrlHost(in.url->view(), config_.allow_private_targets));
    WHARF_TRY(integrations_.CheckPrivateTarget(host, "url"));
    if (*kind == notify::ChannelKind::kWebhook) {
      row.fields["url"] = std::string(in.url->view());
      out.signing_secret = notify::NewWebhookSecret();
      secrets.emplace_back("signing_secret", SecretBytes::FromString(out.signing_secret.view()));
    } else {
      secrets.emplace_back("url", std::move(*in.url));
    }
  }
  WHARF_ASSIGN_OR_RETURN(out.channel, integrations_.InsertIntegration(p, kNotificationChannels, std::move(row),
                                                                      std::move(secrets), *in.type + " channel", ctx));
  return out;
}

Result<domain::Integration> Notifications::UpdateChannel(const authz::Principal& p, std::string_view id,
                                                         ChannelInput in, const RequestContext& ctx) {
  std::optional<SecretBytes> url = std::move(in.url);
  in.url.reset();
  auto edit = [&](domain::Integration& row) -> Status {
    const std::string type = row.Field("type");
    if (in.type && *in.type != type)
      return FieldError("type", "cannot change (this is a " + type + " channel): create a new channel instead");
    if (in.name) {
      WHARF_ASSIGN_OR_RETURN(row.name, domain::ValidateName(*in.name, "name", 100));
      row.dedupe_key = row.name;
    }
    if (type == "email") {
      if (url) return FieldError("url", "is not used by email channels: give addresses");
      if (in.addresses) {
        if (in.addresses->empty()) return FieldError("addresses", "must hold at least one email address");
        if (in.addresses->size() > kMaxAddresses) return FieldError("addresses", "has more than 20 addresses");
        json a = json::array();
        for (size_t i = 0; i < in.addresses->size(); ++i) {
          WHARF_ASSIGN_OR_RETURN(auto e, domain::NormalizeEmail((*in.addresses)[i], "addresses[" + std::to_string(i) + "]"));
          a.push_back(e);
        }
        if (a.dump() != row.fields["addresses"]) row.verified = false;
        row.fields["addresses"] = a.dump();
      }
      return Ok();
    }
    if (in.addresses) return FieldError("addresses", "is only used by email channels");
    if (!url) return Ok();
    if (url->size() == 0) return FieldError("url", "is empty: give the new URL, or leave url out to keep it");
    WHARF_ASSIGN_OR_RETURN(auto host, UrlHost(url->view(), config_.allow_private_targets));
    WHARF_TRY(integrations_.CheckPrivateTarget(host, "url"));
    if (row.fields["url"] != url->view()) row.verified = false;
    row.fields["url"] = std::string(url->view());
    return Ok();
  };
  // A Slack or Discord URL is a sealed secret: checked here, then handed to SaveIntegration (which
  // leaves the channel unverified); a webhook's URL is a plain field that `edit` sets.
  if (url && url->size() > 0) {
    WHARF_ASSIGN_OR_RETURN(auto host, UrlHost(url->view(), config_.allow_private_targets));
    WHARF_TRY(integrations_.CheckPrivateTarget(host, "url"));
  }
  std::vector<std::pair<std::string, SecretBytes>> given;
  WHARF_ASSIGN_OR_RETURN(auto existing, integrations_.GetIntegration(p, kNotificationChannels, id, ctx));
  const std::string type = existing.Field("type");
  if (url && url->size() > 0 && (type == "slack" || type == "discord")) {
    given.emplace_back("url", SecretBytes::FromString(url->view()));
    url.reset();
  }
  return integrations_.SaveIntegration(p, kNotificationChannels, id, edit, std::move(given), "", ctx)
      .map([this](domain::Integration c) { return Current(std::move(c)); });
}

Status Notifications::DeleteChannel(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kDelete, nullptr, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, kNotificationChannels.name, id));
    if (!row) return ChannelNotFound();
    authz::Resource r{row->id, row->created_by, {}, {}};
    WHARF_TRY(AuthorizeRow(p, Collection::kNotifications, Action::kDelete, r, ctx, id, ChannelNotFound));
    WHARF_ASSIGN_OR_RETURN(auto rules, tx.notifications().ListRules(p.org_id, 1000));
    for (auto& rule : rules) {
      auto it = std::find(rule.channel_ids.begin(), rule.channel_ids.end(), row->id);
      if (it == rule.channel_ids.end()) continue;
      rule.channel_ids.erase(it);
      rule.updated_at = clock_.Now();
      WHARF_TRY(tx.notifications().UpdateRule(rule));
    }
    WHARF_TRY(tx.notifications().DeleteChannelDeliveries(p.org_id, row->id).map([](int64_t) {}));
    WHARF_TRY(tx.integrations().Delete(p.org_id, kNotificationChannels.name, row->id).map([](bool) {}));
    return AuditIn(tx, p, "notifications.delete-channel", "notifications", row->id, ctx, row->name);
  });
}

Result<CheckOutcome> Notifications::TestChannel(const authz::Principal& p, std::string_view id,
                                                const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto loaded,
                         integrations_.LoadIntegrationSecrets(p, kNotificationChannels, id, Action::kUpdate, ctx));
  auto& [row, secrets] = loaded;
  const std::string type = row.Field("type");
  ChannelKeys keys;
  if (auto it = secrets.find(type == "webhook" ? "signing_secret" : "url"); it != secrets.end())
    keys.secret = std::move(it->second);
  if (auto it = secrets.find(kPreviousSigningSecret);
      type == "webhook" && it != secrets.end() && PreviousSecretExpiresAt(row, clock_.Now()) != 0)
    keys.previous = std::move(it->second);
  notify::Event e;
  e.kind = notify::EventKind::kTest;
  e.org_slug = p.org_slug;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (org) e.org_name = org->name;
    return Ok();
  }));
  e.subject = row.name;
  e.what = "This is a test message from Wharf for the " + type + " channel '" + row.name +
           "', sent by " + p.user_email + ". Once it arrives, the channel is verified and rules may use it.";
  e.fix = "Nothing to do.";
  e.link = Link(p.org_slug, "/notifications");
  e.occurred_at_ms = clock_.Now();
  e.dedup_key = "test:" + row.id + ":" + std::to_string(e.occurred_at_ms);
  const Sent sent = Send(row, keys, e, ids_.New("msg"));
  CheckOutcome out;
  out.ok = sent.ok;
  json check = {{"name", "delivery"}, {"status", sent.ok ? "passed" : "failed"}};
  if (sent.ok) {
    check["message"] = type == "email" ? "The SMTP server accepted the test message for every address."
                                       : "The receiver answered HTTP " + std::to_string(sent.status) + ".";
  } else {
    check["message"] = sent.error;
    if (!sent.layer.empty()) check["layer"] = sent.layer;
    if (!sent.fix.empty()) check["fix"] = sent.fix;
  }
  out.report = {{"ok", sent.ok}, {"checks", json::array({check})}, {"response_code", sent.status},
                {"duration_ms", sent.duration_ms}};
  WHARF_TRY(integrations_.RecordIntegrationVerify(p, kNotificationChannels, row, out, ctx));
  return out;
}

Result<SecretRotated> Notifications::RotateSigningSecret(const authz::Principal& p, std::string_view id,
                                                         std::optional<int64_t> overlap_hours,
                                                         const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kUpdate, nullptr, ctx, id));
  const int64_t hours = overlap_hours.value_or(kDefaultRotationOverlapHours);
  if (hours < 0 || hours > kMaxRotationOverlapHours)
    return FieldError("overlap_hours", "must be 0 to 168 hours (default 24): how long the old secret keeps signing");
  SecretRotated out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, kNotificationChannels.name, id));
    if (!row) return ChannelNotFound();
    authz::Resource r{row->id, row->created_by, {}, {}};
    WHARF_TRY(AuthorizeRow(p, Collection::kNotifications, Action::kUpdate, r, ctx, id, ChannelNotFound));
    const std::string type = row->Field("type");
    if (type != "webhook")
      return FieldError("type", "is " + type + ": only webhook channels have a signing secret to rotate");
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    auto ref = [&](const char* field) {
      return secrets::FieldRef{p.org_id, kNotificationChannels.name, row->id, field};
    };
    const Timestamp now = clock_.Now();
    // The current secret becomes the previous one (replacing any earlier previous secret), sealed
    // under its own field name; with no overlap it is dropped.
    row->sealed.erase(kPreviousSigningSecret);
    row->fields.erase(kPreviousSecretExpiresAt);
    out.previous_expires_at = now + hours * 3'600'000;
    if (auto it = row->sealed.find("signing_secret"); it != row->sealed.end() && hours > 0) {
      WHARF_ASSIGN_OR_RETURN(auto old, envelope_.Open(org->wrapped_data_key, ref("signing_secret"), it->second));
      WHARF_ASSIGN_OR_RETURN(row->sealed[kPreviousSigningSecret],
                             envelope_.Seal(org->wrapped_data_key, ref(kPreviousSigningSecret), old.view()));
      row->fields[kPreviousSecretExpiresAt] = std::to_string(out.previous_expires_at);
    }
    out.signing_secret = notify::NewWebhookSecret();
    WHARF_ASSIGN_OR_RETURN(row->sealed["signing_secret"],
                           envelope_.Seal(org->wrapped_data_key, ref("signing_secret"), out.signing_secret.view()));
    row->fields[kSigningSecretRotatedAt] = std::to_string(now);
    row->updated_at = now;
    WHARF_TRY(tx.integrations().Update(*row));
    out.channel = *row;
    return AuditIn(tx, p, "notifications.rotate-secret", "notifications", row->id, ctx,
                   row->name + " (old secret signs until " + FormatRfc3339(out.previous_expires_at) + ")");
  }));
  return out;
}

// --- rules ---

Status Notifications::ValidateRule(store::Tx& tx, const authz::Principal& p, domain::NotificationRule& r,
                                   const RuleInput& in, const RequestContext& ctx) {
  if (in.events) {
    if (in.events->empty()) return FieldError("events", "must name at least one event, e.g. deployment.failed");
    WHARF_TRY(CheckList(*in.events, "events"));
    for (size_t i = 0; i < in.events->size(); ++i) {
      auto k = notify::ParseEventKind((*in.events)[i]);
      if (!k || *k == notify::EventKind::kTest)
        return FieldError("events[" + std::to_string(i) + "]",
                          "is not an event; see docs/notifications.md for the list (deployment.failed, backup.failed, "
                          "server.unreachable, security.role_changed, ...)");
    }
    r.events = Unique(*in.events);
  }
  if (in.channel_ids) {
    if (in.channel_ids->empty()) return FieldError("channel_ids", "must name at least one channel");
    WHARF_TRY(CheckList(*in.channel_ids, "channel_ids"));
    for (size_t i = 0; i < in.channel_ids->size(); ++i) {
      const std::string field = "channel_ids[" + std::to_string(i) + "]";
      WHARF_ASSIGN_OR_RETURN(auto ch, tx.integrations().Find(p.org_id, kNotificationChannels.name, (*in.channel_ids)[i]));
      if (!ch) return FieldError(field, "is not a notification channel of this organisation");
      if (!ch->verified)
        return FieldError(field, "names the channel '" + ch->name + "', which is not verified: send it a test first");
    }
    r.channel_ids = Unique(*in.channel_ids);
  }
  if (in.application_ids) {
    WHARF_TRY(CheckList(*in.application_ids, "application_ids"));
    for (size_t i = 0; i < in.application_ids->size(); ++i)
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kApplications, (*in.application_ids)[i],
                                   "application_ids[" + std::to_string(i) + "]", ctx));
    r.application_ids = Unique(*in.application_ids);
  }
  if (in.server_ids) {
    WHARF_TRY(CheckList(*in.server_ids, "server_ids"));
    for (size_t i = 0; i < in.server_ids->size(); ++i)
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kServers, (*in.server_ids)[i],
                                   "server_ids[" + std::to_string(i) + "]", ctx));
    r.server_ids = Unique(*in.server_ids);
  }
  if (in.min_severity) {
    if (!notify::ParseSeverity(*in.min_severity)) return FieldError("min_severity", "must be info, warning or critical");
    r.min_severity = *in.min_severity;
  }
  return Ok();
}

Result<std::vector<domain::NotificationRule>> Notifications::ListRules(const authz::Principal& p,
                                                                       const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kRead, nullptr, ctx));
  std::vector<domain::NotificationRule> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(out, tx.notifications().ListRules(p.org_id, 1000));
    return Ok();
  }));
  if (authz::ReadsOwnOnly(p, Collection::kNotifications))
    std::erase_if(out, [&](const auto& r) { return r.created_by != p.user_id; });
  return out;
}

Result<domain::NotificationRule> Notifications::GetRule(const authz::Principal& p, std::string_view id,
                                                        const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kRead, nullptr, ctx, id));
  std::optional<domain::NotificationRule> r;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(r, tx.notifications().FindRule(p.org_id, id));
    return Ok();
  }));
  if (!r) return RuleNotFound();
  WHARF_TRY(AuthorizeRow(p, Collection::kNotifications, Action::kRead, RuleResource(*r), ctx, id, RuleNotFound));
  return *r;
}

Result<domain::NotificationRule> Notifications::CreateRule(const authz::Principal& p, RuleInput in,
                                                           const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kCreate, nullptr, ctx));
  if (!in.events) return FieldError("events", "is required: the events this rule sends, e.g. [\"deployment.failed\"]");
  if (!in.channel_ids) return FieldError("channel_ids", "is required: the verified channels to send to");
  domain::NotificationRule r;
  r.id = ids_.New("nrl");
  r.org_id = p.org_id;
  r.created_at = r.updated_at = clock_.Now();
  r.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(ValidateRule(tx, p, r, in, ctx));
    WHARF_TRY(tx.notifications().InsertRule(r));
    return AuditIn(tx, p, "notifications.create-rule", "notifications", r.id, ctx,
                   std::to_string(r.events.size()) + " event(s) to " + std::to_string(r.channel_ids.size()) +
                       " channel(s)");
  }));
  return r;
}

Result<domain::NotificationRule> Notifications::UpdateRule(const authz::Principal& p, std::string_view id,
                                                           RuleInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kUpdate, nullptr, ctx, id));
  domain::NotificationRule out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto r, tx.notifications().FindRule(p.org_id, id));
    if (!r) return RuleNotFound();
    WHARF_TRY(AuthorizeRow(p, Collection::kNotifications, Action::kUpdate, RuleResource(*r), ctx, id, RuleNotFound));
    WHARF_TRY(ValidateRule(tx, p, *r, in, ctx));
    r->updated_at = clock_.Now();
    WHARF_TRY(tx.notifications().UpdateRule(*r));
    out = *r;
    return AuditIn(tx, p, "notifications.update-rule", "notifications", r->id, ctx);
  }));
  return out;
}

Status Notifications::DeleteRule(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kDelete, nullptr, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto r, tx.notifications().FindRule(p.org_id, id));
    if (!r) return RuleNotFound();
    WHARF_TRY(AuthorizeRow(p, Collection::kNotifications, Action::kDelete, RuleResource(*r), ctx, id, RuleNotFound));
    WHARF_TRY(tx.notifications().DeleteRule(p.org_id, id).map([](bool) {}));
    return AuditIn(tx, p, "notifications.delete-rule", "notifications", r->id, ctx);
  });
}

// --- the delivery log ---

Result<Page<domain::NotificationDelivery>> Notifications::ListDeliveries(const authz::Principal& p,
                                                                         std::string_view channel_id, int limit,
                                                                         std::string_view cursor,
                                                                         const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  Page<domain::NotificationDelivery> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(page.items, tx.notifications().ListDeliveries(p.org_id, channel_id, q.after_created_at,
                                                                         q.after_id, limit));
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().created_at, page.items.back().id);
  }
  return page;
}

Result<domain::NotificationDelivery> Notifications::Redeliver(const authz::Principal& p, std::string_view id,
                                                              const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kNotifications, Action::kUpdate, nullptr, ctx, id));
  domain::NotificationDelivery out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto d, tx.notifications().FindDelivery(p.org_id, id));
    if (!d) return DeliveryNotFound();
    if (d->status == "queued")
      return Err(ErrorCode::kConflict, "This delivery is already queued: wait for its attempt to end.");
    WHARF_ASSIGN_OR_RETURN(auto ch, tx.integrations().Find(p.org_id, kNotificationChannels.name, d->channel_id));
    if (!ch) return Err(ErrorCode::kConflict, "This delivery's channel was deleted.");
    d->status = "queued";
    d->retry_from = d->attempts;
    d->next_attempt_at = 0;
    d->updated_at = clock_.Now();
    WHARF_TRY(tx.notifications().UpdateDelivery(*d));
    WHARF_TRY(EnqueueDelivery(tx, *d));
    out = *d;
    return AuditIn(tx, p, "notifications.redeliver", "notifications", d->id, ctx, d->event + " to " + ch->name);
  }));
  return out;
}

std::string Notifications::Link(const std::string& org_slug, const std::string& path) const {
  return config_.public_url + "/o/" + org_slug + path;
}

Notifications::Notifications(Core& core, Integrations& integrations) : Feature(core), integrations_(integrations) {
  core.notifier = this;
}

}  // namespace wharf::services
