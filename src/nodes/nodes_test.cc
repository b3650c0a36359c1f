// Keys are compared with the real ssh-keygen; quoting is checked by a real /bin/sh.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nodes/checks.h"
#include "nodes/keys.h"
#include "nodes/ssh.h"

namespace wharf::nodes {
namespace {

namespace fs = std::filesystem;

std::string Sh(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (status) *status = st;
  return out;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/wharf-nodes-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

// "256 SHA256:abc comment (ED25519)" -> "SHA256:abc"
std::string KeygenFingerprint(const fs::path& file) {
  std::istringstream in(Sh("ssh-keygen -lf " + file.string()));
  std::string bits, fp;
  in >> bits >> fp;
  return fp;
}

TEST(Keys, GeneratedKeysMatchWhatSshKeygenComputes) {
  for (const char* type : {"ed25519", "rsa"}) {
    SCOPED_TRACE(type);
    auto kp = GenerateKeyPair(type);
    ASSERT_TRUE(kp) << kp.error().message;
    TempDir d;
    std::ofstream(d.path / "k.pub") << kp->public_key << "\n";
    EXPECT_EQ(kp->fingerprint, KeygenFingerprint(d.path / "k.pub"));
    // ssh-keygen accepts the private key and derives the same public key from it.
    std::ofstream(d.path / "k") << kp->private_key.view();
    fs::permissions(d.path / "k", fs::perms::owner_read | fs::perms::owner_write);
    std::string derived = Sh("ssh-keygen -y -f " + (d.path / "k").string());
    EXPECT_EQ(derived.substr(0, derived.find_last_not_of("\n ") + 1).substr(0, kp->public_key.size()), kp->public_key);
  }
  EXPECT_EQ(GenerateKeyPair("rsa")->type, "ssh-rsa");
  EXPECT_EQ(Sh("echo '" + GenerateKeyPair("rsa")->public_key + "' | ssh-keygen -lf - | cut -d' ' -f1"), "3072\n");
  EXPECT_FALSE(GenerateKeyPair("dsa"));
}

TEST(Keys, ImportsKeysThatSshKeygenWroteAndDerivesTheirPublicHalf) {
  for (const char* args : {"-t ed25519", "-t rsa -b 2048", "-t ecdsa -b 256", "-t rsa -b 2048 -m PEM"}) {
    SCOPED_TRACE(args);
    TempDir d;
    Sh(std::string("ssh-keygen -q -N '' ") + args + " -C test -f " + (d.path / "k").string());
    auto kp = ImportPrivateKey(SecretBytes::FromString(Slurp(d.path / "k")), "private_key");
    ASSERT_TRUE(kp) << kp.error().message;
    std::string pub = Slurp(d.path / "k.pub");
    EXPECT_EQ(pub.substr(0, kp->public_key.size()), kp->public_key);
    EXPECT_EQ(kp->fingerprint, KeygenFingerprint(d.path / "k.pub"));
    EXPECT_EQ(*FingerprintOf(pub), kp->fingerprint);
  }
}

TEST(Keys, RefusesEncryptedAndMalformedKeysNamingTheField) {
  TempDir d;
  Sh("ssh-keygen -q -N 'pass phrase' -t ed25519 -f " + (d.path / "k").string());
  auto enc = ImportPrivateKey(SecretBytes::FromString(Slurp(d.path / "k")), "private_key");
  ASSERT_FALSE(enc);
  EXPECT_NE(enc.error().message.find("passphrase"), std::string::npos);
  auto bad = ImportPrivateKey(SecretBytes::FromString("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"),
                              "private_key");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kValidationFailed);
  EXPECT_FALSE(ImportPrivateKey(SecretBytes::FromString("hello"), "private_key"));
}

TEST(Quote, AShellGivesBackEveryArgumentUnchangedAndEvaluatesNothing) {
  TempDir d;
  const std::string marker = (d.path / "pwned").string();
  const std::vector<std::string> hostile = {
      "plain", "", "with space", "it's", "'", "''", "\"double\"", "$(touch " + marker + ")", "`touch " + marker + "`",
      "a;touch " + marker, "line\nbreak", "tab\there", "back\\slash", "$HOME", "*", "-n", "--flag=1", "ünïcödé"};
  for (const auto& arg : hostile) {
    std::string line = "printf '%s' " + Quote(arg);
    int st = 0;
    std::string out = Sh("sh -c " + Quote(line), &st);
    EXPECT_EQ(out, arg) << "for " << arg;
  }
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_EQ(CommandLine({"dokku", "config:set", "app", "K=$(id)"}), "'dokku' 'config:set' 'app' 'K=$(id)'");
}

TEST(Versions, CompareNumericallyNotAsStrings) {
  EXPECT_LT(CompareVersions("0.9.10", "0.10.0"), 0);
  EXPECT_GT(CompareVersions("0.34.4", "0.30.0"), 0);
  EXPECT_EQ(CompareVersions("0.30.0", "0.30"), 0);
  EXPECT_LT(CompareVersions("0.29.9", "0.30.0"), 0);
  EXPECT_EQ(CompareVersions("v0.35.1", "0.35.1"), 0);
  EXPECT_TRUE(SupportedOs("debian", "12"));
  EXPECT_TRUE(SupportedOs("ubuntu", "24.04"));
  EXPECT_FALSE(SupportedOs("centos", "7"));
  EXPECT_FALSE(SupportedOs("ubuntu", "18.04"));
}

TEST(PrivateTargets, LoopbackPrivateLinkLocalAndMetadataAreRefused) {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                         "0.0.0.0", "100.64.0.1", "::1", "::", "fd00::1", "fe80::1", "::ffff:127.0.0.1",
                         // documentation ranges are not globally reachable (IANA special-purpose registries)
                         "203.0.113.7", "2001:db8::1"})
    EXPECT_TRUE(IsPrivateAddress(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"})
    EXPECT_FALSE(IsPrivateAddress(ip)) << ip;
  EXPECT_TRUE(IsIpLiteral("::1"));
  EXPECT_FALSE(IsIpLiteral("example.com"));
}

TEST(Connect, ARefusedPortAndAPrivateTargetAreNamed) {
  Target t;
  t.host = "127.0.0.1";
  t.port = 1;  // nothing listens on tcpmux
  t.username = "nobody";
  ConnectOptions o;
  o.allow_private_targets = true;
  CheckOptions co;
  co.connect = o;
  auto r = RunChecks(t, co);
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.checks.empty());
  EXPECT_EQ(r.checks[0].name, "tcp");
  EXPECT_EQ(r.checks[0].code, "connection_refused");
  co.connect.allow_private_targets = false;
  auto p = RunChecks(t, co);
  EXPECT_EQ(p.checks[0].code, "private_target");
}

}  // namespace
}  // namespace wharf::nodes
