// Reads the TLS certificate a node's proxy serves for a host name: connect to the server's
// address (not the name's DNS, which may point at a CDN), send the name as SNI, and report the
// leaf certificate's validity and whether it covers the name. The chain is not judged: the probe
// reads what is served, it does not decide whether to trust it.
//
//   WHARF_ASSIGN_OR_RETURN(nodes::ServedCertificate c,
//                          nodes::ReadServedCertificate("203.0.113.7", 443, "shop.example.com", opts));
//   int64_t days_left = (c.not_after_ms - now_ms) / 86'400'000;
//
// The connection is nodes::ConnectTcp's: the host is resolved once and the private-target guard
// applies (o.allow_private_targets), as for SSH; o.connect_timeout bounds the connect and each
// read or write of the handshake.
// Errors: kValidationFailed with layer network and details.stage: "connect" when the host did not
// resolve, is a refused private target, or host:port refused or timed out (any name would fail the
// same way; the message names host:port), "tls" when the handshake failed (the message names
// host:port and the name).
// Thread-safety: no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "nodes/ssh.h"

namespace wharf::nodes {

struct ServedCertificate {
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
  std::string subject;        // the subject's CN (or the whole subject when it has none)
  std::string issuer;         // the issuer's CN, else its O ("R11", "Let's Encrypt")
  bool matches_name = false;  // the certificate's names (SAN, else CN) cover the SNI name
};

Result<ServedCertificate> ReadServedCertificate(std::string_view host, int port, std::string_view server_name,
                                                const ConnectOptions& o);

}  // namespace wharf::nodes
