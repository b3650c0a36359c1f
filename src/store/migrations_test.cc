#include "store/migrations.h"

#include <regex>

#include <gtest/gtest.h>

namespace wharf::store {
namespace {

// Both databases get the same number of migrations, with every token expanded and only their own
// dialect's lines.
TEST(Migrations, OneListRendersForBothDialects) {
  const auto& sqlite = Migrations(Dialect::kSqlite);
  const auto& postgres = Migrations(Dialect::kPostgres);
  ASSERT_EQ(sqlite.size(), postgres.size());
  ASSERT_GE(sqlite.size(), 7u);
  const std::regex leftover(R"(\{[A-Z_]+\}|^@(sqlite|postgres|end)$)", std::regex::multiline);
  for (size_t i = 0; i < sqlite.size(); ++i) {
    EXPECT_FALSE(std::regex_search(sqlite[i], leftover)) << "migration " << i + 1;
    EXPECT_FALSE(std::regex_search(postgres[i], leftover)) << "migration " << i + 1;
  }
  EXPECT_NE(sqlite[0].find("instance_admin INTEGER NOT NULL DEFAULT 0"), std::string::npos);
  EXPECT_NE(postgres[0].find("instance_admin BOOLEAN NOT NULL DEFAULT FALSE"), std::string::npos);
  EXPECT_NE(postgres[0].find("CREATE TABLE cache_epochs"), std::string::npos);
  EXPECT_EQ(sqlite[0].find("cache_epochs"), std::string::npos);
  EXPECT_NE(sqlite[1].find("id INTEGER PRIMARY KEY AUTOINCREMENT"), std::string::npos);
  EXPECT_NE(postgres[1].find("id BIGSERIAL PRIMARY KEY"), std::string::npos);
}

}  // namespace
}  // namespace wharf::store
