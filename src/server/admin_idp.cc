#include "server/admin_idp.h"

#include <unistd.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "base/strings.h"
#include "server/admin_errors.h"
#include "cli/prompt.h"

namespace wharf::server {

namespace {

const services::RequestContext kCtx{"admin-cli", "local", "wharf admin idp"};

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

nlohmann::json ProviderJson(const services::IdentityProviderView& v) {
  nlohmann::json maps = nlohmann::json::array();
  for (auto& m : v.mappings) maps.push_back({{"claim", m.claim}, {"value", m.value}, {"org", m.org}, {"role_id", m.role_id}});
  return {{"id", v.id}, {"name", v.name}, {"display_name", v.display_name}, {"issuer", v.issuer},
          {"client_id", v.client_id}, {"client_secret", {{"set", v.client_secret_set}}}, {"scopes", v.scopes},
          {"allowed_domains", v.allowed_domains}, {"mappings", maps}, {"callback_url", v.callback_url}};
}

void PrintProvider(const services::IdentityProviderView& v, bool json) {
  if (json) {
    std::cout << ProviderJson(v).dump() << "\n";
    return;
  }
  std::cout << v.name << " (" << v.display_name << ")\n  issuer:     " << v.issuer << "\n  client id:  " << v.client_id
            << "\n  secret:     " << (v.client_secret_set ? "set" : "none (public client)") << "\n  scopes:     "
            << Join(v.scopes, " ") << "\n  domains:    " << (v.allowed_domains.empty() ? "any" : Join(v.allowed_domains, ", "))
            << "\n  callback:   " << v.callback_url << "\n";
  for (auto& m : v.mappings)
    std::cout << "  mapping:    " << m.claim << " = " << m.value << " → " << m.org << " role " << m.role_id << "\n";
}

// The provider named `name` (its id is what the use cases take).
Result<std::string> IdOf(services::Services& svc, const std::string& name) {
  WHARF_ASSIGN_OR_RETURN(auto ps, svc.sso().ListProviders(services::Sso::Operator()));
  for (auto& p : ps)
    if (p.name == name || p.id == name) return p.id;
  return Err(ErrorCode::kNotFound, "No identity provider is called " + name + "; see `wharf admin idp list`.");
}

}  // namespace

std::unique_ptr<AdminIdpCommands> AddAdminIdpCommands(CLI::App& admin, const std::function<void(CLI::App*)>& add_common) {
  auto c = std::unique_ptr<AdminIdpCommands>(new AdminIdpCommands());
  auto* idp = admin.add_subcommand("idp", "OpenID Connect identity providers for single sign-on");
  idp->require_subcommand(1);
  idp->footer("Example:\n  wharf admin idp list --data-dir /var/lib/wharf\n"
              "  printf '%s\\n' \"$SECRET\" | wharf admin idp add corp --issuer https://login.corp.example "
              "--client-id wharf --client-secret-stdin --domain corp.example --map groups=platform:acme:rol_123 "
              "--data-dir /var/lib/wharf");
  c->list_ = idp->add_subcommand("list", "Every identity provider, its callback URL and mapping rules");
  c->list_->add_flag("--json", c->json_, "One JSON object per line (the secret only as {set})");
  c->add_ = idp->add_subcommand("add", "Add an identity provider (register its callback URL at the provider)");
  c->update_ = idp->add_subcommand("update", "Change an identity provider: only the flags given change");
  c->remove_ = idp->add_subcommand("remove", "Remove an identity provider (refused while an SSO-only org names it)");
  for (CLI::App* cmd : {c->add_, c->update_, c->remove_})
    cmd->add_option("name", c->name_, "The provider's name (the slug in /api/v1/auth/sso/NAME/start)")->required();
  for (CLI::App* cmd : {c->add_, c->update_}) {
    cmd->add_option("--display-name", c->display_name_, "What the sign-in button says (default: the name)");
    cmd->add_option("--issuer", c->issuer_, "The issuer exactly as its tokens say it (https://…, no trailing slash)");
    cmd->add_option("--client-id", c->client_id_, "The client id registered at the provider");
    cmd->add_flag("--client-secret-stdin", c->secret_stdin_,
                  "Read the client secret from the first line of stdin (prompts without echo on a terminal)");
    cmd->add_option("--scope", c->scopes_, "A scope to ask for (repeatable; openid is always asked)");
    cmd->add_option("--domain", c->domains_, "An allowed email domain (repeatable; none = any)");
    cmd->add_option("--map", c->mappings_,
                    "A mapping rule CLAIM=VALUE:ORG:ROLE_ID (repeatable; replaces the provider's rules), e.g. "
                    "groups=platform:acme:rol_123 or email_domain=corp.example:acme:rol_456");
    cmd->add_flag("--clear-mappings", c->clear_mappings_, "Remove every mapping rule");
  }
  c->update_->add_option("--rename", c->new_name_, "A new name (the callback URL changes with it)");
  c->update_->add_flag("--clear-client-secret", c->clear_secret_, "Remove the secret (a public client with PKCE)");
  c->add_->footer("Example:\n  printf '%s\\n' \"$SECRET\" | wharf admin idp add corp --display-name 'Corp SSO' "
                  "--issuer https://login.corp.example --client-id wharf --client-secret-stdin --data-dir /var/lib/wharf");
  c->update_->footer("Example:\n  wharf admin idp update corp --map groups=platform:acme:rol_123 --data-dir /var/lib/wharf");
  c->remove_->footer("Example:\n  wharf admin idp remove corp --data-dir /var/lib/wharf");
  for (CLI::App* cmd : {c->list_, c->add_, c->update_, c->remove_}) {
    add_common(cmd);
    cmd->add_option("--public-url", c->public_url_,
                    "The address users open Wharf at, for the callback URL (default: env WHARF_PUBLIC_URL)");
  }
  for (CLI::App* cmd : {c->add_, c->update_})
    cmd->add_flag("--allow-private-targets", c->allow_private_,
                  "Accept an http:// issuer, as `serve --allow-private-targets` does (env WHARF_ALLOW_PRIVATE_TARGETS)");
  return c;
}

Result<services::IdentityProviderInput> AdminIdpCommands::Input(CLI::App* cmd) {
  services::IdentityProviderInput in;
  if (cmd == add_) in.name = name_;
  if (cmd == update_ && !new_name_.empty()) in.name = new_name_;
  if (cmd->count("--display-name")) in.display_name = display_name_;
  if (cmd->count("--issuer")) in.issuer = issuer_;
  if (cmd->count("--client-id")) in.client_id = client_id_;
  if (cmd->count("--scope")) in.scopes = scopes_;
  if (cmd->count("--domain")) in.allowed_domains = domains_;
  if (secret_stdin_ && clear_secret_)
    return FieldError("client_secret", "give --client-secret-stdin or --clear-client-secret, not both");
  if (clear_secret_) in.client_secret = SecretBytes::FromString("");
  if (secret_stdin_) {
    auto s = ::isatty(STDIN_FILENO) ? cli::PromptPassword("Client secret: ") : cli::ReadSecretLine(stdin);
    if (!s || s->view().empty()) return FieldError("client_secret", "--client-secret-stdin read nothing from stdin");
    in.client_secret = std::move(*s);
  }
  if (clear_mappings_ && !mappings_.empty()) return FieldError("mappings", "give --map or --clear-mappings, not both");
  if (clear_mappings_) in.mappings = std::vector<services::SsoMapping>{};
  if (!mappings_.empty()) {
    std::vector<services::SsoMapping> maps;
    for (auto& m : mappings_) {
      // CLAIM=VALUE:ORG:ROLE_ID, split from the right: a value may hold ':' (a URL-shaped group).
      auto eq = m.find('=');
      auto r2 = m.rfind(':');
      auto r1 = r2 == std::string::npos || r2 == 0 ? std::string::npos : m.rfind(':', r2 - 1);
      if (eq == std::string::npos || r1 == std::string::npos || r1 < eq)
        return FieldError("mappings", "'" + m + "' is not CLAIM=VALUE:ORG:ROLE_ID");
      maps.push_back({m.substr(0, eq), m.substr(eq + 1, r1 - eq - 1), m.substr(r1 + 1, r2 - r1 - 1), m.substr(r2 + 1)});
    }
    in.mappings = std::move(maps);
  }
  return in;
}

std::optional<int> AdminIdpCommands::Run(const WithServices& with_store) {
  const auto op = services::Sso::Operator();
  if (public_url_.empty())
    if (const char* v = std::getenv("WHARF_PUBLIC_URL"); v && *v) public_url_ = v;
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
  if (const char* v = std::getenv("WHARF_ALLOW_PRIVATE_TARGETS"); v && (std::string(v) == "1" || std::string(v) == "true"))
    allow_private_ = true;
  auto with = [&](CLI::App* cmd, const std::function<int(services::Services&)>& fn) {
    return with_store(cmd, [&](services::Services& svc) {
      svc.SetPublicUrl(public_url_);
      svc.SetAllowPrivateTargets(allow_private_);
      return fn(svc);
    });
  };
  if (list_->parsed())
    return with(list_, [&](services::Services& svc) {
      auto ps = svc.sso().ListProviders(op);
      if (!ps) return AdminFail(ps.error());
      if (ps->empty() && !json_) std::cout << "No identity providers. Add one with `wharf admin idp add`.\n";
      for (auto& p : *ps) PrintProvider(p, json_);
      return 0;
    });
  for (CLI::App* cmd : {add_, update_}) {
    if (!cmd->parsed()) continue;
    auto in = Input(cmd);
    if (!in) return AdminFail(in.error());
    return with(cmd, [&](services::Services& svc) {
      Result<services::IdentityProviderView> v = Err(ErrorCode::kInternal, "unreachable");
      if (cmd == add_) {
        v = svc.sso().CreateProvider(op, std::move(*in), kCtx);
      } else {
        auto id = IdOf(svc, name_);
        if (!id) return AdminFail(id.error());
        v = svc.sso().UpdateProvider(op, *id, std::move(*in), kCtx);
      }
      if (!v) return AdminFail(v.error());
      PrintProvider(*v, false);
      if (cmd == add_) std::cerr << "Register the callback URL at the provider. A running server sees it at once.\n";
      return 0;
    });
  }
  if (remove_->parsed())
    return with(remove_, [&](services::Services& svc) {
      auto id = IdOf(svc, name_);
      if (!id) return AdminFail(id.error());
      if (auto st = svc.sso().DeleteProvider(op, *id, kCtx); !st) return AdminFail(st.error());
      std::cout << "Removed the identity provider " << name_ << ".\n";
      return 0;
    });
  return std::nullopt;
}

}  // namespace wharf::server
