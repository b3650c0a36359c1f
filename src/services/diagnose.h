// The troubleshooting assistant: runs the checks of the layer a resource belongs to (server,
// invitation, git provider, registry, backup storage, cloud account), or classifies pasted error
// text and then runs the checks of the resource given with it.
//
//   auto d = svc.diagnose().Diagnose(p, {.server_id = srv}, ctx);
//   for (auto& item : d->checklist) show(item.name, item.status, item.fix);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"
#include "services/integrations.h"
#include "services/servers.h"
#include "services/registries.h"
#include "services/git_providers.h"
#include "services/backup_storage.h"
#include "services/cloud_accounts.h"

namespace wharf::services {

struct DiagnoseInput {
  std::optional<std::string> server_id, invitation_id, error_text;
  std::optional<std::string> git_provider_id, repository, branch;  // webhook checklist; with repository: reach checks
  std::optional<std::string> docker_registry_id, image;  // a registry's pull check for `image`
  std::optional<std::string> backup_storage_id;          // a backup storage's verify checklist
  std::optional<std::string> cloud_account_id, region;   // a cloud account's verify (in `region`)
};

struct ChecklistItem {
  std::string name, status;  // passed, failed, not_applicable
  std::string evidence, fix;
  std::string layer;  // a failed item's own layer, when it has one (cloud accounts)
};

struct Diagnosis {
  std::string layer, title, subject, page, not_this, matched;
  std::vector<std::string> causes;
  std::vector<ChecklistItem> checklist;
};

class Diagnostics : public Feature {
 public:
  Diagnostics(Core& core, Integrations& integrations, Servers& servers, Registries& registries, GitProviders& git_providers, BackupStorage& backup_storage, CloudAccounts& cloud_accounts);

  // Runs the matching layer's checks for a resource, or classifies pasted error text (and then
  // runs the checks of the resource given with it). Needs read access to what it looks at.
  Result<Diagnosis> Diagnose(const authz::Principal& p, DiagnoseInput in, const RequestContext& ctx);
  Status DiagnoseGitProvider(const authz::Principal& p, const DiagnoseInput& in, Diagnosis& d, const RequestContext& ctx);

 private:
  Integrations& integrations_;
  Servers& servers_;
  Registries& registries_;
  GitProviders& git_providers_;
  BackupStorage& backup_storage_;
  CloudAccounts& cloud_accounts_;
};

}  // namespace wharf::services
