// wharf server … (worker nodes reached over SSH) and wharf security-group ….
#include "cli/command.h"
#include "cli/rule_flags.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

Result<json> FindServer(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/servers"));
  return FindRow(items, ref, "/id", "/name", "server", "wharf server list");
}

Result<json> FindGroup(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/security-groups"));
  return FindRow(items, ref, "/id", "/name", "security group", "wharf security-group list");
}

std::string Id(const json& row) { return EncodeComponent(row["id"].get<std::string>()); }

// The check report of a check, a test-connection or a history row, as a table.
Table ChecksTable(const json& report) {
  Table t{{"CHECK", "STATUS", "MESSAGE", "FIX"}, {}};
  if (report.contains("checks"))
    for (const json& c : report["checks"])
      t.rows.push_back({c.value("name", ""), c.value("status", ""), c.value("message", ""), c.value("fix", "")});
  return t;
}

// The certificates a check read for the server's Let's Encrypt domains, as a table.
Table CertificatesTable(const json& report) {
  Table t{{"DOMAIN", "SERVICE", "EXPIRES", "DAYS LEFT", "ISSUER", "PROBLEM"}, {}};
  for (const json& c : report.value("certificates", json::array())) {
    const bool days = c.contains("days_left") && c["days_left"].is_number_integer();
    t.rows.push_back({c.value("hostname", ""), c.value("application", "") + "/" + c.value("service", ""),
                      c.value("not_after", ""), days ? std::to_string(c["days_left"].get<int64_t>()) : "",
                      c.value("issuer", ""), c.value("error", "")});
  }
  return t;
}

// Prints a report; a failed one is exit 1 with a one-line summary.
Status PrintReport(Env& env, const json& report, const std::string& what) {
  Table t = ChecksTable(report);
  if (env.color())
    for (auto& row : t.rows)
      row[1] = Style(row[1], row[1] == "passed" ? "32" : row[1] == "failed" ? "31" : "2", true);
  env.Print(report, t);
  if (env.format() == Format::kTable && report.contains("certificates"))
    env.out() << "\n" << RenderTable(CertificatesTable(report), env.color());
  if (report.value("ok", false)) return Ok();
  int failed = 0;
  for (const json& c : report["checks"]) failed += c.value("status", "") == "failed";
  return Err(ErrorCode::kUnavailable, std::to_string(failed) + " check(s) failed for " + what + "; see FIX above.");
}

// ---- servers ----

struct ServerFlags {
  std::string ref, name, host, user, ssh_key;
  int port = 0;
  std::vector<std::string> groups;
  bool groups_set = false;
};

Result<json> ServerBody(Env& env, const ServerFlags& f) {
  json body = json::object();
  if (!f.name.empty()) body["name"] = f.name;
  if (!f.host.empty()) body["host"] = f.host;
  if (f.port) body["port"] = f.port;
  if (!f.user.empty()) body["username"] = f.user;
  if (!f.ssh_key.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto keys, env.ListOrg("/ssh-keys"));
    WHARF_ASSIGN_OR_RETURN(json k, FindRow(keys, f.ssh_key, "/id", "/name", "SSH key", "wharf ssh-key list"));
    body["ssh_key_id"] = k["id"];
  }
  if (f.groups_set) {
    body["security_group_ids"] = json::array();
    for (const auto& g : f.groups) {
      WHARF_ASSIGN_OR_RETURN(json sg, FindGroup(env, g));
      body["security_group_ids"].push_back(sg["id"]);
    }
  }
  return body;
}

Table ServerTable(const std::vector<json>& servers) {
  Table t{{"NAME", "HOST", "USER", "STATUS", "LAST CHECK", "ID"}, {}};
  for (const json& s : servers)
    t.rows.push_back({s.value("name", ""), s.value("host", "") + ":" + Cell(s.value("port", json(22))), s.value("username", ""),
                      s.value("status", ""), Cell(s.value("last_check_at", json())), s.value("id", "")});
  return t;
}

void AddServerFlags(CLI::App* c, ServerFlags& f, bool required) {
  auto* host = c->add_option("--host", f.host, "Host name or IP address");
  auto* user = c->add_option("--user", f.user, "SSH user name (with sudo rights)");
  auto* key = c->add_option("--ssh-key", f.ssh_key, "SSH key name or id (see `wharf ssh-key list`)");
  if (required) {
    host->required();
    user->required();
    key->required();
  }
  c->add_option("--port", f.port, "SSH port (default 22)")->check(CLI::Range(1, 65535));
  c->add_option("--security-group", f.groups, "Security group name or id; repeatable")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->each([&f](const std::string&) { f.groups_set = true; });
}

void AddServers(Registry& r) {
  CLI::App* g = r.Group("server", "Worker nodes Wharf reaches over SSH: add, check, edit, remove",
                        "wharf server add web-1 --host 203.0.113.10 --user deploy --ssh-key deploy");
  r.Command(g, "list", "List servers with their last status", "wharf server list -o json", Scope::kOrg,
            [](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/servers"));
              env.Print(items, ServerTable(items), "No servers. Add one with `wharf server add NAME --host H --user U --ssh-key K`.");
              return Ok();
            });
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a server and its last check", "wharf server show web-1", Scope::kOrg,
            [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, *show));
              env.Print(s, ServerTable({s}));
              if (env.format() == Format::kTable) {
                env.out() << "Host key: " << Cell(s.value("host_key_fingerprint", json())) << "\n";
                if (s.contains("last_error") && !s["last_error"].is_null()) env.out() << "Last error: " << Cell(s["last_error"]) << "\n";
                if (s.contains("last_check") && s["last_check"].is_object())
                  env.out() << "\n" << RenderTable(ChecksTable(s["last_check"]), env.color());
                if (s.contains("last_check") && s["last_check"].is_object() && s["last_check"].contains("certificates"))
                  env.out() << "\n" << RenderTable(CertificatesTable(s["last_check"]), env.color());
              }
              return Ok();
            })
      ->add_option("server", *show, "Server name or id")
      ->required();
  auto add = std::make_shared<ServerFlags>();
  CLI::App* a = r.Command(g, "add", "Add a server: every check runs first, and the host key is pinned",
                          "wharf server add web-1 --host 203.0.113.10 --user deploy --ssh-key deploy --security-group web",
                          Scope::kOrg, [add](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json body, ServerBody(env, *add));
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers"));
                            WHARF_ASSIGN_OR_RETURN(json s, api->Post(path, body));
                            env.Done(s, "Added server " + s.value("name", "") + " (" + s.value("id", "") + "), status " +
                                            s.value("status", "") + "; host key " + Cell(s.value("host_key_fingerprint", json())) + ".");
                            return Ok();
                          });
  a->add_option("name", add->name, "A name for the server")->required();
  AddServerFlags(a, *add, true);
  auto test = std::make_shared<ServerFlags>();
  CLI::App* t = r.Command(g, "test-connection", "Run every check against a server without saving it (exit 1 if any fails)",
                          "wharf server test-connection --host 203.0.113.10 --user deploy --ssh-key deploy", Scope::kOrg,
                          [test](Env& env) -> Status {
                            if (test->name.empty()) test->name = "test-connection";
                            WHARF_ASSIGN_OR_RETURN(json body, ServerBody(env, *test));
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers/test-connection"));
                            WHARF_ASSIGN_OR_RETURN(json report, api->Post(path, body));
                            return PrintReport(env, report, test->host);
                          });
  AddServerFlags(t, *test, true);
  auto check = std::make_shared<std::string>();
  r.Command(g, "check", "Run every check now (tcp, ssh_auth, host_key, sudo, os, disk, dns, docker, dokku); exit 1 if any fails",
            "wharf server check web-1", Scope::kOrg,
            [check](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, *check));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers/" + Id(s) + "/check"));
              WHARF_ASSIGN_OR_RETURN(json report, api->Post(path));
              return PrintReport(env, report, s.value("name", ""));
            })
      ->add_option("server", *check, "Server name or id")
      ->required();
  auto hist = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(20);
  CLI::App* h = r.Command(g, "checks", "Check history, newest first", "wharf server checks web-1 --limit 5", Scope::kOrg,
                          [hist, limit](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, *hist));
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path,
                                                   env.OrgPath("/servers/" + Id(s) + "/checks?limit=" + std::to_string(*limit)));
                            WHARF_ASSIGN_OR_RETURN(json page, api->Get(path));
                            Table t{{"AT", "OK", "FAILED CHECKS"}, {}};
                            for (const json& row : page["items"]) {
                              std::string failed;
                              if (row.contains("report") && row["report"].contains("checks"))
                                for (const json& c : row["report"]["checks"])
                                  if (c.value("status", "") == "failed") failed += (failed.empty() ? "" : ", ") + c.value("name", "");
                              t.rows.push_back({row.value("at", ""), Cell(row.value("ok", json())), failed});
                            }
                            env.Print(page["items"], t, "No checks yet.");
                            return Ok();
                          });
  h->add_option("server", *hist, "Server name or id")->required();
  h->add_option("--limit", *limit, "How many (1-200, default 20)")->check(CLI::Range(1, 200));
  auto edit = std::make_shared<ServerFlags>();
  CLI::App* e = r.Command(g, "edit", "Change a server's name, address, user, key or security groups",
                          "wharf server edit web-1 --port 2222 --security-group web --security-group db", Scope::kOrg,
                          [edit](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json body, ServerBody(env, *edit));
                            if (body.empty()) return UsageError("Nothing to change: give --name, --host, --port, --user, --ssh-key or --security-group.");
                            WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, edit->ref));
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers/" + Id(s)));
                            WHARF_ASSIGN_OR_RETURN(json updated, api->Patch(path, body));
                            env.Done(updated, "Updated server " + updated.value("name", "") + ".");
                            return Ok();
                          });
  e->add_option("server", edit->ref, "Server name or id")->required();
  e->add_option("--name", edit->name, "New name");
  AddServerFlags(e, *edit, false);
  auto repin = std::make_shared<std::string>();
  r.Command(g, "repin-host-key", "Trust the host key the server presents now (after a legitimate change)",
            "wharf server repin-host-key web-1", Scope::kOrg,
            [repin](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, *repin));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers/" + Id(s) + "/repin-host-key"));
              WHARF_ASSIGN_OR_RETURN(json updated, api->Post(path));
              env.Done(updated, "Pinned host key " + Cell(updated.value("host_key_fingerprint", json())) + " for " +
                                    updated.value("name", "") + ".");
              return Ok();
            })
      ->add_option("server", *repin, "Server name or id")
      ->required();
  auto del = std::make_shared<std::string>();
  r.Command(g, "delete", "Remove a server from Wharf (nothing on the server changes)", "wharf server delete web-1",
            Scope::kOrg,
            [del](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, *del));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers/" + Id(s)));
              WHARF_TRY(api->Delete(path));
              env.Done(json{{"deleted", s["id"]}}, "Removed server " + s.value("name", "") + ".");
              return Ok();
            })
      ->add_option("server", *del, "Server name or id")
      ->required();

  struct OnboardFlags {
    std::string ref;
    bool follow = false;
  };
  auto ob = std::make_shared<OnboardFlags>();
  CLI::App* o = r.Command(
      g, "onboard", "Install the pinned Dokku and plugins on a server, doing only what is missing (a background job)",
      "wharf server onboard web-1 --follow", Scope::kOrg, [ob](Env& env) -> Status {
        WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, ob->ref));
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/servers/" + Id(s) + "/onboard"));
        WHARF_ASSIGN_OR_RETURN(json job, api->Post(path));
        const std::string id = job.value("job_id", "");
        if (!ob->follow) {
          env.Done(job, "Onboarding " + s.value("name", "") + " in job " + id + "; follow it with `wharf job log " + id +
                            " --follow`.");
          return Ok();
        }
        env.err() << "Onboarding " << s.value("name", "") << " (job " << id << ")\n";
        env.err().flush();
        return FollowJob(env, id);
      });
  o->add_option("server", ob->ref, "Server name or id")->required();
  o->add_flag("-f,--follow", ob->follow, "Stream the job's log until it ends; exit 1 if it failed");

  CLI::App* fw = r.Group("firewall", "The server's host firewall, built from its security groups",
                         "wharf server firewall show web-1", g);
  struct FirewallFlags {
    std::string ref;
  };
  for (bool apply : {false, true}) {
    auto ff = std::make_shared<FirewallFlags>();
    r.Command(fw, apply ? "apply" : "show",
              apply ? "Apply the server's security groups to its host firewall (nftables or ufw), then show the rules in force"
                    : "Show the host firewall rules in force on the server (read over SSH)",
              apply ? "wharf server firewall apply web-1" : "wharf server firewall show web-1 -o json", Scope::kOrg,
              [ff, apply](Env& env) -> Status {
                WHARF_ASSIGN_OR_RETURN(json s, FindServer(env, ff->ref));
                WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                WHARF_ASSIGN_OR_RETURN(std::string path,
                                       env.OrgPath("/servers/" + Id(s) + (apply ? "/apply-firewall" : "/firewall")));
                json state;
                if (apply) {
                  WHARF_ASSIGN_OR_RETURN(state, api->Post(path));
                } else {
                  WHARF_ASSIGN_OR_RETURN(state, api->Get(path));
                }
                if (env.format() != Format::kTable) {
                  env.Print(state, Table{});
                  return Ok();
                }
                if (apply) env.out() << "Applied the security groups of " << s.value("name", "") << ".\n";
                env.out() << "Backend: " << Cell(state.value("backend", json())) << "\n";
                std::string rules = state.value("rules_in_force", "");
                if (!rules.empty()) env.out() << rules << (rules.back() == '\n' ? "" : "\n");
                if (state.contains("skipped") && state["skipped"].is_array() && !state["skipped"].empty()) {
                  env.out() << "Not expressible with this backend, so not applied:\n";
                  for (const json& k : state["skipped"]) env.out() << "  " << Cell(k) << "\n";
                }
                env.out().flush();
                return Ok();
              })
        ->add_option("server", ff->ref, "Server name or id")
        ->required();
  }
}

// ---- security groups ----

struct GroupFlags {
  std::string ref, name, description, from_file;
  bool description_set = false;
  std::vector<std::string> inbound, outbound;
};

Result<json> GroupBody(const GroupFlags& f) {
  json body = json::object();
  if (!f.from_file.empty()) {
    WHARF_ASSIGN_OR_RETURN(std::string text, ReadFileArg(f.from_file, "--from-file"));
    body = json::parse(text, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return UsageError("--from-file: " + f.from_file + " must hold a JSON object like {\"name\": \"web\", \"inbound\": "
                        "[{\"type\": \"https\", \"source\": \"0.0.0.0/0\"}]}");
    for (auto it = body.begin(); it != body.end();) {
      const std::string& k = it.key();
      if (k == "name" || k == "description" || k == "inbound" || k == "outbound") ++it;
      else it = body.erase(it);
    }
  }
  if (!f.name.empty()) body["name"] = f.name;
  if (f.description_set) body["description"] = f.description;
  for (auto [flag, specs] : {std::pair{"inbound", &f.inbound}, std::pair{"outbound", &f.outbound}}) {
    if (specs->empty()) continue;
    body[flag] = json::array();
    for (const auto& spec : *specs) {
      auto rule = ParseRuleSpec(spec, flag);
      if (!rule) return UsageError("--" + std::string(flag) + ": " + rule.error().details["fields"][flag].get<std::string>());
      body[flag].push_back(*rule);
    }
  }
  return body;
}

std::string Rules(const json& rules) {
  std::string s;
  for (const json& r : rules) s += (s.empty() ? "" : "; ") + DescribeRule(r);
  return s;
}

void PrintWarnings(Env& env, const json& g) {
  if (g.contains("warnings"))
    for (const json& w : g["warnings"]) env.err() << "wharf: warning: " << Cell(w) << "\n";
}

void AddGroupFlags(CLI::App* c, GroupFlags& f) {
  c->add_option("--inbound", f.inbound, "TYPE[:PORT[-PORT]]=SOURCE, repeatable (ssh=203.0.113.0/24, custom-tcp:8000-8100=10.0.0.0/8)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--outbound", f.outbound, "Same form as --inbound")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--description", f.description, "What the group is for")->each([&f](const std::string&) {
    f.description_set = true;
  });
  c->add_option("--from-file", f.from_file, "Read {name, description, inbound, outbound} from a JSON file (- = stdin)");
}

void AddSecurityGroups(Registry& r) {
  CLI::App* g = r.Group("security-group", "Firewall rules for worker nodes (the ports Wharf needs stay open)",
                        "wharf security-group create web --inbound ssh=203.0.113.0/24 --inbound https=0.0.0.0/0");
  r.Command(g, "list", "List security groups", "wharf security-group list -o json", Scope::kOrg,
            [](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/security-groups"));
              Table t{{"NAME", "INBOUND", "SERVERS", "ID"}, {}};
              for (const json& sg : items)
                t.rows.push_back({sg.value("name", ""), Rules(sg["inbound"]), std::to_string(sg.value("server_ids", json::array()).size()),
                                  sg.value("id", "")});
              env.Print(items, t, "No security groups.");
              return Ok();
            });
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a security group's rules", "wharf security-group show web", Scope::kOrg,
            [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json sg, FindGroup(env, *show));
              Table t{{"DIRECTION", "TYPE", "PROTOCOL", "PORTS", "SOURCE", "DESCRIPTION"}, {}};
              for (auto [dir, key] : {std::pair{"in", "inbound"}, std::pair{"out", "outbound"}})
                for (const json& rule : sg[key]) {
                  std::string ports;
                  if (rule.contains("from_port")) {
                    ports = Cell(rule["from_port"]);
                    if (rule.value("to_port", 0) != rule.value("from_port", 0)) ports += "-" + Cell(rule["to_port"]);
                  }
                  t.rows.push_back({dir, rule.value("type", ""), rule.value("protocol", ""), ports, rule.value("source", ""),
                                    rule.value("description", "")});
                }
              env.Print(sg, t, "This group has no rules.");
              return Ok();
            })
      ->add_option("group", *show, "Security group name or id")
      ->required();
  auto cf = std::make_shared<GroupFlags>();
  CLI::App* c = r.Command(g, "create", "Create a security group",
                          "wharf security-group create web --inbound ssh=203.0.113.0/24 --inbound https=0.0.0.0/0",
                          Scope::kOrg, [cf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json body, GroupBody(*cf));
                            if (!body.contains("name")) return UsageError("Give the group a name: `wharf security-group create NAME …`.");
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/security-groups"));
                            WHARF_ASSIGN_OR_RETURN(json sg, api->Post(path, body));
                            PrintWarnings(env, sg);
                            env.Done(sg, "Created security group " + sg.value("name", "") + " (" + sg.value("id", "") + ").");
                            return Ok();
                          });
  c->add_option("name", cf->name, "Group name (or give it in --from-file)");
  AddGroupFlags(c, *cf);
  auto ef = std::make_shared<GroupFlags>();
  CLI::App* e = r.Command(g, "edit", "Change a security group; --inbound/--outbound replace that whole list",
                          "wharf security-group edit web --inbound ssh=203.0.113.0/24 --inbound https=0.0.0.0/0",
                          Scope::kOrg, [ef](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json body, GroupBody(*ef));
                            if (body.empty())
                              return UsageError("Nothing to change: give --name, --description, --inbound, --outbound or --from-file.");
                            WHARF_ASSIGN_OR_RETURN(json sg, FindGroup(env, ef->ref));
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/security-groups/" + Id(sg)));
                            WHARF_ASSIGN_OR_RETURN(json updated, api->Patch(path, body));
                            PrintWarnings(env, updated);
                            env.Done(updated, "Updated security group " + updated.value("name", "") + ".");
                            return Ok();
                          });
  e->add_option("group", ef->ref, "Security group name or id")->required();
  e->add_option("--name", ef->name, "New name");
  AddGroupFlags(e, *ef);
  auto del = std::make_shared<std::string>();
  r.Command(g, "delete", "Delete a security group no server uses", "wharf security-group delete old-web", Scope::kOrg,
            [del](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json sg, FindGroup(env, *del));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/security-groups/" + Id(sg)));
              WHARF_TRY(api->Delete(path));
              env.Done(json{{"deleted", sg["id"]}}, "Deleted security group " + sg.value("name", "") + ".");
              return Ok();
            })
      ->add_option("group", *del, "Security group name or id")
      ->required();
  AddSecurityGroupEc2Commands(r, g);
}

}  // namespace

void AddServerCommands(Registry& r) {
  AddServers(r);
  AddSecurityGroups(r);
}

}  // namespace wharf::cli
