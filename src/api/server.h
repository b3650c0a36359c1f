// HttpServer: the Boost.Beast HTTP/1.1 listener. The only translation unit that includes Beast.
//
//   api::HttpServer server(api, {.listen_host = "127.0.0.1", .listen_port = 8080});
//   WHARF_TRY(server.Start());            // binds; port 0 picks a free one
//   log::Info("ready", {{"url", server.url()}});
//   server.Run();                        // blocks until Stop() (e.g. from a SIGTERM handler)
//
// Limits: request bodies over max_body_bytes get 413; headers over 16 KiB, malformed requests and
// clients slower than read_timeout_ms are closed; an organisation's outbound checks beyond
// max_outbound_per_org get 429 with Retry-After. Thread-safety: Stop() may be called from any
// thread (it is async-signal-unsafe: call it from a signal-watching thread, not a handler).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "base/address.h"
#include "base/error.h"
#include "base/outbound_slots.h"

namespace wharf::api {

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  int threads = 0;  // 0 = hardware concurrency
  size_t max_body_bytes = 1 << 20;
  int read_timeout_ms = 30'000;
  // --trusted-proxy: socket peers whose X-Forwarded-For names the client (api/client_address.h).
  std::vector<Cidr> trusted_proxies;
  // Outbound checks (verify, test, check: Api::OutboundOrg) run on their own pool of this many
  // threads, never on the request threads, and each organisation has at most
  // max_outbound_per_org of them in flight; beyond that the answer is 429 rate_limited.
  int outbound_threads = 64;
  int max_outbound_per_org = 4;
  // When set (wharf serve: the services' slots), the per-org count is shared with the scheduled
  // re-verification of integrations, and its limit replaces max_outbound_per_org. Outlives the server.
  OutboundSlots* outbound_slots = nullptr;
};

class HttpServer {
 public:
  HttpServer(Api& api, ServerOptions options);
  ~HttpServer();
  Status Start();
  // Runs the I/O threads; returns after Stop() once in-flight requests finish.
  void Run();
  void Stop();
  // Calls `fn` on SIGTERM/SIGINT (from an I/O thread).
  void OnSignal(std::function<void(int)> fn);
  int port() const;
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::api
