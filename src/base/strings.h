// Small string helpers shared by every module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wharf {

std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
// Lowercase hex of bytes.
std::string HexEncode(std::string_view bytes);
// Standard base64 (RFC 4648 §4) with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Base64url without padding (RFC 4648 §5).
std::string Base64UrlEncode(std::string_view bytes);
// Decodes base64url (padding optional); false on a bad character.
bool Base64UrlDecode(std::string_view in, std::string* out);
// Percent-decodes a URL path or query component ('+' is left alone). False on a bad escape.
bool PercentDecode(std::string_view in, std::string* out);
// Constant-time equality for equal-length strings (length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wharf
