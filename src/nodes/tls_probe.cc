#include "nodes/tls_probe.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

namespace wharf::nodes {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// OpenSSL writes to the socket with write(2): a peer that closes first would raise SIGPIPE,
// which kills the process by default. The signal is blocked on this thread for the probe's
// duration and a pending one is consumed before unblocking (as libcurl does).
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&old_pending_);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_mask_);
  }
  ~SigpipeBlocked() {
    if (!sigismember(&old_pending_, SIGPIPE)) {
      sigset_t pending, pipe;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE)) {
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        timespec zero{0, 0};
        while (sigtimedwait(&pipe, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_, old_pending_;
};

// `stage` "connect" (the host:port itself failed: every name on it would) or "tls".
tl::unexpected<Error> Fail(std::string message, std::string_view stage = "tls") {
  auto e = Err(ErrorCode::kValidationFailed, std::move(message), Layer::kNetwork);
  e.value().details["stage"] = std::string(stage);
  return e;
}

std::string NameEntry(X509_NAME* name, int nid) {
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return "";
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

Result<int64_t> TimeMs(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return Fail("the served certificate has an unreadable validity date");
  return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

}  // namespace

Result<ServedCertificate> ReadServedCertificate(std::string_view host, int port, std::string_view server_name,
                                                const ConnectOptions& o) {
  const std::string where = std::string(host) + ":" + std::to_string(port);
  const std::string name(server_name);
  Target target;
  target.host = std::string(host);
  target.port = port;
  ConnectFailure failure = ConnectFailure::kNone;
  std::string address;
  auto fd = ConnectTcp(target, o, &failure, &address);
  if (!fd) return Fail("HTTPS connection failed: " + fd.error().message, "connect");
  Fd sock{*fd};
  const auto timeout = o.connect_timeout;
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  SigpipeBlocked no_sigpipe;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Fail("Cannot start TLS (out of memory)");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // read what is served, trust nothing
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  if (!ssl || SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1 || SSL_set_fd(ssl.get(), sock.fd) != 1)
    return Fail("Cannot start TLS with " + where);
  ERR_clear_error();
  if (SSL_connect(ssl.get()) != 1) {
    unsigned long e = ERR_get_error();
    char buf[256] = "the server closed the connection";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    return Fail("The TLS handshake with " + where + " for " + name + " failed: " + buf);
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl.get()), X509_free);
  SSL_shutdown(ssl.get());
  if (!cert) return Fail(where + " sent no certificate for " + name);
  ServedCertificate out;
  WHARF_ASSIGN_OR_RETURN(out.not_before_ms, TimeMs(X509_get0_notBefore(cert.get())));
  WHARF_ASSIGN_OR_RETURN(out.not_after_ms, TimeMs(X509_get0_notAfter(cert.get())));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME* issuer = X509_get_issuer_name(cert.get());
  out.subject = NameEntry(subject, NID_commonName);
  if (out.subject.empty()) {
    char buf[256];
    X509_NAME_oneline(subject, buf, sizeof buf);
    out.subject = buf;
  }
  out.issuer = NameEntry(issuer, NID_commonName);
  if (out.issuer.empty()) out.issuer = NameEntry(issuer, NID_organizationName);
  out.matches_name = X509_check_host(cert.get(), name.data(), name.size(), 0, nullptr) == 1;
  return out;
}

}  // namespace wharf::nodes
