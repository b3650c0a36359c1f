// wharf org list | show | create | rename | transfer | use
#include "cli/command.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

Table OrgTable(const json& o) {
  return {{"SLUG", "NAME", "OWNER", "SEATS"},
          {{o.value("slug", ""), o.value("name", ""), Cell(o.value("owner_id", json())),
            Cell(o.value("seats_used", json())) + "/" +
                (o.value("seat_limit", 0) == 0 ? std::string("unlimited") : Cell(o["seat_limit"]))}}};
}

Status OrgList(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json me, api->Get("/api/v1/me"));
  WHARF_ASSIGN_OR_RETURN(Context * ctx, env.context());
  std::string def = ctx ? ctx->org : "";
  Table t{{"DEFAULT", "SLUG", "NAME", "ROLE", "OWNER"}, {}};
  for (const json& o : me["orgs"])
    t.rows.push_back({o.value("slug", "") == def ? "*" : "", o.value("slug", ""), o.value("name", ""),
                      o["role"].value("name", ""), o.value("owner", false) ? "yes" : ""});
  env.Print(me["orgs"], t, "Not a member of any organisation. Create one with `wharf org create NAME`.");
  return Ok();
}

Status OrgShow(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(""));
  WHARF_ASSIGN_OR_RETURN(json o, api->Get(path));
  env.Print(o, OrgTable(o));
  return Ok();
}

struct CreateFlags {
  std::string name, slug;
  bool use = false;
};

Status OrgCreate(Env& env, const CreateFlags& f) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  json body = {{"name", f.name}};
  if (!f.slug.empty()) body["slug"] = f.slug;
  WHARF_ASSIGN_OR_RETURN(json o, api->Post("/api/v1/orgs", body));
  std::string note;
  if (f.use) {
    WHARF_ASSIGN_OR_RETURN(Context * ctx, env.context());
    if (ctx) {
      ctx->org = o.value("slug", "");
      WHARF_TRY(env.SaveConfig());
      note = " It is now this context's default org.";
    }
  }
  env.Done(o, "Created org " + o.value("slug", "") + " (" + o.value("name", "") + ")." + note);
  return Ok();
}

Status OrgRename(Env& env, const std::string& name) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(""));
  WHARF_ASSIGN_OR_RETURN(json o, api->Patch(path, {{"name", name}}));
  env.Done(o, "Renamed org " + o.value("slug", "") + " to " + o.value("name", "") + ".");
  return Ok();
}

// The owner deletes an org; --confirm must repeat its slug (the server checks it too).
Status OrgDelete(Env& env, const std::string& confirm) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string org, env.org());
  if (confirm != org) return UsageError("Pass --confirm " + org + " to delete the organisation " + org + ".");
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(""));
  WHARF_TRY(api->Call("DELETE", path, json{{"confirm", confirm}}));
  env.Done(json{{"deleted", org}}, "Deleted the organisation " + org + ".");
  return Ok();
}

Status OrgTransfer(Env& env, const std::string& user) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(auto members, env.ListOrg("/members"));
  WHARF_ASSIGN_OR_RETURN(json m, FindRow(members, user, "/user/id", "/user/email", "member", "wharf member list"));
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/transfer-ownership"));
  WHARF_ASSIGN_OR_RETURN(json o, api->Post(path, {{"user_id", m["user"]["id"]}}));
  env.Done(o, "Transferred ownership of " + o.value("slug", "") + " to " + m["user"].value("email", "") + ".");
  return Ok();
}

// The instance administrator's seat limit for an org (0 = unlimited).
Status OrgSeatLimit(Env& env, int limit) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string org, env.org());
  WHARF_ASSIGN_OR_RETURN(json o, api->Patch("/api/v1/admin/orgs/" + EncodeComponent(org), {{"seat_limit", limit}}));
  env.Done(o, "Seat limit of " + o.value("slug", "") + " is now " + (limit == 0 ? std::string("unlimited") : std::to_string(limit)) +
                  " (" + std::to_string(o.value("seats_used", 0)) + " used).");
  return Ok();
}

Status OrgUse(Env& env, const std::string& slug) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json o, api->Get("/api/v1/orgs/" + EncodeComponent(slug)));
  WHARF_ASSIGN_OR_RETURN(Context * ctx, env.context());
  if (!ctx) return UsageError("`wharf org use` saves the default org in a context; sign in with `wharf login URL` first.");
  ctx->org = slug;
  WHARF_TRY(env.SaveConfig());
  env.Done(o, "Commands in context " + ctx->name + " now use org " + slug + ".");
  return Ok();
}

}  // namespace

void AddOrgCommands(Registry& r) {
  CLI::App* g = r.Group("org", "Organisations: list, create, rename, transfer ownership", "wharf org create Acme --slug acme");
  r.Command(g, "list", "List the organisations you belong to", "wharf org list -o json", Scope::kUser,
            [](Env& env) { return OrgList(env); });
  r.Command(g, "show", "Show an organisation (seats used and limit)", "wharf org show --org acme", Scope::kOrg,
            [](Env& env) { return OrgShow(env); });
  {
    auto f = std::make_shared<CreateFlags>();
    CLI::App* c = r.Command(g, "create", "Create an organisation; you become its owner and Admin",
                            "wharf org create \"Acme Inc\" --slug acme --use", Scope::kUser,
                            [f](Env& env) { return OrgCreate(env, *f); });
    c->add_option("name", f->name, "Display name")->required();
    c->add_option("--slug", f->slug, "URL name: 3-40 of a-z, 0-9 and - (default: from the name)");
    c->add_flag("--use", f->use, "Make it the current context's default org");
  }
  {
    auto name = std::make_shared<std::string>();
    r.Command(g, "rename", "Rename an organisation (Admin)", "wharf org rename \"Acme Corp\" --org acme", Scope::kOrg,
              [name](Env& env) { return OrgRename(env, *name); })
        ->add_option("name", *name, "New display name")
        ->required();
  }
  {
    auto user = std::make_shared<std::string>();
    r.Command(g, "transfer", "Transfer ownership to an Admin member (owner only)",
              "wharf org transfer grace@example.com --org acme", Scope::kOrg,
              [user](Env& env) { return OrgTransfer(env, *user); })
        ->add_option("member", *user, "The new owner's email or user id")
        ->required();
  }
  {
    auto confirm = std::make_shared<std::string>();
    r.Command(g, "delete", "Delete an organisation (owner; refused while servers or applications remain)",
              "wharf org delete --org acme --confirm acme", Scope::kOrg,
              [confirm](Env& env) { return OrgDelete(env, *confirm); })
        ->add_option("--confirm", *confirm, "The organisation's slug, typed again");
  }
  {
    auto limit = std::make_shared<int>(0);
    r.Command(g, "set-seat-limit", "Set how many seats (members + pending invitations) an org may use; 0 = unlimited (instance administrator)",
              "wharf org set-seat-limit 25 --org acme", Scope::kOrg, [limit](Env& env) { return OrgSeatLimit(env, *limit); })
        ->add_option("limit", *limit, "Seats (0 = unlimited)")
        ->required()
        ->check(CLI::NonNegativeNumber);
  }
  {
    auto slug = std::make_shared<std::string>();
    r.Command(g, "use", "Make an org the default for commands in this context", "wharf org use acme", Scope::kUser,
              [slug](Env& env) { return OrgUse(env, *slug); })
        ->add_option("slug", *slug, "Organisation slug")
        ->required();
  }
}

}  // namespace wharf::cli
