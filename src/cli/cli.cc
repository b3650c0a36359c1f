#include "cli/cli.h"

#include <iostream>

#include "cli/command.h"

namespace wharf::cli {

Client::Client(std::unique_ptr<Registry> registry) : registry_(std::move(registry)) {}
Client::~Client() = default;

std::optional<int> Client::Run() { return registry_->Run(std::cout, std::cerr); }

std::unique_ptr<Client> RegisterClientCommands(CLI::App& app) {
  auto r = std::make_unique<Registry>(app);
  AddSessionCommands(*r);
  AddOrgCommands(*r);
  AddTeamCommands(*r);
  AddTokenCommands(*r);
  AddSshKeyCommands(*r);
  AddAuditCommands(*r);
  AddServerCommands(*r);
  AddCloudCommands(*r);
  AddJobCommands(*r);
  AddBackupCommands(*r);
  AddDiagnoseCommands(*r);
  AddDeploymentCommands(*r);
  AddGitCommands(*r);
  AddBackupStorageCommands(*r);
  AddRegistryCommands(*r);
  AddAppCommands(*r);
  AddServiceCommands(*r);
  // Later capabilities add their group here (one line each).
  AddCompletionCommand(*r);  // last: it walks the whole tree when it runs
  return std::make_unique<Client>(std::move(r));
}

}  // namespace wharf::cli
