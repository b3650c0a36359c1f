// wharf role … | member … | invite …: the permission matrix, the team and its invitations.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/command.h"
#include "cli/prompt.h"
#include "cli/permission_flags.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Summary(const json& permissions) {
  std::string s;
  for (const auto& row : DescribePermissions(permissions)) {
    s += (s.empty() ? "" : " ") + row.collection + ":" + row.letters;
    if (row.read_scope == "own") s += "(own)";
  }
  return s;
}

Result<json> FindRole(Env& env, const std::string& ref) {
  auto roles = env.ListOrg("/roles");
  if (!roles) {
    Error e = roles.error();
    if (e.code == ErrorCode::kForbidden)
      e.message = "Finding the role '" + ref + "' by name needs roles.read; pass the role's id (rol_…) instead. " + e.message;
    return Err(std::move(e));
  }
  return FindRow(*roles, ref, "/id", "/name", "role", "wharf role list");
}

// For assigning a role: an id (rol_…) is used as given, so assigning needs no roles.read.
Result<json> RoleForAssignment(Env& env, const std::string& ref) {
  if (ref.rfind("rol_", 0) == 0) return json{{"id", ref}, {"name", ref}};
  return FindRole(env, ref);
}

Result<json> FindMember(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto members, env.ListOrg("/members"));
  return FindRow(members, ref, "/user/id", "/user/email", "member", "wharf member list");
}

Result<json> FindInvitation(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto invs, env.ListOrg("/invitations"));
  return FindRow(invs, ref, "/id", "/email", "pending invitation", "wharf invite list");
}

// ---- roles ----

Status RoleList(Env& env) {
  WHARF_ASSIGN_OR_RETURN(auto roles, env.ListOrg("/roles"));
  Table t{{"NAME", "MEMBERS", "PERMISSIONS", "ID"}, {}};
  for (const json& r : roles)
    t.rows.push_back({r.value("name", ""), Cell(r.value("member_count", json(0))),
                      r.value("builtin", false) ? "everything (built in)" : Summary(r["permissions"]), r.value("id", "")});
  env.Print(roles, t);
  return Ok();
}

Status RoleShow(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json role, FindRole(env, ref));
  if (env.format() != Format::kTable) {
    env.Print(role, {});
    return Ok();
  }
  env.out() << "Role " << role.value("name", "") << " (" << role.value("id", "") << ")"
            << (role.value("builtin", false) ? ", built in: every permission" : "") << "\n";
  if (!role.value("description", "").empty()) env.out() << role.value("description", "") << "\n";
  env.out() << "Members: " << Cell(role.value("member_count", json(0))) << "\n";
  if (role.contains("resource_scope") && role["resource_scope"].is_object())
    for (auto& [k, v] : role["resource_scope"].items()) {
      std::string ids;
      for (auto& id : v) ids += (ids.empty() ? "" : ", ") + Cell(id);
      env.out() << "Only these " << k << ": " << ids << "\n";
    }
  env.out() << "\n";
  Table t{{"COLLECTION", "CREATE", "READ", "UPDATE", "DELETE", "CREATE LIMIT", "READ SCOPE"}, {}};
  for (const auto& row : DescribePermissions(role["permissions"])) {
    auto has = [&](char c) { return row.letters.find(c) != std::string::npos ? "✔" : "·"; };
    t.rows.push_back({row.collection, has('c'), has('r'), has('u'), has('d'), row.create_limit.empty() ? "-" : row.create_limit,
                      row.read_scope});
  }
  env.Print(role, t, role.value("builtin", false) ? "" : "This role grants nothing yet.");
  return Ok();
}

struct RoleFlags {
  std::string ref, name, description, from_file, reassign_to;
  bool description_set = false;
  PermissionFlags perms;
};

// The request body from --from-file and the flags (flags win for name and description).
Result<json> RoleBody(const RoleFlags& f, bool creating) {
  json body = json::object();
  if (!f.from_file.empty()) {
    if (f.perms.any_permission())
      return UsageError("Give the permissions either in --from-file or as --allow/--scope/--create-limit, not both.");
    WHARF_ASSIGN_OR_RETURN(std::string text, ReadFileArg(f.from_file, "--from-file"));
    body = json::parse(text, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return UsageError("--from-file: " + f.from_file + " must hold a JSON object like {\"name\": \"Viewer\", "
                        "\"permissions\": {\"servers\": {\"read\": true}}}");
    for (auto it = body.begin(); it != body.end();) {
      // A file saved from `wharf role show -o json` carries read-only fields; keep what the API takes.
      const std::string& k = it.key();
      if (k == "name" || k == "description" || k == "permissions" || k == "resource_scope") ++it;
      else it = body.erase(it);
    }
  }
  if (!f.name.empty()) body["name"] = f.name;
  if (f.description_set) body["description"] = f.description;
  if (f.perms.any_permission() || (creating && !body.contains("permissions"))) {
    auto perms = BuildPermissions(f.perms);
    if (!perms) return UsageError("--" + perms.error().details["fields"].begin().key() + ": " +
                                  perms.error().details["fields"].begin().value().get<std::string>());
    body["permissions"] = *perms;
  }
  if (!f.perms.resource_scope.empty()) {
    auto scope = BuildResourceScope(f.perms.resource_scope);
    if (!scope) return UsageError("--resource-scope: " + scope.error().details["fields"].begin().value().get<std::string>());
    body["resource_scope"] = *scope;
  }
  if (creating && !body.contains("name")) return UsageError("Give the role a name: `wharf role create NAME …`.");
  return body;
}

Status RoleCreate(Env& env, const RoleFlags& f) {
  WHARF_ASSIGN_OR_RETURN(json body, RoleBody(f, true));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/roles"));
  WHARF_ASSIGN_OR_RETURN(json role, api->Post(path, body));
  env.Done(role, "Created role " + role.value("name", "") + " (" + role.value("id", "") + "): " +
                     (Summary(role["permissions"]).empty() ? "no permissions" : Summary(role["permissions"])) + ".");
  return Ok();
}

Status RoleEdit(Env& env, const RoleFlags& f) {
  WHARF_ASSIGN_OR_RETURN(json body, RoleBody(f, false));
  if (body.empty())
    return UsageError("Nothing to change: give --name, --description, --allow …, --resource-scope or --from-file.");
  WHARF_ASSIGN_OR_RETURN(json role, FindRole(env, f.ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/roles/" + EncodeComponent(role["id"].get<std::string>())));
  WHARF_ASSIGN_OR_RETURN(json updated, api->Patch(path, body));
  env.Done(updated, "Updated role " + updated.value("name", "") + ": " +
                        (Summary(updated["permissions"]).empty() ? "no permissions" : Summary(updated["permissions"])) + ".");
  return Ok();
}

Status RoleDelete(Env& env, const RoleFlags& f) {
  WHARF_ASSIGN_OR_RETURN(json role, FindRole(env, f.ref));
  std::string suffix = "/roles/" + EncodeComponent(role["id"].get<std::string>());
  if (!f.reassign_to.empty()) {
    WHARF_ASSIGN_OR_RETURN(json to, FindRole(env, f.reassign_to));
    suffix += "?reassign_to=" + EncodeComponent(to["id"].get<std::string>());
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(suffix));
  WHARF_TRY(api->Delete(path));
  env.Done(json{{"deleted", role["id"]}}, "Deleted role " + role.value("name", "") + ".");
  return Ok();
}

void AddRoleFlags(CLI::App* c, RoleFlags& f) {
  c->add_option("--allow", f.perms.allow,
                "COLLECTION:LETTERS, repeatable; letters from c r u d (servers:cru, team:r, '*:r' for read-everything)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--scope", f.perms.scope, "COLLECTION=own|all: `own` reaches only rows the member created")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--create-limit", f.perms.create_limit, "COLLECTION=N: at most N rows created per member (0 = unlimited)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--resource-scope", f.perms.resource_scope, "applications=ID[,ID] or servers=ID[,ID]: only these rows")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--from-file", f.from_file, "Read {name, description, permissions, resource_scope} from a JSON file (- = stdin)");
  c->add_option("--description", f.description, "What the role is for")->each([&f](const std::string&) {
    f.description_set = true;
  });
}

// ---- members ----

Table MemberTable(const std::vector<json>& members) {
  Table t{{"EMAIL", "NAME", "ROLE", "OWNER", "JOINED", "USER ID"}, {}};
  for (const json& m : members)
    t.rows.push_back({m["user"].value("email", ""), m["user"].value("name", ""), m["role"].value("name", ""),
                      m.value("owner", false) ? "yes" : "", Cell(m.value("joined_at", json())), m["user"].value("id", "")});
  return t;
}

Status MemberList(Env& env) {
  WHARF_ASSIGN_OR_RETURN(auto members, env.ListOrg("/members"));
  env.Print(members, MemberTable(members));
  return Ok();
}

Status MemberSetRole(Env& env, const std::string& user, const std::string& role_ref) {
  WHARF_ASSIGN_OR_RETURN(json m, FindMember(env, user));
  WHARF_ASSIGN_OR_RETURN(json role, RoleForAssignment(env, role_ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/members/" + EncodeComponent(m["user"]["id"].get<std::string>())));
  WHARF_ASSIGN_OR_RETURN(json updated, api->Patch(path, {{"role_id", role["id"]}}));
  env.Done(updated, m["user"].value("email", "") + " now has the role " + updated["role"].value("name", "") + ".");
  return Ok();
}

Status MemberRemove(Env& env, const std::string& user) {
  WHARF_ASSIGN_OR_RETURN(json m, FindMember(env, user));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/members/" + EncodeComponent(m["user"]["id"].get<std::string>())));
  WHARF_TRY(api->Delete(path));
  env.Done(json{{"removed", m["user"]["id"]}}, "Removed " + m["user"].value("email", "") + " from the org.");
  return Ok();
}

Status MemberLeave(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json me, api->Get("/api/v1/me"));
  WHARF_ASSIGN_OR_RETURN(std::string slug, env.org());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/members/" + EncodeComponent(me["user"]["id"].get<std::string>())));
  WHARF_TRY(api->Delete(path));
  WHARF_ASSIGN_OR_RETURN(Context * ctx, env.context());
  if (ctx && ctx->org == slug) {
    ctx->org.clear();
    WHARF_TRY(env.SaveConfig());
  }
  env.Done(json{{"left", slug}}, "You left " + slug + ".");
  return Ok();
}

// ---- invitations ----

struct InviteFlags {
  std::string email, role, ref;
  bool copy_link = false, no_email = false;
};

void ReportEmail(Env& env, const json& v) {
  std::string st = v.value("email_status", "");
  if (st == "failed")
    env.err() << "wharf: warning: the invitation email could not be sent (" << v.value("email_error", "unknown error")
              << "); share the link instead: `wharf invite link " << v.value("email", v.value("id", "")) << "`.\n";
}

Status Invite(Env& env, const InviteFlags& f) {
  if (f.email.empty()) return UsageError("Give the email to invite: `wharf invite EMAIL --role ROLE`.");
  if (f.role.empty()) return UsageError("Give the role: `wharf invite " + f.email + " --role ROLE` (see `wharf role list`).");
  WHARF_ASSIGN_OR_RETURN(json role, RoleForAssignment(env, f.role));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/invitations"));
  WHARF_ASSIGN_OR_RETURN(json inv, api->Post(path, {{"email", f.email}, {"role_id", role["id"]}, {"send_email", !f.no_email}}));
  if (env.format() != Format::kTable) {
    env.Print(inv, {});
    return Ok();
  }
  env.out() << "Invited " << inv.value("email", "") << " as " << inv["role"].value("name", role.value("name", ""))
            << " (email: " << inv.value("email_status", "") << ", expires " << inv.value("expires_at", "") << ").\n";
  if (f.copy_link) env.out() << inv.value("link", "") << "\n";
  ReportEmail(env, inv);
  return Ok();
}

Status InviteList(Env& env) {
  WHARF_ASSIGN_OR_RETURN(auto invs, env.ListOrg("/invitations"));
  Table t{{"EMAIL", "ROLE", "STATUS", "EMAIL STATUS", "EXPIRES", "ID"}, {}};
  for (const json& i : invs)
    t.rows.push_back({i.value("email", ""), i.contains("role") ? i["role"].value("name", "") : "", i.value("status", ""),
                      i.value("email_status", ""), i.value("expires_at", ""), i.value("id", "")});
  env.Print(invs, t, "No pending invitations.");
  return Ok();
}

Status InviteAction(Env& env, const std::string& ref, const std::string& action) {
  WHARF_ASSIGN_OR_RETURN(json inv, FindInvitation(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  const std::string id = inv["id"].get<std::string>();
  if (action == "revoke") {
    WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/invitations/" + EncodeComponent(id)));
    WHARF_TRY(api->Delete(path));
    env.Done(json{{"revoked", id}}, "Revoked the invitation for " + inv.value("email", "") + ".");
    return Ok();
  }
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/invitations/" + EncodeComponent(id) + "/" + action));
  WHARF_ASSIGN_OR_RETURN(json r, api->Post(path));
  if (action == "link") {
    // The link is the output: plain on stdout so `$(wharf invite link …)` captures just it.
    env.Done(r, r.value("link", ""));
    return Ok();
  }
  r["email"] = inv.value("email", "");
  env.Done(r, "Sent the invitation to " + inv.value("email", "") + " again (email: " + r.value("email_status", "") + ").");
  ReportEmail(env, r);
  return Ok();
}

// An invitation given as its token or as the link from the email (https://host/invite/TOKEN).
struct InviteRef {
  std::string base;  // the link's origin, "" for a bare token
  std::string token;
};
InviteRef ParseInviteRef(const std::string& ref) {
  const auto at = ref.find("/invite/");
  if (at == std::string::npos) return {"", ref};
  std::string token = ref.substr(at + 8);
  if (auto q = token.find_first_of("?#/"); q != std::string::npos) token.resize(q);
  return {ref.substr(0, at), token};
}

// Reads an invitation without consuming it (no sign-in needed for a full link).
Status InviteShow(Env& env, const std::string& ref) {
  InviteRef in = ParseInviteRef(ref);
  if (in.token.empty()) return UsageError("Give the invitation link (https://…/invite/TOKEN) or its token.");
  std::optional<ApiClient> anon;
  ApiClient* api = nullptr;
  if (!in.base.empty()) {
    anon.emplace(in.base, "");
    api = &*anon;
  } else {
    WHARF_ASSIGN_OR_RETURN(api, env.api());
  }
  WHARF_ASSIGN_OR_RETURN(json v, api->Get("/api/v1/invitations/" + EncodeComponent(in.token)));
  Table t{{"ORG", "ROLE", "EMAIL", "EXPIRES"},
          {{v["org"].value("name", "") + " (" + v["org"].value("slug", "") + ")", v["role"].value("name", ""), v.value("email", ""),
            v.value("expires_at", "")}}};
  env.Print(v, t);
  if (env.format() == Format::kTable) env.out() << "Join with `wharf invite accept " << ref << "` (signed in as " << v.value("email", "") << ").\n";
  return Ok();
}

struct AcceptFlags {
  std::string ref, name;
  bool new_account = false, password_stdin = false;
};

// The context a new account's sign-in goes to: --context when it is free or already this
// account's, else one named after the account (its email, "-2"… when that name is taken by
// another server). Never another account's context: a later `member leave` there would act as
// the wrong user.
Result<std::string> NewAccountContext(Env& env, const std::string& url, const std::string& email) {
  WHARF_ASSIGN_OR_RETURN(Config * cfg, env.config());
  auto mine = [&](const Context* c) { return !c || (c->url == url && c->email == email); };
  if (const std::string& wanted = env.flags().context; !wanted.empty()) {
    const Context* c = cfg->Find(wanted);
    if (!mine(c))
      return UsageError("The context '" + wanted + "' is signed in as " + (c->email.empty() ? "another account" : c->email) +
                        "; nothing was created. Pick another --context, or leave it out to use '" + email + "'.");
    return wanted;
  }
  std::string name = email;
  for (int n = 2; !mine(cfg->Find(name)); ++n) name = email + "-" + std::to_string(n);
  return name;
}

// No account yet: sign up with the invitation (one request creates the account and joins), then
// save the sign-in as a context, as `wharf login` would.
Status AcceptWithNewAccount(Env& env, const AcceptFlags& f, const InviteRef& in) {
  std::string url = in.base;
  if (url.empty()) {
    if (const char* v = std::getenv("WHARF_URL"); v && *v) url = v;
  }
  if (url.empty()) {
    WHARF_ASSIGN_OR_RETURN(Context * ctx, env.context());
    if (ctx) url = ctx->url;
  }
  if (url.empty()) return UsageError("Give the whole invitation link (https://…/invite/TOKEN): it says which server to join.");
  ApiClient anon(url, "");
  WHARF_ASSIGN_OR_RETURN(json inv, anon.Get("/api/v1/invitations/" + EncodeComponent(in.token)));
  const std::string email = inv.value("email", "");
  const std::string slug = inv.contains("org") ? inv["org"].value("slug", "") : "";
  WHARF_ASSIGN_OR_RETURN(std::string context, NewAccountContext(env, url, email));
  std::string name = f.name;
  if (name.empty()) {
    if (env.format() == Format::kTable && !f.password_stdin)
      env.err() << "Creating an account for " << email << " to join " << slug << ".\n";
    WHARF_ASSIGN_OR_RETURN(name, PromptLine("Your name: "));
  }
  SecretBytes password;
  if (f.password_stdin) {
    WHARF_ASSIGN_OR_RETURN(password, ReadSecretLine(stdin));
  } else {
    WHARF_ASSIGN_OR_RETURN(password, PromptPassword("Choose a password (at least 10 characters): "));
    WHARF_ASSIGN_OR_RETURN(SecretBytes again, PromptPassword("Repeat the password: "));
    if (again.view() != password.view()) return UsageError("The two passwords differ; nothing was created. Run the command again.");
  }
  json body = {{"email", email}, {"password", std::string(password.view())}, {"name", name}, {"invitation_token", in.token}};
  auto r = anon.Post("/api/v1/auth/signup", body);
  std::string& pw = body["password"].get_ref<std::string&>();
  std::fill(pw.begin(), pw.end(), '\0');
  if (!r) return Err(r.error());
  const std::string token = r->value("token", "");
  if (token.empty()) return Err(ErrorCode::kInternal, "The server's signup answer has no token; is this a Wharf server?");
  WHARF_ASSIGN_OR_RETURN(SignIn s, SaveSignIn(env, url, token, slug, context));
  json out = {{"context", s.context}, {"url", url}, {"user", (*r)["user"]}, {"org", inv["org"]}, {"role", inv["role"]}};
  env.Done(out, "Created the account " + email + " and joined " + inv["org"].value("name", "") + " (" + slug + ") as " +
                    inv["role"].value("name", "") + ". Signed in (context " + s.context + ", org " + s.org + ").");
  return Ok();
}

Status InviteAccept(Env& env, const AcceptFlags& f) {
  InviteRef in = ParseInviteRef(f.ref);
  if (in.token.empty()) return UsageError("Give the invitation link (https://…/invite/TOKEN) or its token.");
  if (f.new_account) return AcceptWithNewAccount(env, f, in);
  if (f.password_stdin || !f.name.empty()) return UsageError("--name and --password-stdin are for --new-account.");
  auto signed_in = env.api();
  if (!signed_in && signed_in.error().code == ErrorCode::kUnauthenticated) {
    Error e = signed_in.error();
    e.message += " No account yet? `wharf invite accept LINK --new-account` creates one and joins.";
    return Err(std::move(e));
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, std::move(signed_in));
  WHARF_ASSIGN_OR_RETURN(json v, api->Post("/api/v1/invitations/" + EncodeComponent(in.token) + "/accept"));
  env.Done(v, "Joined " + v["org"].value("name", "") + " (" + v["org"].value("slug", "") + ") as " + v["role"].value("name", "") +
                  ". Use it with `--org " + v["org"].value("slug", "") + "` or `wharf org use " + v["org"].value("slug", "") + "`.");
  return Ok();
}

}  // namespace

void AddTeamCommands(Registry& r) {
  {
    CLI::App* g = r.Group("role", "Roles: the permission matrix (Create/Read/Update/Delete per collection)",
                          "wharf role create Developer --allow services:cru --allow servers:r");
    r.Command(g, "list", "List roles with member counts", "wharf role list -o json", Scope::kOrg,
              [](Env& env) { return RoleList(env); });
    auto show = std::make_shared<std::string>();
    CLI::App* show_cmd = r.Command(g, "show", "Show a role's permission matrix (alias: get)",
                                   "wharf role show Developer -o json > role.json", Scope::kOrg,
                                   [show](Env& env) { return RoleShow(env, *show); });
    show_cmd->add_option("role", *show, "Role name or id")->required();
    show_cmd->alias("get");  // the verb other tools use; `get -o json` output feeds `create --from-file`
    auto cf = std::make_shared<RoleFlags>();
    CLI::App* create = r.Command(
        g, "create", "Create a custom role (you can grant only permissions you hold)",
        "wharf role create Developer --allow services:cru --allow servers:r --scope servers=own --create-limit servers=3\n"
        "  wharf role create --from-file role.json",
        Scope::kOrg, [cf](Env& env) { return RoleCreate(env, *cf); });
    create->add_option("name", cf->name, "Role name (or give it in --from-file)");
    AddRoleFlags(create, *cf);
    auto ef = std::make_shared<RoleFlags>();
    CLI::App* edit = r.Command(g, "edit", "Change a custom role; --allow … replaces the whole matrix",
                               "wharf role edit Developer --allow services:crud --allow servers:r", Scope::kOrg,
                               [ef](Env& env) { return RoleEdit(env, *ef); });
    edit->add_option("role", ef->ref, "Role name or id")->required();
    edit->add_option("--name", ef->name, "New name");
    AddRoleFlags(edit, *ef);
    auto df = std::make_shared<RoleFlags>();
    CLI::App* del = r.Command(g, "delete", "Delete a custom role", "wharf role delete Contractor --reassign-to Viewer",
                              Scope::kOrg, [df](Env& env) { return RoleDelete(env, *df); });
    del->add_option("role", df->ref, "Role name or id")->required();
    del->add_option("--reassign-to", df->reassign_to, "Move its members to this role first");
  }
  {
    CLI::App* g = r.Group("member", "Members of an organisation and their roles", "wharf member set-role ada@example.com Developer");
    r.Command(g, "list", "List members with their roles", "wharf member list -o json", Scope::kOrg,
              [](Env& env) { return MemberList(env); });
    auto user = std::make_shared<std::string>(), role = std::make_shared<std::string>();
    CLI::App* set = r.Command(g, "set-role", "Change a member's role (takes effect on their next request)",
                              "wharf member set-role ada@example.com Viewer", Scope::kOrg,
                              [user, role](Env& env) { return MemberSetRole(env, *user, *role); });
    set->add_option("member", *user, "Email or user id")->required();
    set->add_option("role", *role, "Role name or id")->required();
    auto rm = std::make_shared<std::string>();
    r.Command(g, "remove", "Remove a member from the org", "wharf member remove ada@example.com", Scope::kOrg,
              [rm](Env& env) { return MemberRemove(env, *rm); })
        ->add_option("member", *rm, "Email or user id")
        ->required();
    r.Command(g, "leave", "Leave the org yourself", "wharf member leave --org acme", Scope::kOrg,
              [](Env& env) { return MemberLeave(env); });
  }
  {
    auto f = std::make_shared<InviteFlags>();
    CLI::App* inv = r.Command(nullptr, "invite", "Invite someone by email, and manage pending invitations",
                              "wharf invite grace@example.com --role Developer --copy-link\n"
                              "  wharf invite list\n  wharf invite revoke grace@example.com",
                              Scope::kOrg, [f](Env& env) { return Invite(env, *f); });
    inv->add_option("email", f->email, "Email address to invite");
    inv->add_option("--role", f->role, "Role name or id for the new member");
    inv->add_flag("--copy-link", f->copy_link, "Also print the invitation link, to share it yourself");
    inv->add_flag("--no-email", f->no_email, "Do not send the email (share the link instead)");
    inv->require_subcommand(0, 1);
    r.Command(inv, "list", "List pending invitations", "wharf invite list -o json", Scope::kOrg,
              [](Env& env) { return InviteList(env); });
    for (const char* action : {"link", "resend", "revoke"}) {
      auto ref = std::make_shared<std::string>();
      std::string a = action;
      const char* desc = a == "link"     ? "Print a fresh invitation link (earlier links stop working)"
                         : a == "resend" ? "Email the invitation again with a fresh link"
                                         : "Revoke a pending invitation";
      r.Command(inv, a, desc, "wharf invite " + a + " grace@example.com", Scope::kOrg,
                [ref, a](Env& env) { return InviteAction(env, *ref, a); })
          ->add_option("invitation", *ref, "Invited email or invitation id")
          ->required();
    }
    // The invitee's side: read the invitation (never consumes it), then join.
    auto show = std::make_shared<std::string>();
    r.Command(inv, "show", "Show what an invitation is for (org, role, email, expiry) without using it",
              "wharf invite show https://wharf.example.com/invite/whi_…", Scope::kLocal,
              [show](Env& env) { return InviteShow(env, *show); })
        ->add_option("link", *show, "The invitation link from the email, or its token")
        ->required();
    auto accept = std::make_shared<AcceptFlags>();
    CLI::App* acc = r.Command(inv, "accept",
                              "Join the org of an invitation: signed in as the invited email, or with --new-account",
                              "wharf invite accept https://wharf.example.com/invite/whi_…\n"
                              "  wharf invite accept https://wharf.example.com/invite/whi_… --new-account --name Grace",
                              Scope::kUser, [accept](Env& env) { return InviteAccept(env, *accept); });
    acc->add_option("link", accept->ref, "The invitation link from the email, or its token")->required();
    acc->add_flag("--new-account", accept->new_account,
                  "No account yet: create one for the invited email (asks for a password, not echoed), join, and sign in");
    acc->add_option("--name", accept->name, "With --new-account: your display name (else asked)");
    acc->add_flag("--password-stdin", accept->password_stdin, "With --new-account: read the password from stdin's first line");
  }
}

}  // namespace wharf::cli
