#include "secrets/redact.h"

namespace wharf::secrets {

std::string Redact(std::string_view text, const std::vector<std::string_view>& secrets) {
  std::string out(text);
  for (auto s : secrets) {
    if (s.size() < 4) continue;
    size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "[redacted]");
      pos += 10;
    }
  }
  return out;
}

std::string RedactUrlPassword(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  auto start = scheme + 3;
  auto at = url.find('@', start);
  auto slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return std::string(url);
  auto colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "[redacted]" + std::string(url.substr(at));
}

}  // namespace wharf::secrets
