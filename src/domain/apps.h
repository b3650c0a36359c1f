// Applications and their services as plain values: the validators for names, git sources,
// ports, domains and database engines, the built-in values a database offers to references,
// and the reference rewrite templates need when they rename services.
//
//   WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateServiceName(body.name, "name"));
//   WHARF_ASSIGN_OR_RETURN(auto engine, domain::FindDatabaseEngine("postgres", "database.engine"));
//   auto builtins = domain::DatabaseBuiltins(*engine, "db", creds);  // DATABASE_URL, HOST, ...
//
// Pure functions; no I/O; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace wharf::domain {

// A service name: 2..40 of [a-z0-9-], starting with a letter, not ending with '-'. It is also the
// Dokku app name on the node and the `svc` of `{{ svc.VAR }}`.
Result<std::string> ValidateServiceName(std::string_view name, std::string_view field);

// The service types ("app" built from git, "docker" image, "database"); "git" and "image" are
// accepted as aliases of "app" and "docker".
Result<std::string> ParseServiceType(std::string_view type, std::string_view field);

// A git repository: "owner/name" (with a provider; GitLab subgroups "group/sub/name" too) or an
// HTTPS clone URL without credentials ("https://host[:port]/path[.git]").
Result<std::string> ValidateGitRepository(std::string_view repo, std::string_view field);
// A branch or tag name by `git check-ref-format --branch` rules (no "..", no spaces or control
// characters, none of ~^:?*[\, not starting with '-' or '/', not ending with '/', '.' or ".lock").
Result<std::string> ValidateGitRef(std::string_view ref, std::string_view field);
// A relative path inside the repository ("", "apps/web"): [A-Za-z0-9._/-], no "..", no leading '/'
// (one is stripped), at most 255 characters.
Result<std::string> ValidateBuildPath(std::string_view path, std::string_view field);

// A Dokku port mapping "scheme:host:container" (http, https, tcp, udp), normalised.
Result<std::string> ValidatePortMapping(std::string_view mapping, std::string_view field);

// A public hostname for a service: lower-cased RFC 1123 name with at least one dot, at most 253
// characters, each label 1..63; no IP literal, no wildcard.
Result<std::string> ValidateHostname(std::string_view host, std::string_view field);

struct DatabaseEngine {
  std::string name;             // "postgres"
  std::string scheme;           // "postgres" for postgres://
  int port = 0;                 // the engine's port inside the node's network
  std::string default_version;  // "16"
  std::vector<std::string> majors;  // supported major versions ("16", "8.0", ...)
  bool has_user = true;         // redis has no user
};
const std::vector<DatabaseEngine>& DatabaseEngines();
Result<DatabaseEngine> FindDatabaseEngine(std::string_view name, std::string_view field);
// A version of `e`: digits and dots ("16", "16.4", "8.0.39"), whose major (or major.minor for
// engines versioned that way) is supported.
Result<std::string> ValidateDatabaseVersion(const DatabaseEngine& e, std::string_view version, std::string_view field);

// A database service's credentials as the node's plugin made them: read from `<kind>:info
// <service> --dsn` (ParseDsn), never modelled. `url` empty = not read from the node yet.
struct DatabaseCredentials {
  std::string user, password, database;
  std::string url;   // the DSN exactly as the plugin prints it and links it into apps
  std::string host;  // dokku-<kind>-<service>
  int port = 0;
};
// Splits a DSN as the plugins print it: scheme://[user]:password@host:port[/database]
// (user and password percent-decoded). kValidationFailed (field `dsn`) when it is not one.
Result<DatabaseCredentials> ParseDsn(std::string_view dsn);
// What a database service offers to references, from the DSN its node printed: DATABASE_URL,
// HOST, PORT, USER, PASSWORD, NAME, and dFlow's names for the same parts
// (<KIND>_URI, <KIND>_HOST, <KIND>_PORT, <KIND>_USERNAME, <KIND>_PASSWORD, <KIND>_NAME, KIND
// being POSTGRES, MYSQL, MARIADB, MONGO or REDIS), so dFlow templates work unchanged.
// Precondition: !c.url.empty().
std::map<std::string, std::string> DatabaseBuiltins(const DatabaseEngine& e, const DatabaseCredentials& c);
// Wharf's own names DatabaseBuiltins offers, in a stable order (the dFlow aliases come on top).
const std::vector<std::string>& DatabaseBuiltinNames();

// Rewrites `{{ old.VAR }}` references in a template value to `{{ new.VAR }}` for every renamed
// service. The value must parse (it was validated when it was saved).
Result<std::string> RenameReferences(std::string_view value, const std::map<std::string, std::string>& renamed);

// The first of name, name-2, name-3, … that is not in `taken` (kept at most 40 characters).
std::string UniqueServiceName(std::string_view name, const std::vector<std::string>& taken);

}  // namespace wharf::domain
