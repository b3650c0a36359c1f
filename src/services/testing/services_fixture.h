// ServicesFixture: the use cases on a real store, for gtest fixtures. Each test gets a temp
// directory and a store in it (SQLite), or, built with WHARF_SERVICES_POSTGRES, a fresh database
// on the one PostgreSQL the binary starts; a new master key, a fake clock, sequential ids and the
// fake node executor (fake_nodes.h). The mailer is the test's (MailerT: recording, disabled, …).
//
//   class AccountTest : public testing::ServicesFixture<LinkMailer> {
//     void SetUp() override {
//       Config c;
//       c.signup_policy = Config::SignupPolicy::kOpen;
//       ASSERT_NO_FATAL_FAILURE(StartServices("account", c));
//     }
//   };
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "secrets/crypto.h"
#include "services/services.h"
#include "services/testing/fake_nodes.h"
#include "store/sqlite/sqlite_store.h"
#ifdef WHARF_SERVICES_POSTGRES
#include "store/postgres/pg_store.h"
#include "store/testing/pg_test_server.h"
#endif

namespace wharf::services::testing {

#ifdef WHARF_SERVICES_POSTGRES
// One PostgreSQL for the whole test binary, stopped at exit; nullptr (and `error`) when it cannot start.
inline store::testing::PgTestServer* SharedPostgres(std::string* error) {
  static auto server = store::testing::PgTestServer::Start();
  if (!server) {
    *error = server.error().message;
    return nullptr;
  }
  return server->get();
}
#endif

template <class MailerT>
class ServicesFixture : public ::testing::Test {
 protected:
  // Opens the store (`prefix` names the temp directory and the PostgreSQL database) and builds the
  // services with `config`. Call it under ASSERT_NO_FATAL_FAILURE.
  void StartServices(const std::string& prefix, Config config) {
    ASSERT_TRUE(secrets::Init());
    dir_ = std::filesystem::temp_directory_path() /
           ("wharf-" + prefix + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
#ifdef WHARF_SERVICES_POSTGRES
    std::string error;
    pg_ = SharedPostgres(&error);
    ASSERT_TRUE(pg_) << "PostgreSQL: " << error;
    static int n = 0;
    db_name_ = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    auto url = pg_->CreateDatabase(db_name_);
    ASSERT_TRUE(url) << url.error().message;
    url_ = *url;
    auto st = store::OpenPostgresStore(*url);
#else
    auto st = store::OpenSqliteStore((dir_ / "wharf.db").string());
#endif
    ASSERT_TRUE(st) << st.error().message << st.error().detail;
    store_ = std::move(*st);
    envelope_ = std::make_unique<secrets::Envelope>(secrets::Envelope::NewMasterKey());
    svc_ = std::make_unique<Services>(Deps{*store_, *envelope_, mailer_, clock_, ids_, cache_, nodes_}, std::move(config));
  }
  void TearDown() override {
    svc_.reset();  // Services holds the store by reference: it goes first
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
#ifdef WHARF_SERVICES_POSTGRES
  store::testing::PgTestServer* pg_ = nullptr;
  std::string db_name_, url_;
#endif
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<secrets::Envelope> envelope_;
  MailerT mailer_;
  FakeClock clock_;
  SequentialIdGenerator ids_;
  authz::SnapshotCache cache_;
  FakeNodes nodes_;
  std::unique_ptr<Services> svc_;
  RequestContext ctx_{"req_test", "127.0.0.1", "gtest"};
};

}  // namespace wharf::services::testing
