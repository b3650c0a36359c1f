// The client's address behind reverse proxies (--trusted-proxy): what rate limits, the audit log,
// sessions and sign-in events record.
//
//   std::vector<Cidr> trusted = {*Cidr::Parse("127.0.0.1/32", "trusted-proxy")};
//   std::string ip = ClientAddress("127.0.0.1", {"203.0.113.7, 10.0.0.2"}, trusted);
//
// X-Forwarded-For is read only when the socket peer is a trusted proxy, and from the right: each
// trusted hop is skipped and the first untrusted address is the client. Entries to its left were
// written by the client itself and are never used. Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"

namespace wharf::api {

// `peer`: the socket's remote address. `forwarded_for`: every X-Forwarded-For header value, in
// the order received. Returns `peer` when it is not trusted or no header came; a malformed entry
// stops the walk at the nearest trusted hop (the address that wrote it).
std::string ClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                          const std::vector<Cidr>& trusted);

}  // namespace wharf::api
