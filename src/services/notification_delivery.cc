// The Notifier side of Notifications: routing an event to channels (Emit), the health sweep's
// flap damping, the `notify` delivery job (send, then succeeded / retrying / failed) and the
// retry sweep; a webhook carries two signatures during a secret rotation's overlap. No secret
// reaches a job payload, a delivery row, a log line or an error: the job names the delivery; the
// handler opens the channel's sealed URL or signing secret(s) itself.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include <nlohmann/json.hpp>

#include "base/address.h"
#include "base/log.h"
#include "base/strings.h"
#include "http_client/http.h"
#include "services/notifications.h"

namespace wharf::services {

using nlohmann::json;

namespace {
constexpr const char* kNotifyKind = "notify";

std::string Str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

int Rank(notify::Severity s) { return static_cast<int>(s); }
}  // namespace

json EventToJson(const notify::Event& e) {
  json j = {{"kind", std::string(notify::Info(e.kind).name)},
            {"org_slug", e.org_slug},
            {"org_name", e.org_name},
            {"subject", e.subject},
            {"application_id", e.application_id},
            {"server_id", e.server_id},
            {"application", e.application},
            {"service", e.service},
            {"server", e.server},
            {"deployment_id", e.deployment_id},
            {"what", e.what},
            {"layer", e.layer},
            {"fix", e.fix},
            {"link", e.link},
            {"occurred_at_ms", e.occurred_at_ms}};
  if (e.severity) j["severity"] = std::string(notify::SeverityName(*e.severity));
  return j;
}

notify::Event EventFromJson(const json& j) {
  notify::Event e;
  e.kind = notify::ParseEventKind(Str(j, "kind")).value_or(notify::EventKind::kTest);
  if (auto s = notify::ParseSeverity(Str(j, "severity"))) e.severity = s;
  e.org_slug = Str(j, "org_slug");
  e.org_name = Str(j, "org_name");
  e.subject = Str(j, "subject");
  e.application_id = Str(j, "application_id");
  e.server_id = Str(j, "server_id");
  e.application = Str(j, "application");
  e.service = Str(j, "service");
  e.server = Str(j, "server");
  e.deployment_id = Str(j, "deployment_id");
  e.what = Str(j, "what");
  e.layer = Str(j, "layer");
  e.fix = Str(j, "fix");
  e.link = Str(j, "link");
  e.occurred_at_ms = j.value("occurred_at_ms", int64_t{0});
  return e;
}

Status Notifications::EnqueueDelivery(store::Tx& tx, const domain::NotificationDelivery& d) {
  // One channel's deliveries run one at a time (the queue serializes a target), in order.
  return Enqueue(tx, kNotifyKind, d.org_id, "notify:" + d.channel_id, json{{"delivery_id", d.id}}, "system")
      .map([](auto&&) {});
}

Status Notifications::Emit(store::Tx& tx, std::string_view org_id, notify::Event e) {
  if (e.kind == notify::EventKind::kTest) return Ok();
  WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(org_id));
  if (!org) return Ok();
  e.org_slug = org->slug;
  e.org_name = org->name;
  if (e.occurred_at_ms == 0) e.occurred_at_ms = clock_.Now();
  if (StartsWith(e.link, "/")) e.link = Link(org->slug, e.link);
  const std::string name(notify::Info(e.kind).name);
  const int sev = Rank(e.EffectiveSeverity());
  WHARF_ASSIGN_OR_RETURN(auto rules, tx.notifications().ListRules(org_id, 1000));
  std::vector<std::string> chosen;  // channel ids, first-matched order, each once
  for (const auto& r : rules) {
    if (std::find(r.events.begin(), r.events.end(), name) == r.events.end()) continue;
    if (sev < Rank(notify::ParseSeverity(r.min_severity).value_or(notify::Severity::kInfo))) continue;
    auto has = [](const std::vector<std::string>& v, const std::string& x) {
      return !x.empty() && std::find(v.begin(), v.end(), x) != v.end();
    };
    if (!r.application_ids.empty() && !has(r.application_ids, e.application_id)) continue;
    if (!r.server_ids.empty() && !has(r.server_ids, e.server_id)) continue;
    for (const auto& c : r.channel_ids)
      if (std::find(chosen.begin(), chosen.end(), c) == chosen.end()) chosen.push_back(c);
  }
  if (chosen.empty()) return Ok();
  const std::string dedup = notify::DedupKey(e);
  const std::string event_json = EventToJson(e).dump();
  for (const auto& cid : chosen) {
    WHARF_ASSIGN_OR_RETURN(auto ch, tx.integrations().Find(org_id, kNotificationChannels.name, cid));
    if (!ch || !ch->verified) continue;  // unverified channels receive nothing until a test passes
    domain::NotificationDelivery d;
    d.id = ids_.New("msg");
    d.org_id = std::string(org_id);
    d.channel_id = cid;
    d.event = name;
    d.dedup_key = dedup;
    d.event_json = event_json;
    d.created_at = d.updated_at = clock_.Now();
    WHARF_ASSIGN_OR_RETURN(bool inserted, tx.notifications().InsertDeliveryIfNew(d));
    if (inserted) WHARF_TRY(EnqueueDelivery(tx, d));
  }
  return Ok();
}

Status Notifications::ObserveServerHealth(store::Tx& tx, const domain::Server& s, bool reachable, std::string_view error,
                                          int64_t disk_free_mb) {
  WHARF_ASSIGN_OR_RETURN(auto st, tx.notifications().GetServerAlertState(s.org_id, s.id));
  notify::FlapDamper damper(config_.health_failures_before_alert);
  damper.Restore(static_cast<int>(st.failures), st.alerting);
  const auto say = damper.Observe(reachable);
  store::ServerAlertState next{damper.failures(), damper.alerting(), st.disk_low};
  // Disk: one alert when free space drops below the threshold; re-armed only once a check finds
  // enough space again. An unmeasured disk (-1: the check did not get that far) changes nothing.
  bool disk_alert = false;
  if (disk_free_mb >= 0) {
    const bool low = disk_free_mb < config_.disk_low_alert_mb;
    disk_alert = low && !st.disk_low;
    next.disk_low = low;
  }
  if (next.failures != st.failures || next.alerting != st.alerting || next.disk_low != st.disk_low)
    WHARF_TRY(tx.notifications().SaveServerAlertState(s.org_id, s.id, next));
  auto base = [&] {
    notify::Event e;
    e.subject = s.name;
    e.server = s.name;
    e.server_id = s.id;
    e.link = "/servers/" + s.id;
    e.occurred_at_ms = clock_.Now();
    return e;
  };
  if (disk_alert) {
    notify::Event e = base();
    e.kind = notify::EventKind::kServerDiskLow;
    e.what = "The server " + s.name + " (" + s.host + ") has " + std::to_string(disk_free_mb) +
             " MiB free on /, below the " + std::to_string(config_.disk_low_alert_mb) +
             " MiB alert threshold: deploys and backups fail when the disk is full.";
    e.layer = "ssh";
    e.fix = "Free space on the server (docker system prune -af; old backups and logs) or grow its disk.";
    e.dedup_key = "server:" + s.id + ":disk_low:" + std::to_string(e.occurred_at_ms);
    WHARF_TRY(Emit(tx, s.org_id, std::move(e)));
  }
  if (say == notify::FlapDamper::Say::kNothing) return Ok();
  notify::Event e = base();
  if (say == notify::FlapDamper::Say::kUnreachable) {
    e.kind = notify::EventKind::kServerUnreachable;
    e.what = "The server " + s.name + " (" + s.host + ") failed " + std::to_string(next.failures) +
             " health checks in a row" + (error.empty() ? "." : ": " + std::string(error));
    e.layer = "ssh";
    e.fix = "Open the server's page and run the check: it names the failing step (network, SSH key, sudo, disk).";
    e.dedup_key = "server:" + s.id + ":unreachable:" + std::to_string(e.occurred_at_ms);
  } else {
    e.kind = notify::EventKind::kServerRecovered;
    e.what = "The server " + s.name + " (" + s.host + ") answers its health checks again.";
    e.fix = "Nothing to do.";
    e.dedup_key = "server:" + s.id + ":recovered:" + std::to_string(e.occurred_at_ms);
  }
  return Emit(tx, s.org_id, std::move(e));
}

namespace {
Timestamp MsField(const domain::Integration& c, const char* field) {
  const std::string v = c.Field(field);
  Timestamp t = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
  return ec == std::errc() && end == v.data() + v.size() ? t : 0;
}
}  // namespace

Timestamp SigningSecretRotatedAt(const domain::Integration& c) { return MsField(c, kSigningSecretRotatedAt); }

Timestamp PreviousSecretExpiresAt(const domain::Integration& c, Timestamp now) {
  if (!c.sealed.count(kPreviousSigningSecret)) return 0;
  const Timestamp at = MsField(c, kPreviousSecretExpiresAt);
  return at > now ? at : 0;
}

domain::Integration Notifications::Current(domain::Integration c) const {
  if (PreviousSecretExpiresAt(c, clock_.Now()) == 0) {
    c.sealed.erase(kPreviousSigningSecret);
    c.fields.erase(kPreviousSecretExpiresAt);
  }
  return c;
}

Result<Notifications::ChannelKeys> Notifications::OpenChannelKeys(store::Tx& tx, const domain::Integration& channel) {
  const bool webhook = channel.Field("type") == "webhook";
  const std::string field = webhook ? "signing_secret" : "url";
  ChannelKeys keys;
  auto it = channel.sealed.find(field);
  if (it == channel.sealed.end()) return keys;
  WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(channel.org_id));
  if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
  WHARF_ASSIGN_OR_RETURN(keys.secret, envelope_.Open(org->wrapped_data_key,
                                                     {channel.org_id, kNotificationChannels.name, channel.id, field},
                                                     it->second));
  if (webhook && PreviousSecretExpiresAt(channel, clock_.Now()) != 0) {
    const secrets::FieldRef ref{channel.org_id, kNotificationChannels.name, channel.id, kPreviousSigningSecret};
    WHARF_ASSIGN_OR_RETURN(keys.previous,
                           envelope_.Open(org->wrapped_data_key, ref, channel.sealed.at(kPreviousSigningSecret)));
  }
  return keys;
}

Notifications::Sent Notifications::Send(const domain::Integration& channel, const ChannelKeys& keys,
                                        const notify::Event& e, const std::string& message_id) {
  const SecretBytes& secret = keys.secret;
  Sent out;
  const auto started = std::chrono::steady_clock::now();
  auto done = [&] {
    out.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    return out;
  };
  const std::string type = channel.Field("type");
  const auto kind = notify::ParseChannelKind(type).value_or(notify::ChannelKind::kWebhook);
  const notify::Message m = notify::Render(e, kind, message_id);
  if (kind == notify::ChannelKind::kEmail) {
    out.layer = "email";
    if (!mailer_.enabled()) {
      out.error = "Email is disabled on this Wharf instance: no SMTP server is configured.";
      out.fix = "Ask the operator to start wharf with --smtp-url (and --smtp-from), then send a test.";
      return done();
    }
    json addrs = json::parse(channel.Field("addresses"), nullptr, false);
    if (!addrs.is_array() || addrs.empty()) {
      out.error = "The channel has no email address.";
      out.fix = "Edit the channel and add an address.";
      return done();
    }
    for (const auto& a : addrs) {
      auto st = mailer_.Send({a.get<std::string>(), m.subject, m.body});
      if (!st) {
        out.error = st.error().message;
        out.fix = "Check the instance's SMTP server (wharf serve --smtp-url) and the address, then send a test.";
        out.retryable = true;
        return done();
      }
    }
    out.ok = true;
    return done();
  }
  http_client::HttpCall call;
  call.method = "POST";
  call.url = kind == notify::ChannelKind::kWebhook ? channel.Field("url") : std::string(secret.view());
  call.body = m.body;
  call.headers.emplace_back("Content-Type", "application/json");
  call.timeout_ms = config_.notify_timeout_ms;
  call.connect_timeout_ms = std::min(config_.notify_timeout_ms, 10'000);
  call.user_agent = "Wharf-Notifications/1";
  call.max_body_bytes = 64 << 10;
  call.layer = Layer::kWebhook;
  if (!config_.allow_private_targets) call.address_allowed = PublicOnly();
  if (kind == notify::ChannelKind::kWebhook) {
    const int64_t ts = clock_.Now() / 1000;
    auto sig = notify::SignStandardWebhook(secret, message_id, ts, m.body);
    // During a rotation's overlap the old secret signs too (Standard Webhooks: space-separated
    // entries, the receiver accepts any one), new first.
    if (sig && keys.previous.size() > 0) {
      auto old_sig = notify::SignStandardWebhook(keys.previous, message_id, ts, m.body);
      if (old_sig) *sig += " " + *old_sig;
    }
    if (!sig) {
      out.error = "The channel's signing secret is unusable.";
      out.layer = "webhook";
      out.fix = "Rotate the channel's signing secret (wharf notify channel rotate-secret) and give the receiver "
                "the new one.";
      return done();
    }
    call.headers.emplace_back("webhook-id", message_id);
    call.headers.emplace_back("webhook-timestamp", std::to_string(ts));
    call.headers.emplace_back("webhook-signature", *sig);
  }
  auto r = http_client::Fetch(call);
  if (!r) {
    out.error = r.error().message;
    out.layer = std::string(LayerName(r.error().layer));
    out.retryable = r.error().code != ErrorCode::kValidationFailed;
    out.fix = out.retryable ? "Check that the receiver is up and reachable from Wharf; Wharf retries with backoff."
                            : "Point the channel at a public address, or start wharf with --allow-private-targets.";
    return done();
  }
  out.status = r->status;
  if (r->status >= 200 && r->status < 300) {
    out.ok = true;
    return done();
  }
  out.layer = "webhook";
  out.retryable = notify::ShouldRetry(r->status);
  const std::string ra = r->Header("retry-after");
  if (!ra.empty() && ra.size() < 8 && std::all_of(ra.begin(), ra.end(), [](char c) { return c >= '0' && c <= '9'; }))
    out.retry_after_s = std::stoll(ra);
  const std::string who = type == "slack" ? "Slack" : type == "discord" ? "Discord" : "The receiver";
  out.error = who + " answered HTTP " + std::to_string(r->status) + " to the " + type + " channel '" + channel.name + "'.";
  if (r->status == 404 || r->status == 410)
    out.fix = "The webhook URL no longer exists: create a new one, edit the channel's url and send a test.";
  else if (r->status == 401 || r->status == 403)
    out.fix = type == "webhook" ? "The receiver refused the request: check that it verifies with this channel's signing secret."
                                : "The webhook URL was revoked or is wrong: edit the channel's url and send a test.";
  else if (out.retryable)
    out.fix = "The receiver failed or was busy; Wharf retries with backoff. Check the receiver's logs if it persists.";
  else
    out.fix = "The receiver refused the message: check the channel's url, then send a test.";
  return done();
}

Status Notifications::RunDelivery(JobContext& jc) {
  const auto& job = jc.job();
  json payload = json::parse(job.payload, nullptr, false);
  const std::string id = payload.is_object() ? Str(payload, "delivery_id") : "";
  std::optional<domain::NotificationDelivery> d;
  std::optional<domain::Integration> channel;
  ChannelKeys keys;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(d, tx.notifications().FindDelivery(job.org_id, id));
    if (!d) return Ok();
    WHARF_ASSIGN_OR_RETURN(channel, tx.integrations().Find(job.org_id, kNotificationChannels.name, d->channel_id));
    if (channel) {
      WHARF_ASSIGN_OR_RETURN(keys, OpenChannelKeys(tx, *channel));
    }
    return Ok();
  }));
  if (!d || (d->status != "queued" && d->status != "retrying")) {
    jc.AppendOwnLog("[wharf] Nothing to send: the delivery is gone or already ended.\n");
    return Ok();
  }
  if (!channel) return jobs::JobFailed("The delivery's channel was deleted.");
  json ev = json::parse(d->event_json, nullptr, false);
  const notify::Event e = EventFromJson(ev.is_object() ? ev : json::object());
  const Sent sent = Send(*channel, keys, e, d->id);
  d->attempts += 1;
  d->response_code = sent.status;
  d->duration_ms = sent.duration_ms;
  d->updated_at = clock_.Now();
  d->next_attempt_at = 0;
  std::string outcome;
  if (sent.ok) {
    d->status = "succeeded";
    d->last_error.clear();
    outcome = "delivered";
  } else {
    d->last_error = json{{"message", sent.error}, {"layer", sent.layer}, {"fix", sent.fix}}.dump();
    std::optional<int64_t> wait;
    if (sent.retryable) wait = notify::RetryDelayMs(static_cast<int>(d->attempts - d->retry_from) + 1, sent.retry_after_s);
    if (wait) {
      const int64_t scaled = std::max<int64_t>(1, *wait * config_.notify_retry_base_ms / 10'000);
      d->status = "retrying";
      d->next_attempt_at = clock_.Now() + scaled;
      outcome = "failed, retrying in " + std::to_string(scaled / 1000) + " s";
    } else {
      d->status = "failed";
      outcome = sent.retryable ? "failed, no attempts left" : "failed, not retried";
    }
  }
  WHARF_TRY(store_.Write([&](store::Tx& tx) { return tx.notifications().UpdateDelivery(*d); }));
  jc.AppendOwnLog("[wharf] Attempt " + std::to_string(d->attempts) + " of " + d->event + " to the " +
                  channel->Field("type") + " channel '" + channel->name + "': " +
                  (sent.status ? "HTTP " + std::to_string(sent.status) + ", " : "") + outcome + "\n");
  if (sent.ok) return Ok();
  return jobs::JobFailed(sent.error);
}

int Notifications::RunDueRetries() {
  if (!store_.IsScheduler()) return 0;
  int n = 0;
  auto st = store_.Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto due, tx.notifications().ListDueRetries(clock_.Now(), 100));
    for (auto& d : due) {
      d.status = "queued";
      d.updated_at = clock_.Now();
      WHARF_TRY(tx.notifications().UpdateDelivery(d));
      WHARF_TRY(EnqueueDelivery(tx, d));
      ++n;
    }
    return Ok();
  });
  if (!st) log::Warn("notification_retry_sweep_failed", {{"error", st.error().message}});
  if (n > 0) WakeJobWorkers();
  return n;
}

void Notifications::RegisterNotificationJobs() {
  RegisterJobHandler(kNotifyKind, [this](JobContext& jc) { return RunDelivery(jc); });
}

}  // namespace wharf::services
