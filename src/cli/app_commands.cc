// wharf app list | show | create | update | delete (and `wharf project …`, the same commands on
// the legacy /projects view, authorized by projects.*), and wharf template list | show | save |
// deploy | delete (docs/applications.md). Applications are named by name or id (app_…), servers
// by name or id (srv_…).
#include "cli/command.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

Table AppTable(const std::vector<json>& items) {
  Table t{{"NAME", "SERVER", "DESCRIPTION", "CREATED", "ID"}, {}};
  for (const json& a : items)
    t.rows.push_back({Str(a, "name"), Str(a, "server_id"), Str(a, "description"), Cell(a.value("created_at", json())), Str(a, "id")});
  return t;
}

Table TemplateTable(const std::vector<json>& items) {
  Table t{{"NAME", "SERVICES", "FROM APPLICATION", "DESCRIPTION", "ID"}, {}};
  for (const json& x : items) {
    std::string names;
    if (x.contains("services") && x["services"].is_array())
      for (const json& s : x["services"]) names += (names.empty() ? "" : ",") + Str(s, "name");
    t.rows.push_back({Str(x, "name"), names, Str(x, "source_application"), Str(x, "description"), Str(x, "id")});
  }
  return t;
}

// A server id: as given when it looks like one (a member without servers.read can still name it),
// else looked up by name.
Result<std::string> ServerId(Env& env, const std::string& ref) {
  if (ref.starts_with("srv_")) return ref;
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/servers"));
  WHARF_ASSIGN_OR_RETURN(json s, FindRow(items, ref, "/id", "/name", "server", "wharf server list"));
  return Str(s, "id");
}

Result<json> FindTemplate(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/templates"));
  return FindRow(items, ref, "/id", "/name", "template", "wharf template list");
}

// One noun over /applications or the legacy /projects.
void AddAppGroup(Registry& r, const std::string& noun, const std::string& base) {
  const bool legacy = base == "/projects";
  const std::string perm = legacy ? "projects" : "applications";
  CLI::App* g = r.Group(noun,
                        legacy ? "Applications through the legacy /projects view (authorized by projects.*)"
                               : "Applications: the services that run together on one server",
                        "wharf " + noun + " create shop --server node-1 --description \"The shop\"");

  r.Command(g, "list", "List applications (" + perm + ".read)", "wharf " + noun + " list -o json", Scope::kOrg,
            [base, noun](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg(base));
              env.Print(json(items), AppTable(items),
                        "No applications. Create one with `wharf " + noun + " create NAME --server SERVER`.");
              return Ok();
            });

  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show an application and its services", "wharf " + noun + " show shop", Scope::kOrg,
            [show, base](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, *show, base));
              if (env.format() != Format::kTable) {
                env.Print(a, Table{});
                return Ok();
              }
              env.Print(a, AppTable({a}));
              // The services, when the caller may read them (a projects-only role may not).
              auto path = env.OrgPath("/applications/" + EncodeComponent(Str(a, "id")) + "/services");
              if (!path) return Ok();
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              auto items = api->ListAll(*path);
              if (!items) return Ok();
              Table t{{"SERVICE", "TYPE", "STATUS", "ID"}, {}};
              for (const json& s : *items) t.rows.push_back({Str(s, "name"), Str(s, "type"), Str(s, "status"), Str(s, "id")});
              env.out() << "\n";
              env.Print(json(), t, "No services yet. Add one with `wharf service create git|image|database NAME --app " +
                                       Str(a, "name") + " …`.");
              return Ok();
            })
      ->add_option("app", *show, "Application name or id")
      ->required();

  struct CreateFlags {
    std::string name, name_flag, description, server;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* c = r.Command(g, "create", "Create an application on a server (" + perm + ".create)",
                          "wharf " + noun + " create shop --server node-1 --description \"The shop\"", Scope::kOrg,
                          [cf, base, noun](Env& env) -> Status {
                            if (!cf->name.empty() && !cf->name_flag.empty() && cf->name != cf->name_flag)
                              return UsageError("Give the name once: as NAME or as --name.");
                            std::string name = cf->name.empty() ? cf->name_flag : cf->name;
                            if (name.empty()) return UsageError("A name is required: wharf " + noun + " create NAME --server SERVER");
                            WHARF_ASSIGN_OR_RETURN(std::string server, ServerId(env, cf->server));
                            json body = {{"name", name}, {"server_id", server}};
                            if (!cf->description.empty()) body["description"] = cf->description;
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(base));
                            WHARF_ASSIGN_OR_RETURN(json a, api->Post(path, body));
                            env.Done(a, "Created application " + Str(a, "name") + " (" + Str(a, "id") +
                                            "). Add a service: wharf service create git|image|database NAME --app " +
                                            Str(a, "name"));
                            return Ok();
                          });
  c->add_option("name", cf->name, "Application name (unique in the organisation)");
  c->add_option("--name", cf->name_flag, "The name, as a flag");
  c->add_option("--description", cf->description, "What it is for");
  c->add_option("--server", cf->server, "The server (name or id) its services run on")->required();

  struct UpdateFlags {
    std::string app;
    std::optional<std::string> name, description, server;
  };
  auto uf = std::make_shared<UpdateFlags>();
  CLI::App* u = r.Command(g, "update", "Rename, describe or move an application (" + perm + ".update)",
                          "wharf " + noun + " update shop --name store --description \"The store\"", Scope::kOrg,
                          [uf, base](Env& env) -> Status {
                            if (!uf->name && !uf->description && !uf->server)
                              return UsageError("Nothing to change: give --name, --description or --server.");
                            WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, uf->app, base));
                            json body = json::object();
                            if (uf->name) body["name"] = *uf->name;
                            if (uf->description) body["description"] = *uf->description;
                            if (uf->server) {
                              WHARF_ASSIGN_OR_RETURN(body["server_id"], ServerId(env, *uf->server));
                            }
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(base + "/" + EncodeComponent(Str(a, "id"))));
                            WHARF_ASSIGN_OR_RETURN(json out, api->Patch(path, body));
                            env.Print(out, AppTable({out}));
                            return Ok();
                          });
  u->add_option("app", uf->app, "Application name or id")->required();
  u->add_option("--name", uf->name, "New name");
  u->add_option("--description", uf->description, "New description");
  u->add_option("--server", uf->server, "Move to another server (only while it has no services)");

  auto del = std::make_shared<std::string>();
  r.Command(g, "delete", "Delete an application (refused while it has services) (" + perm + ".delete)",
            "wharf " + noun + " delete shop", Scope::kOrg, [del, base](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, *del, base));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(base + "/" + EncodeComponent(Str(a, "id"))));
              WHARF_TRY(api->Delete(path).map([](auto&&) {}));
              env.Done(json{{"id", Str(a, "id")}, {"deleted", true}}, "Deleted application " + Str(a, "name") + ".");
              return Ok();
            })
      ->add_option("app", *del, "Application name or id")
      ->required();
}

void AddTemplateGroup(Registry& r) {
  CLI::App* g = r.Group("template", "Templates: an application's services saved without any secret, to deploy again",
                        "wharf template save shop-stack --app shop\n  wharf template deploy shop-stack --new-app shop2 --server node-1");
  r.Command(g, "list", "List templates (templates.read)", "wharf template list -o json", Scope::kOrg, [](Env& env) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/templates"));
    env.Print(json(items), TemplateTable(items), "No templates. Save one with `wharf template save NAME --app APP`.");
    return Ok();
  });

  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a template: its services and variables as templates", "wharf template show shop-stack",
            Scope::kOrg, [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json t, FindTemplate(env, *show));
              env.Print(t, TemplateTable({t}));
              return Ok();
            })
      ->add_option("template", *show, "Template name or id")
      ->required();

  struct SaveFlags {
    std::string name, app, description;
  };
  auto sf = std::make_shared<SaveFlags>();
  CLI::App* s = r.Command(g, "save", "Save an application's services as a template (templates.create, services.read)",
                          "wharf template save shop-stack --app shop --description \"web + postgres\"", Scope::kOrg,
                          [sf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, sf->app, "/applications"));
                            json body = {{"name", sf->name}, {"application_id", Str(a, "id")}};
                            if (!sf->description.empty()) body["description"] = sf->description;
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/templates"));
                            WHARF_ASSIGN_OR_RETURN(json t, api->Post(path, body));
                            env.Done(t, "Saved template " + Str(t, "name") + " (" + Str(t, "id") + ") from " + Str(a, "name") + ".");
                            return Ok();
                          });
  s->add_option("name", sf->name, "Template name")->required();
  s->add_option("--app", sf->app, "The application to save (name or id)")->required();
  s->add_option("--description", sf->description, "What it is for");

  struct DeployFlags {
    std::string tpl, app, new_app, server, description;
  };
  auto df = std::make_shared<DeployFlags>();
  CLI::App* d = r.Command(
      g, "deploy", "Create a template's services in an application (--app) or in a new one (--new-app NAME --server S)",
      "wharf template deploy shop-stack --app staging\n  wharf template deploy shop-stack --new-app shop2 --server node-1",
      Scope::kOrg, [df](Env& env) -> Status {
        if (df->app.empty() == df->new_app.empty())
          return UsageError("Give either --app APP (an existing application) or --new-app NAME --server SERVER.");
        if (!df->new_app.empty() && df->server.empty()) return UsageError("--new-app needs --server SERVER.");
        WHARF_ASSIGN_OR_RETURN(json t, FindTemplate(env, df->tpl));
        json body = json::object();
        if (!df->app.empty()) {
          WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, df->app, "/applications"));
          body["application_id"] = Str(a, "id");
        } else {
          WHARF_ASSIGN_OR_RETURN(std::string server, ServerId(env, df->server));
          body["application"] = {{"name", df->new_app}, {"server_id", server}};
          if (!df->description.empty()) body["application"]["description"] = df->description;
        }
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/templates/" + EncodeComponent(Str(t, "id")) + "/deploy"));
        WHARF_ASSIGN_OR_RETURN(json out, api->Post(path, body));
        Table tab{{"SERVICE", "TYPE", "ID"}, {}};
        for (const json& sv : out.value("services", json::array())) tab.rows.push_back({Str(sv, "name"), Str(sv, "type"), Str(sv, "id")});
        env.Print(out, tab);
        if (env.format() == Format::kTable) {
          if (out.contains("renamed") && out["renamed"].is_object())
            for (auto& [from, to] : out["renamed"].items()) env.out() << "Renamed " << from << " to " << Cell(to) << " (taken).\n";
          env.out() << "Created in application " << Str(out["application"], "name") << ". Deploy each service with "
                    << "`wharf deploy SERVICE --app " << Str(out["application"], "name") << " --follow`.\n";
        }
        return Ok();
      });
  d->add_option("template", df->tpl, "Template name or id")->required();
  d->add_option("--app", df->app, "An existing application (name or id)");
  d->add_option("--new-app", df->new_app, "Create a new application with this name");
  d->add_option("--server", df->server, "The new application's server (name or id)");
  d->add_option("--description", df->description, "The new application's description");

  auto del = std::make_shared<std::string>();
  r.Command(g, "delete", "Delete a template (templates.delete)", "wharf template delete shop-stack", Scope::kOrg,
            [del](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json t, FindTemplate(env, *del));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/templates/" + EncodeComponent(Str(t, "id"))));
              WHARF_TRY(api->Delete(path).map([](auto&&) {}));
              env.Done(json{{"id", Str(t, "id")}, {"deleted", true}}, "Deleted template " + Str(t, "name") + ".");
              return Ok();
            })
      ->add_option("template", *del, "Template name or id")
      ->required();
}

}  // namespace

Result<json> FindApplication(Env& env, const std::string& ref, const std::string& base) {
  if (ref.empty()) return UsageError("An application is required (its name or id; see `wharf app list`).");
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  if (ref.starts_with("app_")) {
    WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(base + "/" + EncodeComponent(ref)));
    return api->Get(path);
  }
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg(base));
  return FindRow(items, ref, "/id", "/name", "application", base == "/projects" ? "wharf project list" : "wharf app list");
}

void AddAppCommands(Registry& r) {
  AddAppGroup(r, "app", "/applications");
  AddAppGroup(r, "project", "/projects");
  AddTemplateGroup(r);
}

}  // namespace wharf::cli
