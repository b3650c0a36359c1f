// The probe against a real TLS server: an OpenSSL server thread on 127.0.0.1 with a certificate
// made here (EC P-256, SAN shop.example.test, valid for five days), a plain TCP listener that
// is not TLS, and a closed port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "base/testing/loopback.h"
#include "nodes/tls_probe.h"

namespace wharf::nodes {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kDay = 86'400;

ConnectOptions Options(bool allow_private = true) {
  ConnectOptions o;
  o.connect_timeout = 2000ms;
  o.allow_private_targets = allow_private;
  return o;
}

// A listening socket on 127.0.0.1 with a free port.
int Listen(int* port) {
  int fd = testutil::ListenLoopback(port);
  EXPECT_GE(fd, 0);
  return fd;
}

struct Cert {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> x509{nullptr, X509_free};
};

// Self-signed, CN and SAN `name`, issuer CN "Test CA R1", valid from now-1d to now+days.
Cert MakeCert(const std::string& name, int64_t not_after_unix) {
  Cert c;
  c.key.reset(EVP_EC_gen("P-256"));
  c.x509.reset(X509_new());
  X509* x = c.x509.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), -kDay);
  ASN1_TIME_set(X509_getm_notAfter(x), static_cast<time_t>(not_after_unix));
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_NAME* issuer = X509_NAME_new();
  X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Test CA R1"), -1, -1, 0);
  X509_set_issuer_name(x, issuer);
  X509_NAME_free(issuer);
  X509_set_pubkey(x, c.key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, ("DNS:" + name).c_str());
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(x, c.key.get(), EVP_sha256());
  return c;
}

// Serves `connections` TLS handshakes with `cert`, recording the SNI name of the last one.
class TlsServer {
 public:
  TlsServer(const Cert& cert, int connections) {
    fd_ = Listen(&port_);
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert.x509.get());
    SSL_CTX_use_PrivateKey(ctx_, cert.key.get());
    thread_ = std::thread([this, connections] {
      // The server side may write after the probe has gone; only the probe guards itself.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      for (int i = 0; i < connections; ++i) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) {
          const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
          sni_ = sni ? sni : "";
          SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        ::close(c);
      }
    });
  }
  ~TlsServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  // The SNI name of the last handshake, once every connection was served.
  std::string Finish() {
    thread_.join();
    return sni_;
  }

 private:
  int fd_ = -1, port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  std::string sni_;
  std::thread thread_;
};

TEST(ReadServedCertificate, ReadsExpiryIssuerAndWhetherTheNameIsCovered) {
  const int64_t not_after = std::time(nullptr) / 60 * 60 + 5 * kDay;
  Cert cert = MakeCert("shop.example.test", not_after);
  int port = 0;
  {
    TlsServer server(cert, 2);
    port = server.port();
    auto c = ReadServedCertificate("127.0.0.1", port, "shop.example.test", Options());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->not_after_ms, not_after * 1000);
    EXPECT_LT(c->not_before_ms, c->not_after_ms);
    EXPECT_EQ(c->issuer, "Test CA R1");
    EXPECT_EQ(c->subject, "shop.example.test");
    EXPECT_TRUE(c->matches_name);
    // The same certificate asked for another name: read, but not covering it.
    auto other = ReadServedCertificate("localhost", port, "www.example.test", Options());
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_FALSE(other->matches_name);
    EXPECT_EQ(server.Finish(), "www.example.test");
  }
  // Nothing listens there any more.
  auto refused = ReadServedCertificate("127.0.0.1", port, "shop.example.test", Options());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().layer, Layer::kNetwork);
  EXPECT_EQ(refused.error().details.value("stage", ""), "connect");
  EXPECT_NE(refused.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("refused"), std::string::npos) << refused.error().message;
}

TEST(ReadServedCertificate, ThePrivateTargetGuardAppliesAsForSsh) {
  int port = 0;
  int fd = Listen(&port);  // listening, so only the guard can refuse
  auto r = ReadServedCertificate("127.0.0.1", port, "shop.example.test", Options(/*allow_private=*/false));
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().details.value("stage", ""), "connect");
  EXPECT_NE(r.error().message.find("does not allow private targets"), std::string::npos) << r.error().message;
}

TEST(ReadServedCertificate, APortThatIsNotTlsFailsTheHandshakeByName) {
  int port = 0;
  int fd = Listen(&port);
  std::thread t([fd] {
    int c = ::accept(fd, nullptr, nullptr);
    const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    char buf[512];
    [[maybe_unused]] auto n = ::read(c, buf, sizeof buf);
    [[maybe_unused]] auto w = ::write(c, reply, sizeof reply - 1);
    ::close(c);
  });
  auto r = ReadServedCertificate("127.0.0.1", port, "shop.example.test", Options());
  t.join();
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().details.value("stage", ""), "tls");
  EXPECT_NE(r.error().message.find("shop.example.test"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace wharf::nodes
