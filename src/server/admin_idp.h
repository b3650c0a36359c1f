// `wharf admin idp list|add|update|remove`: the instance's OpenID Connect identity providers,
// managed on the data directory (or database) itself like the other admin commands, through the
// same use cases as the instance administrator's API (services::Sso), audited as "operator".
// The client secret is write-only: it is read from stdin (--client-secret-stdin), never from
// argv, and never printed; listings say only whether one is set.
//
//   auto idp = server::AddAdminIdpCommands(*admin, add_common);  // before parsing
//   if (auto code = idp->Run(with_services)) return *code;       // after parsing
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "services/services.h"

namespace wharf::server {

class AdminIdpCommands {
 public:
  using WithServices = std::function<int(CLI::App* cmd, const std::function<int(services::Services&)>& fn)>;
  std::optional<int> Run(const WithServices& with);

 private:
  friend std::unique_ptr<AdminIdpCommands> AddAdminIdpCommands(CLI::App& admin,
                                                               const std::function<void(CLI::App*)>& add_common);
  // The flags given to add/update, as a use-case input (unset flags stay unset).
  Result<services::IdentityProviderInput> Input(CLI::App* cmd);
  CLI::App* list_ = nullptr;
  CLI::App* add_ = nullptr;
  CLI::App* update_ = nullptr;
  CLI::App* remove_ = nullptr;
  std::string name_, display_name_, issuer_, client_id_, new_name_;
  std::vector<std::string> scopes_, domains_, mappings_;
  std::string public_url_;
  bool allow_private_ = false;
  bool secret_stdin_ = false, clear_secret_ = false, clear_mappings_ = false, json_ = false;
};

std::unique_ptr<AdminIdpCommands> AddAdminIdpCommands(CLI::App& admin, const std::function<void(CLI::App*)>& add_common);

}  // namespace wharf::server
