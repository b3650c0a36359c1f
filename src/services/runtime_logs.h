// Live runtime logs of a service: `dokku logs <app> -n N [-t]` on its server, read by a thread of
// its own over SSH and handed to the HTTP stream line by line ({ts, process, text}), with every
// secret of that service (its resolved variable values, the current release's, the credentials
// it deploys with) redacted across chunk boundaries. At most Config::log_streams_per_server
// follow streams run per server (429 beyond); a stream whose reader left is closed, and the
// node's command gets SIGTERM. docs/releases.md "Runtime logs".
//
//   WHARF_ASSIGN_OR_RETURN(auto st, svc.runtime_logs().Open(p, service_id, 100, /*follow=*/true, ctx));
//   bool ended = false;  std::string why;
//   for (auto& line : st->Take(&ended, &why)) send(line);
//   st->Close();   // the reader left
//
// Thread-safety: Open is safe to call concurrently; a LogStream is shared by its reader thread and
// one HTTP producer and synchronizes itself.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "secrets/redact.h"
#include "services/app_services.h"
#include "services/core.h"
#include "services/node_access.h"

namespace wharf::services {

struct LogLine {
  std::string ts;       // RFC 3339 from Docker ("" when the line had none)
  std::string process;  // "web.1" ("" when the line named none)
  std::string text;
};

class LogStream {
 public:
  explicit LogStream(std::vector<std::string> secrets, size_t max_lines = 5000);
  // The reader thread's side.
  void Push(std::string_view chunk);
  void Finish(std::string error);  // "" = the command ended normally
  bool closed() const;
  // The HTTP side: the complete lines that arrived (redacted); `*ended` once the command ended
  // and every line was taken, with `*error` saying why when it failed.
  std::vector<LogLine> Take(bool* ended, std::string* error);
  void Close();

 private:
  void AddLine(std::string line);
  mutable std::mutex mu_;
  secrets::StreamRedactor redactor_;
  std::string partial_;
  std::deque<LogLine> lines_;
  size_t max_lines_;
  size_t dropped_ = 0;
  bool finished_ = false, closed_ = false;
  std::string error_;
};

// Parses one line of `dokku logs` (colour codes removed): "<ts> app[<process>]: <text>".
LogLine ParseLogLine(std::string_view line);

class RuntimeLogs : public Feature {
 public:
  RuntimeLogs(Core& core, AppServices& app_services, NodeAccess& node_access);
  // Closes every open stream and waits (a few seconds at most) for their threads.
  ~RuntimeLogs();

  // services.read on the service (its resource_scope applies). `tail` 0..10000 lines; 429 when
  // `follow` and the server already runs log_streams_per_server follow streams; 409 when the
  // service is a database or its application has no server.
  Result<std::shared_ptr<LogStream>> Open(const authz::Principal& p, std::string_view service_id, int tail, bool follow,
                                          const RequestContext& ctx);
  // Whether `p` may still read the service (a long stream re-checks).
  Status MayRead(const authz::Principal& p, std::string_view service_id, const RequestContext& ctx);

 private:
  AppServices& app_services_;
  NodeAccess& node_access_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> follow_per_server_;
  int running_ = 0;
  std::vector<std::weak_ptr<LogStream>> live_;
};

}  // namespace wharf::services
