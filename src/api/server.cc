// The one Boost.Beast translation unit (keep it that way: Beast is heavy to compile).
#include <utility>  // Boost 1.74 asio needs <utility> first.
// GCC 12 flags asio 1.74's coroutine frame allocator (a false positive, fixed in later Boost).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "api/server.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "api/client_address.h"
#include "base/clock.h"
#include "base/log.h"

namespace wharf::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// 96 random bits from the kernel's CSPRNG: a request id says nothing about other requests, so one
// org's ids cannot be guessed from another's (they were a boot time plus a counter).
std::string NewRequestId() {
  uint64_t r[2] = {0, 0};
  unsigned char* p = reinterpret_cast<unsigned char*>(r);
  size_t got = 0;
  while (got < 12) {
    ssize_t n = getrandom(p + got, 12 - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    else if (errno != EINTR) std::abort();  // no kernel randomness: nothing safe to fall back to
  }
  return fmt::format("req_{:016x}{:08x}", r[0], static_cast<uint32_t>(r[1]));
}

http::response<http::string_body> ToBeast(HttpResponse&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "wharf");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  bool has_cache_control = false;
  for (auto& [k, v] : r.headers) has_cache_control = has_cache_control || k == "Cache-Control";
  if (!has_cache_control) res.set(http::field::cache_control, "no-store");  // API answers are never cached
  res.set("X-Content-Type-Options", "nosniff");
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> PlainError(int status, const char* code, const char* message, unsigned version) {
  HttpResponse r;
  r.status = status;
  // The same {error: {code, message, request_id}} shape as every other error (ErrorBody); the
  // request could not be read, so its id is a fresh one.
  const std::string request_id = NewRequestId();
  r.body = fmt::format(R"({{"error":{{"code":"{}","message":"{}","request_id":"{}"}}}})", code, message, request_id);
  r.headers.emplace_back("X-Request-Id", request_id);
  return ToBeast(std::move(r), version, false);
}

}  // namespace

struct HttpServer::Impl {
  Api& api;
  ServerOptions options;
  asio::io_context ioc;
  asio::thread_pool blocking_pool{16};  // requests that wait on worker nodes (Api::MayBlock)
  // Outbound checks (Api::OutboundOrg): their own pool, so a tenant's checks against addresses
  // that never answer cannot take the threads every other request needs.
  asio::thread_pool outbound_pool;
  // The org's outbound slots: the services' (shared with the scheduled re-verification) when
  // given, else the server's own.
  std::unique_ptr<OutboundSlots> own_slots;
  OutboundSlots* outbound_slots;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGTERM, SIGINT};
  std::function<void(int)> on_signal;
  int bound_port = 0;

  Impl(Api& a, ServerOptions o)
      : api(a), options(std::move(o)), outbound_pool(std::max(1, options.outbound_threads)) {
    if (options.outbound_slots == nullptr) own_slots = std::make_unique<OutboundSlots>(options.max_outbound_per_org);
    outbound_slots = options.outbound_slots ? options.outbound_slots : own_slots.get();
  }

  // Takes one of `org`'s outbound slots; false when it already has max_outbound_per_org.
  bool AcquireOutbound(const std::string& org) { return outbound_slots->TryAcquire(org); }
  void ReleaseOutbound(const std::string& org) { outbound_slots->Release(org); }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(8192);
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(options.max_body_bytes);
      stream.expires_after(std::chrono::milliseconds(options.read_timeout_ms));
      boost::system::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
        break;
      if (ec) {
        http::response<http::string_body> res;
        if (ec == http::error::body_limit)
          res = PlainError(413, "payload_too_large", "The request body is larger than 1 MiB.", 11);
        else if (ec == http::error::header_limit)
          res = PlainError(431, "validation_failed", "The request headers are too large.", 11);
        else
          res = PlainError(400, "validation_failed", "Malformed HTTP request.", 11);
        stream.expires_after(std::chrono::seconds(5));
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        // Lingering close: stop sending, then drain what the client is still uploading (bounded
        // in bytes and time) so it can read the error instead of seeing a reset.
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.expires_after(std::chrono::seconds(2));
        std::array<char, 16384> sink;
        for (size_t drained = 0; drained < (16u << 20);) {
          size_t n = co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
          drained += n;
        }
        break;
      }
      auto& req = parser.get();
      HttpRequest r;
      r.method = std::string(req.method_string());
      std::string_view target(req.target().data(), req.target().size());
      auto q = target.find('?');
      r.path = std::string(target.substr(0, q));
      if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
      r.headers.reserve(8);
      for (auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      r.body = std::move(req.body());
      r.remote_ip = remote;
      if (!options.trusted_proxies.empty()) {
        std::vector<std::string_view> forwarded;
        for (auto& [k, v] : r.headers)
          if (k == "x-forwarded-for") forwarded.push_back(v);
        r.remote_ip = ClientAddress(remote, forwarded, options.trusted_proxies);
      }
      r.request_id = NewRequestId();
      const bool keep_alive = req.keep_alive();
      const unsigned version = req.version();
      const bool head = req.method() == http::verb::head;
      auto handle = [this, &r]() {
        HttpResponse out;
        try {
          out = api.Handle(r);
        } catch (const std::exception& e) {
          log::Error("unhandled_exception", {{"request_id", r.request_id}, {"what", e.what()}});
          out.status = 500;
          out.body = ErrorBody(Error{ErrorCode::kInternal, "", e.what(), Layer::kNone, {}}, r.request_id);
        }
        return out;
      };
      HttpResponse out;
      std::optional<std::string> outbound_org;
      if (Api::IsOutboundCheck(r)) outbound_org = api.OutboundOrg(r);
      if (outbound_org && !AcquireOutbound(*outbound_org)) {
        Error e{ErrorCode::kRateLimited,
                fmt::format("This organisation already has {} outbound checks (verify, test, check) in flight. "
                            "Wait for one to finish, then retry.",
                            outbound_slots->limit()),
                {}, Layer::kNone, {{"retry_after", 5}}};
        out.status = HttpStatus(e.code);
        out.body = ErrorBody(e, r.request_id);
        out.headers.emplace_back("Retry-After", "5");
        out.headers.emplace_back("X-Request-Id", r.request_id);
        log::Info("request", {{"request_id", r.request_id}, {"method", r.method}, {"route", "outbound"},
                              {"status", out.status}, {"ip", r.remote_ip}});
      } else if (Api::IsOutboundCheck(r)) {
        // Off the I/O threads and off the shared blocking pool; the slot is held until it ends.
        out = co_await asio::co_spawn(outbound_pool, [&]() -> asio::awaitable<HttpResponse> { co_return handle(); },
                                      asio::use_awaitable);
        if (outbound_org) ReleaseOutbound(*outbound_org);
      } else if (Api::MayBlock(r)) {
        // SSH to a worker node can take seconds: run it on the blocking pool, not an I/O thread.
        out = co_await asio::co_spawn(blocking_pool, [&]() -> asio::awaitable<HttpResponse> { co_return handle(); },
                                      asio::use_awaitable);
      } else {
        out = handle();
      }
      if (out.stream && !head) {
        // Server-Sent Events: chunked, no keep-alive; poll the producer until it ends.
        http::response<http::empty_body> hdr{static_cast<http::status>(out.status), version};
        hdr.set(http::field::content_type, out.content_type);
        hdr.set(http::field::cache_control, "no-store");
        hdr.set("X-Accel-Buffering", "no");
        for (auto& [k, v] : out.headers) hdr.set(k, v);
        hdr.keep_alive(false);
        hdr.chunked(true);
        http::response_serializer<http::empty_body> sr{hdr};
        stream.expires_after(std::chrono::milliseconds(options.read_timeout_ms));
        co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (!ec) {
          std::optional<std::string> chunk = out.stream();
          stream.expires_after(std::chrono::milliseconds(options.read_timeout_ms));
          if (!chunk) {
            co_await asio::async_write(stream, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
            break;
          }
          if (chunk->empty()) {
            timer.expires_after(std::chrono::milliseconds(150));
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
          }
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(*chunk)), asio::redirect_error(asio::use_awaitable, ec));
        }
        break;
      }
      auto res = ToBeast(std::move(out), version, keep_alive);
      if (head) res.body().clear();
      stream.expires_after(std::chrono::milliseconds(options.read_timeout_ms));
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(acceptor.get_executor(), Session(std::move(socket)), asio::detached);
    }
  }
};

HttpServer::HttpServer(Api& api, ServerOptions options) : impl_(std::make_unique<Impl>(api, std::move(options))) {}
HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->options.listen_host, ec);
  if (ec) return FieldError("listen", "host '" + impl_->options.listen_host + "' is not an IP address");
  tcp::endpoint ep(addr, static_cast<unsigned short>(impl_->options.listen_port));
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Err(ErrorCode::kUnavailable, "cannot listen on " + impl_->options.listen_host + ":" +
                                            std::to_string(impl_->options.listen_port) + ": " + ec.message());
  impl_->bound_port = acc.local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
  impl_->signals.async_wait([this](const boost::system::error_code& e, int sig) {
    if (e) return;
    if (impl_->on_signal) impl_->on_signal(sig);
    Stop();
  });
  return Ok();
}

void HttpServer::Run() {
  int n = impl_->options.threads > 0 ? impl_->options.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::Stop() {
  asio::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->signals.cancel(ec);
    impl_->ioc.stop();
  });
}

void HttpServer::OnSignal(std::function<void(int)> fn) { impl_->on_signal = std::move(fn); }
int HttpServer::port() const { return impl_->bound_port; }
std::string HttpServer::url() const {
  return "http://" + impl_->options.listen_host + ":" + std::to_string(impl_->bound_port);
}

}  // namespace wharf::api
