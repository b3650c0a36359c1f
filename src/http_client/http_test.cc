#include "http_client/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/address.h"
#include "base/testing/loopback.h"

namespace wharf::http_client {
namespace {

TEST(Fetch, RefusesUrlsThatAreNotHttp) {
  auto r = Fetch({.url = "file:///etc/passwd"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
}

TEST(Fetch, UnreachableServerIsANetworkErrorNamingTheHostNotTheHeaders) {
  HttpCall call{.url = "http://127.0.0.1:1/api/v1/me", .connect_timeout_ms = 2000};
  call.headers.emplace_back("Authorization", "Bearer very-secret-token");
  auto r = Fetch(call);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().layer, Layer::kNetwork);
  EXPECT_NE(r.error().message.find("127.0.0.1:1"), std::string::npos);
  EXPECT_EQ(r.error().message.find("very-secret-token"), std::string::npos);
}

TEST(Fetch, AGuardRefusesTheResolvedAddressBeforeAnythingIsSent) {
  // A listening socket that never answers: the kernel completes the connect, so the guard runs.
  int port = 0;
  int fd = testutil::ListenLoopback(&port);
  ASSERT_GE(fd, 0);
  std::string seen;
  HttpCall call{.url = "http://localhost:" + std::to_string(port) + "/v2/", .timeout_ms = 3000};
  call.address_allowed = [&](std::string_view ip) {
    seen = ip;
    return false;
  };
  auto r = Fetch(call);
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
  EXPECT_EQ(r.error().layer, Layer::kNetwork);
  EXPECT_NE(r.error().message.find("--allow-private-targets"), std::string::npos);
  EXPECT_TRUE(seen == "127.0.0.1" || seen == "::1") << seen;
}

TEST(Fetch, ARefusedTargetAnswersTheSameForAnOpenAndAClosedPortAndNothingConnects) {
  int open_port = 0, closed_port = 0;
  int open_fd = testutil::ListenLoopback(&open_port);
  ASSERT_GE(open_fd, 0);
  ::fcntl(open_fd, F_SETFL, ::fcntl(open_fd, F_GETFL) | O_NONBLOCK);  // accept() below must not wait
  ::close(testutil::ListenLoopback(&closed_port));
  std::vector<std::string> answers;
  // "127.1" is no literal for inet_pton, but resolves to 127.0.0.1: the name is resolved and
  // checked before curl connects, so the open port sees nothing and both ports read the same.
  for (int port : {open_port, closed_port}) {
    HttpCall call{.url = "http://127.1:" + std::to_string(port) + "/v2/", .timeout_ms = 3000};
    call.address_allowed = PublicOnly();
    auto r = Fetch(call);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
    answers.push_back(r.error().message);
  }
  EXPECT_EQ(answers[0], answers[1]);
  EXPECT_EQ(answers[0], kRefusedTargetMessage);
  int c = ::accept(open_fd, nullptr, nullptr);
  EXPECT_LT(c, 0) << "the refused target received a connection";
  if (c >= 0) ::close(c);
  ::close(open_fd);
}

// A one-shot HTTP server on 127.0.0.1 that sends a chunked body in two parts and sends the second
// only once the client has seen the first (or after 5 s): a client that buffered the whole body
// would see nothing until then.
class TwoPartServer {
 public:
  explicit TwoPartServer(int status) : status_(status) {
    fd_ = testutil::ListenLoopback(&port_, 1);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TwoPartServer() {
    Join();
    ::close(fd_);
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::atomic<bool> client_saw_first{false};
  bool second_sent_after_client_saw_first = false;

 private:
  void Serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    char buf[4096];
    std::string req;
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    Send(c, "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    Send(c, "6\r\nfirst\n\r\n");
    for (int i = 0; i < 500 && !client_saw_first; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    second_sent_after_client_saw_first = client_saw_first;
    Send(c, "7\r\nsecond\n\r\n0\r\n\r\n");
    ::close(c);
  }
  static void Send(int c, const std::string& s) { (void)!::write(c, s.data(), s.size()); }
  int status_, fd_, port_;
  std::thread thread_;
};

TEST(FetchStream, HandsEachChunkOverAsItArrives) {
  TwoPartServer srv(200);
  std::string got;
  HttpCall call{.url = "http://127.0.0.1:" + std::to_string(srv.port()) + "/log", .timeout_ms = 0};
  auto r = FetchStream(call, [&](std::string_view chunk) {
    got += chunk;
    if (got.find("first\n") != std::string::npos) srv.client_saw_first = true;
    return true;
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(got, "first\nsecond\n");
  EXPECT_TRUE(r->body.empty());
  srv.Join();
  EXPECT_TRUE(srv.second_sent_after_client_saw_first) << "the first chunk was held back until the body ended";
}

TEST(FetchStream, AnErrorAnswerIsKeptAsTheBodyAndAFalseReturnStops) {
  {
    TwoPartServer srv(403);
    srv.client_saw_first = true;  // an error body is read whole: do not hold the second part back
    bool called = false;
    auto r = FetchStream({.url = "http://127.0.0.1:" + std::to_string(srv.port()) + "/log"}, [&](std::string_view) {
      called = true;
      return true;
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_FALSE(called);
    EXPECT_EQ(r->body, "first\nsecond\n");
  }
  TwoPartServer srv(200);
  int calls = 0;
  auto r = FetchStream({.url = "http://127.0.0.1:" + std::to_string(srv.port()) + "/log"}, [&](std::string_view) {
    ++calls;
    srv.client_saw_first = true;
    return false;
  });
  ASSERT_TRUE(r) << r.error().message;  // stopping on purpose is not a network error
  EXPECT_EQ(calls, 1);
}

TEST(HttpReply, HeaderLookupIgnoresCase) {
  HttpReply r;
  r.headers = {{"content-type", "application/json"}, {"retry-after", "3"}};
  EXPECT_EQ(r.Header("Retry-After"), "3");
  EXPECT_EQ(r.Header("x-missing"), "");
}

// Answers one request with 200 and a close-delimited body that never ends, until the client
// hangs up. Returns the port; `sent` counts the body bytes written.
int StartEndlessServer(std::thread& th, std::atomic<size_t>& sent) {
  int port = 0;
  int fd = testutil::ListenLoopback(&port, 1);
  th = std::thread([fd, &sent] {
    int c = ::accept(fd, nullptr, nullptr);
    char req[4096];
    (void)::recv(c, req, sizeof req, 0);
    const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    (void)::send(c, head, sizeof head - 1, MSG_NOSIGNAL);
    std::string chunk(65536, 'a');
    for (;;) {
      ssize_t n = ::send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(c);
    ::close(fd);
  });
  return port;
}

TEST(Fetch, AnEndlessBodyStopsAtTheCapWithAnErrorNamingTheHostAndLayer) {
  std::thread th;
  std::atomic<size_t> sent{0};
  int port = StartEndlessServer(th, sent);
  HttpCall call{.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/", .timeout_ms = 10000};
  call.max_body_bytes = 1 << 20;
  call.layer = Layer::kRegistry;
  auto r = Fetch(call);
  th.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().layer, Layer::kRegistry);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("larger than 1024 KiB"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("registry endpoint"), std::string::npos) << r.error().message;
  EXPECT_LT(sent.load(), size_t{16} << 20);
}

TEST(FetchStream, ADownloadKeepsStreamingPastTheBodyCap) {
  std::thread th;
  std::atomic<size_t> sent{0};
  int port = StartEndlessServer(th, sent);
  HttpCall call{.url = "http://127.0.0.1:" + std::to_string(port) + "/backup", .timeout_ms = 10000};
  call.max_body_bytes = 1 << 20;
  size_t got = 0;
  auto r = FetchStream(call, [&](std::string_view c) {
    got += c.size();
    return got < (size_t{3} << 20);
  });
  th.join();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(got, size_t{3} << 20);
  EXPECT_TRUE(r->body.empty());
}

}  // namespace
}  // namespace wharf::http_client
