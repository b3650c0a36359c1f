// Plain HTTP request/response values shared by the router, the handlers and the Beast server.
// Only server.cc knows about Beast; everything else in api/ works on these.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::api {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // percent-decoded later per segment; raw here, without the query
  std::string query;   // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;
  std::string request_id;

  std::string_view Header(std::string_view lower_name) const {
    for (auto& [k, v] : headers)
      if (k == lower_name) return v;
    return {};
  }
  // The value of query parameter `name` (percent-decoded), or empty. `*present` tells absence apart.
  std::string Query(std::string_view name, bool* present = nullptr) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string route;  // the matched route pattern, for logs ("/api/v1/orgs/{org}/roles")
  int metrics_index = -1;  // the route's metrics slot; -1 = unmatched
  // A streamed body (Server-Sent Events): called until it returns nullopt; an empty string means
  // "nothing new yet" (the server waits a little and asks again). `body` is ignored when set.
  std::function<std::optional<std::string>()> stream;
};

}  // namespace wharf::api
