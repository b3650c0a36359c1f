#include <gtest/gtest.h>

#include "diagnose/classify.h"

namespace wharf::diagnose {
namespace {

TEST(Classify, EveryRowOfTheSeedTableMapsToItsLayer) {
  EXPECT_EQ(Classify("remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://gitlab.com/a/b.git/'").layer, "git_token");
  EXPECT_EQ(Classify("error: 403 while cloning").layer, "git_token");
  EXPECT_EQ(Classify("Permission denied on clone of acme/api").layer, "git_token");
  EXPECT_EQ(Classify("Error response from daemon: unauthorized: authentication required (pull ghcr.io/a/b)").layer, "registry");
  EXPECT_EQ(Classify("pull access denied for acme/private, repository does not exist").layer, "registry");
  EXPECT_EQ(Classify("External backup failed: upload denied").layer, "backup_storage");
  EXPECT_EQ(Classify("An error occurred (UnauthorizedOperation) when calling the RunInstances operation").layer, "aws_iam");
  EXPECT_EQ(Classify("AccessDenied: User arn:aws:iam::1:user/x is not authorized to perform: ec2:DescribeInstances").layer, "aws_iam");
  EXPECT_EQ(Classify("The GitHub webhook never arrives after a push").layer, "webhook");
}

TEST(Classify, GitAndSshAreToldApart) {
  auto git = Classify("git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.");
  EXPECT_EQ(git.layer, "git_token");
  EXPECT_NE(git.not_this.find("SSH key will not help"), std::string::npos);
  auto ssh = Classify("deploy@10.0.0.5: Permission denied (publickey).");
  EXPECT_EQ(ssh.layer, "ssh");
  EXPECT_NE(ssh.not_this.find("git token will not help"), std::string::npos);
  EXPECT_EQ(Classify("ssh: connect to host 10.0.0.5 port 22: Connection timed out").layer, "network");
  EXPECT_EQ(Classify("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!").layer, "ssh");
  EXPECT_EQ(Classify("Your role 'Viewer' does not grant servers.update").layer, "permissions");
  EXPECT_EQ(Classify("everything is fine").layer, "");
}

}  // namespace
}  // namespace wharf::diagnose
