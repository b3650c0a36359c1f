// What every repository interface of the store shares: the domain types it stores and the
// keyset page query (part of store.h, which includes it; see there for the conventions).
#pragma once

#include <string>

#include "base/error.h"
#include "domain/types.h"

namespace wharf::store {

using domain::AccountToken;
using domain::ApiToken;
using domain::AuditEvent;
using domain::Invitation;
using domain::Membership;
using domain::Org;
using domain::Role;
using domain::Session;
using domain::SshKey;
using domain::SecurityGroup;
using domain::Server;
using domain::ServerCheck;
using domain::Job;
using domain::Integration;
using domain::User;
using domain::Application;
using domain::AppService;
using domain::AppTemplate;
using domain::Deployment;
using domain::Release;

// Keyset pagination over (created_at, id) ascending.
struct PageQuery {
  int limit = 50;                   // the store returns at most limit + 1 rows (the +1 tells "more")
  Timestamp after_created_at = 0;   // with after_id: start after this key
  std::string after_id;             // empty = from the start
  std::string created_by;           // non-empty: only rows created by this user (read_scope own)
};

}  // namespace wharf::store
