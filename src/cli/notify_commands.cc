// wharf notify channel list|add|test|rotate-secret|remove, wharf notify rule list|add|remove, wharf notify log
// and wharf notify redeliver (docs/notifications.md). A Slack or Discord URL is a credential: it is
// read from stdin (--url-stdin) or a prompt, never from argv.
#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Join(const json& a) {
  std::string out;
  if (!a.is_array()) return out;
  for (const auto& v : a) out += (out.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

Table ChannelTable(const std::vector<json>& rows) {
  Table t{{"NAME", "TYPE", "VERIFIED", "DESTINATION", "LAST ERROR", "ID"}, {}};
  for (const json& c : rows) {
    std::string dest = c.value("type", "") == "email" ? Join(c.value("addresses", json::array()))
                       : c.contains("url") && c["url"].is_string() ? c["url"].get<std::string>()
                                                                   : "(write-only URL)";
    std::string err = c.contains("last_error") && c["last_error"].is_object() ? c["last_error"].value("message", "") : "";
    t.rows.push_back({c.value("name", ""), c.value("type", ""), c.value("verified", false) ? "yes" : "no", dest, err,
                      c.value("id", "")});
  }
  return t;
}

Table RuleTable(const std::vector<json>& rows) {
  Table t{{"ID", "EVENTS", "CHANNELS", "APPLICATIONS", "SERVERS", "MIN SEVERITY"}, {}};
  for (const json& r : rows)
    t.rows.push_back({r.value("id", ""), Join(r["events"]), Join(r["channel_ids"]), Join(r["application_ids"]),
                      Join(r["server_ids"]), r.value("min_severity", "")});
  return t;
}

Table DeliveryTable(const std::vector<json>& rows) {
  Table t{{"CREATED", "EVENT", "CHANNEL", "STATUS", "ATTEMPTS", "CODE", "ID"}, {}};
  for (const json& d : rows)
    t.rows.push_back({d.value("created_at", ""), d.value("event", ""), d.value("channel_id", ""), d.value("status", ""),
                      std::to_string(d.value("attempts", 0)), Cell(d.value("response_code", json())), d.value("id", "")});
  return t;
}

Result<json> FindChannel(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/notification-channels"));
  return FindRow(rows, ref, "/id", "/name", "notification channel", "wharf notify channel list");
}

struct ChannelFlags {
  std::string name, type, url;
  std::vector<std::string> addresses;
  bool url_stdin = false;
};

Status ChannelAdd(Env& env, ChannelFlags& f) {
  json body = {{"name", f.name}, {"type", f.type}};
  SecretBytes secret_url;
  if (f.type == "email") {
    if (f.addresses.empty()) return UsageError("An email channel needs --address (repeat it for several).");
    if (!f.url.empty() || f.url_stdin) return UsageError("An email channel takes --address, not a URL.");
    body["addresses"] = f.addresses;
  } else {
    if (!f.addresses.empty()) return UsageError("--address is only for --type email.");
    if (f.type == "webhook" && !f.url.empty()) {
      body["url"] = f.url;
    } else {
      if (!f.url.empty())
        return UsageError("A " + f.type + " webhook URL is a credential and is never taken from the command line: "
                          "leave --url out to be asked for it, or pipe it in with --url-stdin.");
      if (f.url_stdin) {
        WHARF_ASSIGN_OR_RETURN(secret_url, ReadSecretLine(stdin));
      } else {
        WHARF_ASSIGN_OR_RETURN(secret_url, PromptPassword("Incoming webhook URL: "));
      }
      if (secret_url.empty()) return UsageError("The URL is empty.");
      body["url"] = std::string(secret_url.view());
    }
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/notification-channels"));
  auto r = api->Post(path, body);
  if (body.contains("url") && f.type != "webhook") {
    std::string& u = body["url"].get_ref<std::string&>();
    std::fill(u.begin(), u.end(), '\0');
  }
  if (!r) return Err(r.error());
  std::string msg = "Added " + r->value("type", "") + " channel " + r->value("name", "") + " (" + r->value("id", "") +
                    "); verify it with `wharf notify channel test " + r->value("name", "") + "`.";
  if (r->contains("signing_secret"))
    msg += "\nSigning secret (shown once; your receiver verifies webhook-signature with it):\n" +
           (*r)["signing_secret"].get<std::string>();
  env.Done(*r, msg);
  return Ok();
}

Status ChannelTest(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json c, FindChannel(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path,
                         env.OrgPath("/notification-channels/" + EncodeComponent(c["id"].get<std::string>()) + "/test"));
  WHARF_ASSIGN_OR_RETURN(json report, api->Post(path, json::object()));
  const bool ok = report.value("ok", false);
  std::string msg = ok ? "Test delivered: channel " + c.value("name", "") + " is verified." : "Test failed.";
  if (!ok && report.contains("checks") && !report["checks"].empty()) {
    const json& k = report["checks"][0];
    msg += " " + k.value("message", "") + (k.contains("fix") ? "\nFIX: " + k.value("fix", "") : "");
  }
  env.Done(report, msg);
  if (ok) return Ok();
  return Err(ErrorCode::kUnavailable, "The test message to " + c.value("name", "") + " was not delivered.");
}

// overlap_hours < 0: the server's default (24).
Status ChannelRotateSecret(Env& env, const std::string& ref, int overlap_hours) {
  WHARF_ASSIGN_OR_RETURN(json c, FindChannel(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/notification-channels/" +
                                                       EncodeComponent(c["id"].get<std::string>()) + "/rotate-secret"));
  json body = json::object();
  if (overlap_hours >= 0) body["overlap_hours"] = overlap_hours;
  WHARF_ASSIGN_OR_RETURN(json r, api->Post(path, body));
  const bool overlap = overlap_hours != 0;
  std::string msg = "Rotated the signing secret of channel " + r.value("name", "") + ".\n" +
                    "New signing secret (shown once; give it to your receiver):\n" + r.value("signing_secret", "") +
                    "\n" +
                    (overlap ? "The old secret keeps signing beside it until " + r.value("previous_secret_expires_at", "") +
                                   " (webhook-signature carries both); after that only the new one."
                             : "The old secret no longer signs: receivers that only know it now fail verification.");
  env.Done(r, msg);
  return Ok();
}

Status ChannelRemove(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json c, FindChannel(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path,
                         env.OrgPath("/notification-channels/" + EncodeComponent(c["id"].get<std::string>())));
  WHARF_TRY(api->Delete(path));
  env.Done(json{{"deleted", c["id"]}}, "Removed channel " + c.value("name", "") + ".");
  return Ok();
}

struct RuleFlags {
  std::vector<std::string> events, channels, applications, servers;
  std::string min_severity;
};

Status RuleAdd(Env& env, const RuleFlags& f) {
  json ids = json::array();
  for (const auto& ref : f.channels) {
    WHARF_ASSIGN_OR_RETURN(json c, FindChannel(env, ref));
    ids.push_back(c["id"]);
  }
  json body = {{"events", f.events}, {"channel_ids", ids}};
  if (!f.applications.empty()) body["application_ids"] = f.applications;
  if (!f.servers.empty()) body["server_ids"] = f.servers;
  if (!f.min_severity.empty()) body["min_severity"] = f.min_severity;
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/notification-rules"));
  WHARF_ASSIGN_OR_RETURN(json r, api->Post(path, body));
  env.Done(r, "Added rule " + r.value("id", "") + ": " + Join(r["events"]) + " to " +
                  std::to_string(r["channel_ids"].size()) + " channel(s).");
  return Ok();
}

}  // namespace

void AddNotifyCommands(Registry& r) {
  CLI::App* g = r.Group("notify", "Notifications: channels (email, Slack, Discord, webhook), rules and the delivery log",
                        "wharf notify channel add ops --type webhook --url https://hooks.example.com/wharf");
  CLI::App* ch = r.Group("channel", "Where notifications go", "wharf notify channel list", g);
  r.Command(ch, "list", "List channels", "wharf notify channel list -o json", Scope::kOrg, [](Env& env) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/notification-channels"));
    env.Print(rows, ChannelTable(rows), "No channels. Add one with `wharf notify channel add NAME --type TYPE`.");
    return Ok();
  });
  auto cf = std::make_shared<ChannelFlags>();
  CLI::App* add = r.Command(ch, "add", "Add a channel; a webhook prints its signing secret once",
                            "printf '%s\\n' \"$SLACK_URL\" | wharf notify channel add ops --type slack --url-stdin",
                            Scope::kOrg, [cf](Env& env) { return ChannelAdd(env, *cf); });
  add->add_option("name", cf->name, "A name for the channel")->required();
  add->add_option("--type", cf->type, "email, slack, discord or webhook")
      ->required()
      ->check(CLI::IsMember({"email", "slack", "discord", "webhook"}));
  add->add_option("--address", cf->addresses, "An email address (repeatable; --type email)");
  add->add_option("--url", cf->url, "The receiver's URL (--type webhook only; Slack/Discord URLs are credentials)");
  add->add_flag("--url-stdin", cf->url_stdin, "Read the Slack or Discord URL from the first line of stdin");
  auto ref = std::make_shared<std::string>();
  r.Command(ch, "test", "Send a test message; a delivered one verifies the channel", "wharf notify channel test ops",
            Scope::kOrg, [ref](Env& env) { return ChannelTest(env, *ref); })
      ->add_option("channel", *ref, "Channel name or id")
      ->required();
  auto rot_ref = std::make_shared<std::string>();
  auto rot_hours = std::make_shared<int>(-1);
  CLI::App* rot = r.Command(ch, "rotate-secret",
                            "Give a webhook channel a new signing secret (printed once); the old one keeps signing "
                            "beside it for --overlap-hours",
                            "wharf notify channel rotate-secret ops --overlap-hours 48", Scope::kOrg,
                            [rot_ref, rot_hours](Env& env) { return ChannelRotateSecret(env, *rot_ref, *rot_hours); });
  rot->add_option("channel", *rot_ref, "Channel name or id")->required();
  rot->add_option("--overlap-hours", *rot_hours, "Hours the old secret keeps signing (0 to 168, default 24; 0: stop now)")
      ->check(CLI::Range(0, 168));
  auto rm = std::make_shared<std::string>();
  r.Command(ch, "remove", "Remove a channel (and its place in rules)", "wharf notify channel remove ops", Scope::kOrg,
            [rm](Env& env) { return ChannelRemove(env, *rm); })
      ->add_option("channel", *rm, "Channel name or id")
      ->required();

  CLI::App* rule = r.Group("rule", "Which events go to which channels", "wharf notify rule list", g);
  r.Command(rule, "list", "List rules", "wharf notify rule list", Scope::kOrg, [](Env& env) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/notification-rules"));
    env.Print(rows, RuleTable(rows), "No rules. Add one with `wharf notify rule add --event E --channel C`.");
    return Ok();
  });
  auto rf = std::make_shared<RuleFlags>();
  CLI::App* radd = r.Command(rule, "add", "Route events to verified channels",
                             "wharf notify rule add --event deployment.failed --event backup.failed --channel ops",
                             Scope::kOrg, [rf](Env& env) { return RuleAdd(env, *rf); });
  radd->add_option("--event", rf->events, "An event name (repeatable), e.g. deployment.failed")->required();
  radd->add_option("--channel", rf->channels, "A channel name or id (repeatable)")->required();
  radd->add_option("--application", rf->applications, "Only events of this application id (repeatable)");
  radd->add_option("--server", rf->servers, "Only events of this server id (repeatable)");
  radd->add_option("--min-severity", rf->min_severity, "info (default), warning or critical")
      ->check(CLI::IsMember({"info", "warning", "critical"}));
  auto rid = std::make_shared<std::string>();
  r.Command(rule, "remove", "Remove a rule", "wharf notify rule remove nrl_…", Scope::kOrg, [rid](Env& env) -> Status {
     WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
     WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/notification-rules/" + EncodeComponent(*rid)));
     WHARF_TRY(api->Delete(path));
     env.Done(json{{"deleted", *rid}}, "Removed rule " + *rid + ".");
     return Ok();
   })->add_option("rule", *rid, "Rule id")->required();

  auto log_channel = std::make_shared<std::string>();
  CLI::App* log = r.Command(g, "log", "The delivery log, newest first", "wharf notify log --channel ops", Scope::kOrg,
                            [log_channel](Env& env) -> Status {
                              std::string suffix = "/notification-deliveries";
                              if (!log_channel->empty()) {
                                WHARF_ASSIGN_OR_RETURN(json c, FindChannel(env, *log_channel));
                                suffix += "?channel_id=" + EncodeComponent(c["id"].get<std::string>());
                              }
                              WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg(suffix));
                              env.Print(rows, DeliveryTable(rows), "No deliveries yet.");
                              return Ok();
                            });
  log->add_option("--channel", *log_channel, "Only this channel (name or id)");
  auto did = std::make_shared<std::string>();
  r.Command(g, "redeliver", "Send a delivery again (same message id, fresh retries)", "wharf notify redeliver msg_…",
            Scope::kOrg, [did](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path,
                                     env.OrgPath("/notification-deliveries/" + EncodeComponent(*did) + "/redeliver"));
              WHARF_ASSIGN_OR_RETURN(json d, api->Post(path, json::object()));
              env.Done(d, "Queued delivery " + *did + " again.");
              return Ok();
            })
      ->add_option("delivery", *did, "Delivery id (msg_…)")
      ->required();
}

}  // namespace wharf::cli
