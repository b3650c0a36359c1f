#include <gtest/gtest.h>

#include "api/router.h"

namespace wharf::api {
namespace {

TEST(OperationIdTest, CamelCaseFromMethodAndLiteralSegments) {
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}/ssh-keys"), "listSshKeys");
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs/{org}/ssh-keys"), "createSshKey");
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}/ssh-keys/{id}"), "getSshKey");
  EXPECT_EQ(OperationId("PATCH", "/api/v1/orgs/{org}/ssh-keys/{id}"), "updateSshKey");
  EXPECT_EQ(OperationId("DELETE", "/api/v1/orgs/{org}/ssh-keys/{id}"), "deleteSshKey");
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}/ssh-keys/{id}/public-key"), "getSshKeyPublicKey");
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs/{org}/docker-registries/test"), "testDockerRegistry");
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs/{org}/docker-registries/{id}/verify"), "verifyDockerRegistry");
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs/{org}/servers/test-connection"), "testServerConnection");
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs/{org}/servers/{id}/apply-firewall"), "applyServerFirewall");
  EXPECT_EQ(OperationId("PUT", "/api/v1/orgs/{org}/services/{id}/variables/{key}"), "setServiceVariable");
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}/access/explain"), "explainAccess");
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}"), "getOrg");
  EXPECT_EQ(OperationId("PATCH", "/api/v1/orgs/{org}"), "updateOrg");
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs"), "createOrg");
  EXPECT_EQ(OperationId("GET", "/healthz"), "getHealthz");
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}/backup-storage"), "listBackupStorage");  // override
  EXPECT_EQ(OperationId("GET", "/api/v1/orgs/{org}/backup-storage/{id}"), "getBackupStorage");
}

TEST(OperationIdTest, ListEnvelopeSchema) {
  auto s = ListOf("Server");
  EXPECT_EQ(s["properties"]["items"]["items"]["$ref"], "#/components/schemas/Server");
  EXPECT_EQ(s["properties"]["next_cursor"]["nullable"], true);
  // A list answered whole: the same envelope, next_cursor only ever null (no ?limit, no ?cursor).
  auto whole = WholeListOf("Passkey");
  EXPECT_EQ(whole["properties"]["items"]["items"]["$ref"], "#/components/schemas/Passkey");
  EXPECT_EQ(whole["properties"]["next_cursor"]["enum"], nlohmann::json::array({nullptr}));
  EXPECT_FALSE(s["properties"]["next_cursor"].contains("enum"));
}

TEST(OperationIdTest, ActionsNamedByOverride) {
  EXPECT_EQ(OperationId("POST", "/api/v1/orgs/{org}/services/{id}/rollback"), "rollbackService");
  EXPECT_EQ(OperationId("POST", "/api/v1/auth/login/second-factor"), "loginSecondFactor");
  EXPECT_EQ(OperationId("GET", "/api/docs"), "getApiReference");
}

}  // namespace
}  // namespace wharf::api
