// Internal to services: what applications.cc, app_services.cc and templates.cc share. A service's
// settings prepared from input, and the sealed parts of a service row (variables, database
// credentials) opened and sealed with AD {org, "services", id, "variables" | "credentials"}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/apps.h"
#include "domain/image_ref.h"
#include "domain/variables.h"
#include "services/app_services.h"
#include "services/applications.h"

namespace wharf::services {

namespace apps {

// The git provider rows the git-providers integration keeps in the integrations table.
inline constexpr const char* kGitProvidersKind = "gitProviders";

struct Prepared {
  std::string name, type;
  nlohmann::json config = nlohmann::json::object();  // type fields; domains are added from the row
  std::optional<std::vector<VariableInput>> variables;
  std::optional<domain::ImageRef> image;
  std::string docker_registry_id, git_provider_id, repository, ref;
  std::optional<domain::DatabaseEngine> engine;
};

// Validates `in` (merged onto `existing` for an update) into settings; every error names its field.
Result<Prepared> Prepare(const ServiceInput& in, const domain::AppService* existing);

nlohmann::json Config(const domain::AppService& s);
std::vector<std::string> UnsetKeys(const domain::AppService& s);

void RandomBytes(unsigned char* out, size_t n);

// A new application's row from input (name and server_id required); the server is checked in the tx.
Result<domain::Application> NewApplication(const ApplicationInput& in);

Result<std::vector<domain::Variable>> OpenVariables(const secrets::Envelope& env, const domain::Org& org,
                                                    const domain::AppService& s);
Result<std::string> SealVariables(const secrets::Envelope& env, const domain::Org& org, const std::string& service_id,
                                  const std::vector<domain::Variable>& vars);
Result<domain::DatabaseCredentials> OpenCredentials(const secrets::Envelope& env, const domain::Org& org,
                                                    const domain::AppService& s);
Result<std::string> SealCredentials(const secrets::Envelope& env, const domain::Org& org, const std::string& service_id,
                                    const domain::DatabaseCredentials& c);
// A new database service's credentials: only the password (given to `<kind>:create --password`);
// user and database name are the plugin's, and the node's DSN replaces the row after the deploy.
domain::DatabaseCredentials NewCredentials(const domain::DatabaseEngine& e, std::string_view service_name);

// The services of one application that `p` may read (read_scope and resource_scope applied),
// plus `keep_id` (the service being edited or revealed, already authorised). A {{ svc.VAR }}
// reference reads that service's values, so the resolver is given only these whenever it acts
// for a user: a service the caller cannot read looks exactly like one not in the application.
std::vector<domain::AppService> ReadableServices(const authz::Principal& p,
                                                 std::vector<domain::AppService> all,
                                                 std::string_view keep_id);
bool MayReadService(const authz::Principal& p, const domain::AppService& s);

// The resolver's view of an application's services; `override_id`'s variables are replaced by
// `override_vars` (a service being edited, or one not inserted yet when `extra` holds it).
Result<std::vector<domain::ServiceVars>> ApplicationVars(const secrets::Envelope& env, const domain::Org& org,
                                                         const std::vector<domain::AppService>& services,
                                                         const std::string& override_id,
                                                         const std::vector<domain::Variable>* override_vars,
                                                         std::string_view application_name = {});
// A database service's built-in values (DATABASE_URL, HOST, USER, NAME, dFlow's <KIND>_URI, …)
// come from the DSN its node printed (`<kind>:info --dsn`, stored sealed by the deployment that
// created it). Before that, with `application_name`, they are the DSN the plugin prints for the
// password Wharf passes to `<kind>:create` (nodes::dokku::PluginDsn); without it, pending.
// Parses, validates keys (unique, POSIX) and generates secret() values for new input.
Result<std::vector<domain::Variable>> MaterializeInput(const std::vector<VariableInput>& in, std::string_view field);
// Gives each variable its generated values, keeping the previous ones where the spec is unchanged.
Status CarryAll(std::vector<domain::Variable>& vars);

std::vector<VariableView> Views(const std::vector<domain::Variable>& vars);

}  // namespace apps

struct PreparedService : apps::Prepared {};

}  // namespace wharf::services
