// QR codes for TOTP enrolment, rendered on the server with Debian's libqrencode as SVG: one
// <path> for the dark modules (horizontal runs merged), shape-rendering="crispEdges", a white
// background and a 4-module quiet zone, so any size the UI scales it to scans. Error correction
// level M; byte mode, so an otpauth:// URI is encoded exactly as given.
//
//   WHARF_ASSIGN_OR_RETURN(std::string uri, TotpUri("Wharf", email, secret.view()));
//   WHARF_ASSIGN_OR_RETURN(std::string svg, QrSvg(uri));   // inline it in the enrolment page
//
// Thread-safety: safe from any thread (libqrencode is built thread-safe on Debian).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace wharf::identity {

inline constexpr int kQrQuietZone = 4;

// The module matrix: width x width, row-major, true = dark. No quiet zone.
struct QrMatrix {
  int width = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<size_t>(y) * width + x]; }
};

// Encodes `text` (1..1024 bytes). Errors: kValidationFailed when empty or too long for a QR code
// at level M; kInternal when libqrencode fails otherwise.
Result<QrMatrix> QrEncode(std::string_view text);

// The SVG document for `text`, in module units (viewBox 0 0 w+8 w+8), sized by the caller's CSS.
Result<std::string> QrSvg(std::string_view text);

}  // namespace wharf::identity
