// PgTestServer: a throwaway PostgreSQL for tests, started from Debian's postgresql package.
//
//   auto pg = store::testing::PgTestServer::Start();   // initdb in a temp dir, 127.0.0.1, free port
//   ASSERT_TRUE(pg) << pg.error().message;
//   auto url = (*pg)->CreateDatabase("contract_1");    // postgres://postgres@127.0.0.1:PORT/contract_1
//
// The cluster lives in a fresh temporary directory (data, log, unix socket) and listens on
// 127.0.0.1 only; trust authentication, fsync off. Run as root, it runs PostgreSQL as the
// `postgres` OS user (runuser), since PostgreSQL refuses to run as root. A missing PostgreSQL is
// an error, never a skip. The destructor stops the server (immediate mode) and removes the
// directory. The JS twin is startPostgres() in tests/e2e/lib/harness.mjs.
//
// Thread-safety: CreateDatabase may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "base/error.h"

namespace wharf::store::testing {

class PgTestServer {
 public:
  static Result<std::unique_ptr<PgTestServer>> Start();
  ~PgTestServer();
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  int port() const { return port_; }
  // The URL of database `db` (which must exist; "postgres" always does).
  std::string Url(std::string_view db = "postgres") const;
  // Creates an empty database and returns its URL. `name`: [a-z0-9_] only.
  Result<std::string> CreateDatabase(std::string_view name);
  // Runs one SQL statement through psql against `db`; returns its unaligned output.
  Result<std::string> Psql(std::string_view db, std::string_view sql);
  // Everything `db` holds, as pg_dump prints it (for "no plaintext secret at rest" checks).
  Result<std::string> Dump(std::string_view db);

 private:
  PgTestServer() = default;
  // argv with "runuser -u postgres --" in front when running as root.
  std::vector<std::string> AsPostgres(std::vector<std::string> argv) const;
  std::string bin_, dir_;
  std::vector<std::string> as_user_;  // empty, or {"runuser", "-u", "postgres", "--"}
  int port_ = 0;
};

}  // namespace wharf::store::testing
