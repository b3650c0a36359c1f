// Request bodies through api::Body, the one parser of every JSON body the API takes: whatever
// it accepts must be safe to walk, copy and re-serialise (depth and size were capped at parse).
#include <cstdint>

#include "api/body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf::api;
  HttpRequest req;
  req.headers.emplace_back("content-type", "application/json");
  req.body.assign(reinterpret_cast<const char*>(data), size);
  auto b = Body::Parse(req, {"name", "port", "enabled", "variables", "password", "items"});
  if (!b) return 0;
  (void)b->OptString("name");
  (void)b->OptInt("port");
  (void)b->OptBool("enabled");
  (void)b->OptSecret("password", 1024);
  (void)b->Raw("variables").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  nlohmann::json copy = b->Raw("items");
  (void)(copy == b->Raw("items"));
  (void)b->Take("items");
  return 0;
}
