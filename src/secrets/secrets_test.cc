#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "base/strings.h"
#include "secrets/crypto.h"
#include "secrets/envelope.h"
#include "secrets/redact.h"

namespace wharf::secrets {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const char* name) {
  fs::path d = fs::temp_directory_path() / ("wharf-secrets-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(EnvelopeTest, SealOpenRoundTripAndBinding) {
  ASSERT_TRUE(Init());
  Envelope env(Envelope::NewMasterKey());
  std::string wa = *env.NewWrappedDataKey("org_a");
  std::string wb = *env.NewWrappedDataKey("org_b");
  FieldRef ref{"org_a", "sshKeys", "key_1", "private_key"};
  std::string sealed = *env.Seal(wa, ref, "-----BEGIN OPENSSH PRIVATE KEY-----");
  EXPECT_EQ(sealed.find("OPENSSH"), std::string::npos);
  auto opened = env.Open(wa, ref, sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->view(), "-----BEGIN OPENSSH PRIVATE KEY-----");
  // Moved to another row, field or org: refuses.
  EXPECT_FALSE(env.Open(wa, {"org_a", "sshKeys", "key_2", "private_key"}, sealed));
  EXPECT_FALSE(env.Open(wa, {"org_a", "sshKeys", "key_1", "public_key"}, sealed));
  EXPECT_FALSE(env.Open(wb, {"org_b", "sshKeys", "key_1", "private_key"}, sealed));
  EXPECT_FALSE(env.Open(wa, {"org_b", "sshKeys", "key_1", "private_key"}, sealed));  // wrapped key bound to org_a
  // The error says nothing about the plaintext.
  auto bad = env.Open(wa, {"org_a", "sshKeys", "key_2", "private_key"}, sealed);
  EXPECT_EQ(bad.error().message.find("OPENSSH"), std::string::npos);
}

TEST(EnvelopeTest, WrongMasterKeyFailsAndRewrapMovesKeys) {
  Envelope old_env(Envelope::NewMasterKey());
  Envelope new_env(Envelope::NewMasterKey());
  std::string wrapped = *old_env.NewWrappedDataKey("org_a");
  FieldRef ref{"org_a", "gitProviders", "git_1", "token"};
  std::string sealed = *old_env.Seal(wrapped, ref, "glpat-secret");
  EXPECT_FALSE(new_env.Open(wrapped, ref, sealed));
  std::string rewrapped = *old_env.Rewrap(wrapped, "org_a", new_env);
  auto opened = new_env.Open(rewrapped, ref, sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->view(), "glpat-secret");
  EXPECT_FALSE(old_env.Open(rewrapped, ref, sealed));
}

TEST(MasterKeyTest, CreatedWithMode0600AndReloaded) {
  ::unsetenv("WHARF_MASTER_KEY_FILE");
  fs::path dir = TempDir("create");
  auto k1 = LoadOrCreateMasterKey(dir);
  ASSERT_TRUE(k1) << k1.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto k2 = LoadOrCreateMasterKey(dir);
  ASSERT_TRUE(k2);
  EXPECT_EQ(k1->view(), k2->view());
  EXPECT_EQ(k1->size(), 32u);
  ::chmod((dir / "master.key").c_str(), 0644);
  auto k3 = LoadOrCreateMasterKey(dir);
  ASSERT_FALSE(k3);
  EXPECT_NE(k3.error().message.find("chmod 600"), std::string::npos);
  fs::remove_all(dir);
}

TEST(MasterKeyTest, EnvironmentFileWins) {
  fs::path dir = TempDir("env");
  SecretBytes key = Envelope::NewMasterKey();
  ASSERT_TRUE(Envelope::WriteMasterKeyFile(dir / "external.key", key));
  ::setenv("WHARF_MASTER_KEY_FILE", (dir / "external.key").c_str(), 1);
  auto loaded = LoadOrCreateMasterKey(dir / "data");
  ::unsetenv("WHARF_MASTER_KEY_FILE");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->view(), key.view());
  EXPECT_FALSE(fs::exists(dir / "data" / "master.key"));
  fs::remove_all(dir);
}

TEST(PasswordTest, Argon2idWithOwaspParameters) {
  auto h = HashPassword(SecretBytes::FromString("correct-horse-battery"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_NE(h->find("m=19456,t=2"), std::string::npos) << *h;
  EXPECT_TRUE(VerifyPassword(SecretBytes::FromString("correct-horse-battery"), *h));
  EXPECT_FALSE(VerifyPassword(SecretBytes::FromString("correct-horse-batterY"), *h));
  EXPECT_FALSE(PasswordNeedsRehash(*h));
}

TEST(TokenTest, FormatAndHash) {
  SecretBytes t = NewToken("whs_");
  EXPECT_EQ(t.size(), 4u + 43u);
  EXPECT_EQ(t.view().substr(0, 4), "whs_");
  EXPECT_NE(t.view(), NewToken("whs_").view());
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenHash(t.view()).size(), 64u);
}

TEST(HmacTest, Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256Raw("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(RandomStringTest, UniformOverCharset) {
  const std::string charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = RandomString(62'000, charset);
  std::map<char, int> counts;
  for (char c : s) {
    ASSERT_NE(charset.find(c), std::string::npos);
    ++counts[c];
  }
  ASSERT_EQ(counts.size(), charset.size());
  double chi2 = 0;
  for (auto& [c, n] : counts) chi2 += (n - 1000.0) * (n - 1000.0) / 1000.0;
  EXPECT_LT(chi2, 130.0);  // df = 61; p < 1e-6 beyond ~130
}

TEST(RedactTest, HidesSecretsAndUrlPasswords) {
  EXPECT_EQ(Redact("token=abcd1234 and abcd1234", {"abcd1234"}), "token=[redacted] and [redacted]");
  EXPECT_EQ(Redact("short", {"ab"}), "short");
  EXPECT_EQ(RedactUrlPassword("smtp://user:p%40ss@mail:25"), "smtp://user:[redacted]@mail:25");
  EXPECT_EQ(RedactUrlPassword("smtp://mail:25"), "smtp://mail:25");
  EXPECT_EQ(RedactUrlPassword("postgres://wharf:s3cret@db:5432/wharf?sslmode=require&password=other&SSLPassword=x"),
            "postgres://wharf:[redacted]@db:5432/wharf?sslmode=require&password=[redacted]&SSLPassword=[redacted]");
  EXPECT_EQ(RedactUrlPassword("postgres://db/wharf?password=p&x"), "postgres://db/wharf?password=[redacted]&x");
}

// A secret split across two reads used to be written in clear: redaction ran per chunk.
TEST(StreamRedactTest, SecretSplitAcrossTwoChunksAtEveryOffsetIsRedacted) {
  const std::string secret = "ghp_S3cretT0kenValue";
  const std::string text = "before " + secret + " after";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    StreamRedactor r({secret});
    std::string out = r.Push(std::string_view(text).substr(0, cut));
    out += r.Push(std::string_view(text).substr(cut));
    out += r.Flush();
    EXPECT_EQ(out, "before [redacted] after") << "cut at " << cut;
  }
}

TEST(StreamRedactTest, HoldsOnlyWhatMayStartASecret) {
  StreamRedactor r({"abcdef"});
  EXPECT_EQ(r.Push("line 1\nxyzab"), "line 1\nxyz");  // "ab" may be the secret's start
  EXPECT_EQ(r.Push("X"), "abX");                        // it was not
  EXPECT_EQ(r.Push("abcde"), "");
  EXPECT_EQ(r.Push("f!"), "[redacted]!");
  EXPECT_EQ(r.Push("abc"), "");
  EXPECT_EQ(r.Flush(), "abc");  // the stream ended without the rest: nothing to hide
}

TEST(StreamRedactTest, LongerSecretSharingAPrefixIsWaitedFor) {
  StreamRedactor r({"abcd", "abcdefgh"});
  std::string out = r.Push("xabcdef");
  out += r.Push("gh and abcd.");
  out += r.Flush();
  EXPECT_EQ(out, "x[redacted] and [redacted].");
}

TEST(StreamRedactTest, ByteAtATimeAndSecretsAddedLater) {
  StreamRedactor r;
  r.Add("ab");  // too short to redact, as for Redact
  r.Add("passw0rd!");
  const std::string text = "a passw0rd!passw0rd! ab";
  std::string out;
  for (char c : text) out += r.Push(std::string_view(&c, 1));
  out += r.Flush();
  EXPECT_EQ(out, "a [redacted][redacted] ab");
}

}  // namespace
}  // namespace wharf::secrets
