#include "server/admin_users.h"

#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "base/strings.h"
#include "server/admin_errors.h"

namespace wharf::server {

namespace {

std::string Status(const domain::User& u) {
  if (u.disabled_at) return "disabled";
  if (!u.email_verified) return "unverified";
  return "active";
}

const services::RequestContext kCtx{"admin-cli", "local", "wharf admin"};

}  // namespace

std::unique_ptr<AdminUsersCommands> AddAdminUsersCommands(CLI::App& admin,
                                                          const std::function<void(CLI::App*)>& add_common) {
  auto c = std::unique_ptr<AdminUsersCommands>(new AdminUsersCommands());
  auto* users = admin.add_subcommand("users", "List, disable, enable, verify or delete accounts");
  users->require_subcommand(1);
  users->footer("Example:\n  wharf admin users list --data-dir /var/lib/wharf\n"
                "  wharf admin users disable mallory@example.com --data-dir /var/lib/wharf");
  c->list_ = users->add_subcommand("list", "Every account: id, email, name, status, instance administrator");
  c->list_->add_flag("--json", c->json_, "One JSON object per line");
  struct Target {
    CLI::App** cmd;
    const char* name;
    const char* help;
  };
  for (auto t : {Target{&c->disable_, "disable", "Disable an account: every session and API token ends at once"},
                 Target{&c->enable_, "enable", "Enable a disabled account"},
                 Target{&c->verify_, "verify", "Mark an account's address verified (no SMTP to send a link)"},
                 Target{&c->delete_, "delete", "Delete an account (refused while it owns an organisation)"}}) {
    *t.cmd = users->add_subcommand(t.name, t.help);
    (*t.cmd)->add_option("account", c->who_, "Email or user id")->required();
  }
  c->delete_->add_flag("--yes", c->yes_, "Do not ask for confirmation")->required();
  c->reset_ = admin.add_subcommand("reset-password",
                                   "Email (with WHARF_SMTP_URL) or print a one-time password-reset link (1 hour) for an account");
  c->reset_->add_flag("--print", c->print_, "Print the link even when SMTP is configured (it is not emailed then)");
  c->reset_->add_option("email", c->who_, "The account's email")->required();
  c->reset_->add_option("--public-url", c->public_url_,
                        "The address users open Wharf at (default: env WHARF_PUBLIC_URL)");
  c->reset_->footer("Example:\n  wharf admin reset-password ada@example.com --data-dir /var/lib/wharf "
                    "--public-url https://wharf.example.com\nWith WHARF_SMTP_URL set (the server's SMTP setting) the "
                    "link goes to the account's address; otherwise it is printed: hand it to its owner over a channel "
                    "you trust. It works once, and a password change voids it.");
  for (CLI::App* cmd : {c->list_, c->disable_, c->enable_, c->verify_, c->delete_, c->reset_}) add_common(cmd);
  return c;
}

std::optional<int> AdminUsersCommands::Run(const WithServices& with) {
  if (list_->parsed())
    return with(list_, [&](services::Services& svc) {
      auto us = svc.account().ListUsers();
      if (!us) return AdminFail(us.error());
      if (!json_) std::cout << std::left << std::setw(28) << "ID" << std::setw(36) << "EMAIL" << std::setw(24) << "NAME"
                            << std::setw(12) << "STATUS" << "ADMIN\n";
      for (auto& u : *us) {
        if (json_) {
          std::cout << nlohmann::json{{"id", u.id}, {"email", u.email}, {"name", u.name}, {"status", Status(u)},
                                      {"instance_admin", u.instance_admin}}.dump()
                    << "\n";
          continue;
        }
        std::cout << std::left << std::setw(28) << u.id << std::setw(36) << u.email << std::setw(24) << u.name
                  << std::setw(12) << Status(u) << (u.instance_admin ? "yes" : "") << "\n";
      }
      return 0;
    });
  for (CLI::App* cmd : {disable_, enable_, verify_}) {
    if (!cmd->parsed()) continue;
    return with(cmd, [&](services::Services& svc) {
      auto u = cmd == verify_ ? svc.account().MarkVerified(who_, "operator", kCtx)
                              : svc.account().SetDisabled(who_, cmd == disable_, "operator", kCtx);
      if (!u) return AdminFail(u.error());
      if (cmd == disable_)
        std::cout << "Disabled " << u->email << ": every session and API token of the account ended.\n";
      else if (cmd == enable_)
        std::cout << "Enabled " << u->email << ". Its old sessions and tokens stay ended; it signs in again.\n";
      else
        std::cout << "Marked " << u->email << " verified.\n";
      return 0;
    });
  }
  if (delete_->parsed())
    return with(delete_, [&](services::Services& svc) {
      if (auto st = svc.account().DeleteUser(who_, "operator", kCtx); !st) return AdminFail(st.error());
      std::cout << "Deleted the account " << who_ << ": its memberships, sessions and API tokens are gone.\n";
      return 0;
    });
  if (reset_->parsed()) {
    if (public_url_.empty())
      if (const char* v = std::getenv("WHARF_PUBLIC_URL"); v && *v) public_url_ = v;
    while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
    return with(reset_, [&](services::Services& svc) {
      if (!public_url_.empty()) svc.SetPublicUrl(public_url_);
      const bool mail = svc.email_enabled() && !print_;
      if (mail && public_url_.empty())  // the services' default (127.0.0.1:8080) is no address to mail
        return AdminFail(FieldError("public-url", "is needed to email a link: pass --public-url or set WHARF_PUBLIC_URL "
                                             "(or --print to print the link instead)")
                        .value());
      auto token = svc.account().OperatorResetLink(who_, "operator", kCtx, mail);
      if (!token) return AdminFail(token.error());
      if (mail) {
        std::cout << "Emailed a one-time reset link to " << who_ << ". It works once, for one hour; setting the "
                     "password ends every session.\n";
        return 0;
      }
      const std::string path = services::AccountLinkPath(domain::AccountTokenKind::kPasswordReset, token->view());
      if (public_url_.empty())
        std::cout << "One-time reset link (append to the address users open Wharf at): " << path << "\n";
      else
        std::cout << public_url_ << path << "\n";
      std::cerr << "It works once, for one hour; hand it over privately. Setting the password ends every session.\n";
      return 0;
    });
  }
  return std::nullopt;
}

}  // namespace wharf::server
