#include "api/client_address.h"

#include "base/strings.h"

namespace wharf::api {

namespace {
bool Trusted(std::string_view ip, const std::vector<Cidr>& trusted) {
  for (const auto& c : trusted)
    if (c.Contains(ip)) return true;
  return false;
}
}  // namespace

std::string ClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                          const std::vector<Cidr>& trusted) {
  std::string client(peer);
  if (!Trusted(peer, trusted)) return client;
  std::vector<std::string_view> hops;
  for (auto header : forwarded_for)
    for (auto part : Split(header, ',')) hops.push_back(Trim(part));
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!IsIpLiteral(*it)) break;  // a hop we cannot read: keep the proxy that wrote it
    client = std::string(*it);
    if (!Trusted(*it, trusted)) break;
  }
  return client;
}

}  // namespace wharf::api
