#include "secrets/redact.h"

#include <cctype>

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

StreamRedactor::StreamRedactor(std::vector<std::string> secrets) {
  for (auto& s : secrets) Add(std::move(s));
}

void StreamRedactor::Add(std::string secret) {
  if (secret.size() >= 4) secrets_.push_back(std::move(secret));
}

std::string StreamRedactor::Push(std::string_view chunk) {
  held_.append(chunk);
  return Drain(false);
}

std::string StreamRedactor::Flush() { return Drain(true); }

std::string StreamRedactor::Drain(bool final) {
  std::string out;
  out.reserve(held_.size());
  const std::string_view text(held_);
  size_t i = 0;
  while (i < text.size()) {
    const std::string_view rest = text.substr(i);
    size_t match = 0;
    bool could_grow = false;
    for (const auto& s : secrets_) {
      if (rest.size() >= s.size()) {
        if (s.size() > match && rest.compare(0, s.size(), s) == 0) match = s.size();
      } else if (!final && s.compare(0, rest.size(), rest) == 0) {
        could_grow = true;  // the text ends inside what may be this secret
      }
    }
    if (could_grow) {
      break;  // wait: a longer secret may still complete here
    } else if (match > 0) {
      out += "[redacted]";
      i += match;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  held_.erase(0, i);
  return out;
}

namespace {

std::string RedactUserinfoPassword(std::string_view url) {
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

}  // namespace

std::string RedactUrlPassword(std::string_view url) {
  std::string out = RedactUserinfoPassword(url);
  // Query parameters naming a password (libpq accepts ?password=…, ?sslpassword=…).
  auto q = out.find('?');
  while (q != std::string::npos) {
    const size_t key = q + 1;
    const size_t eq = out.find('=', key);
    size_t end = out.find('&', key);
    if (eq == std::string::npos || (end != std::string::npos && end < eq)) {
      q = end;
      continue;
    }
    if (end == std::string::npos) end = out.size();
    std::string name = out.substr(key, eq - key);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (name.size() >= 8 && name.compare(name.size() - 8, 8, "password") == 0) {
      out.replace(eq + 1, end - eq - 1, "[redacted]");
      end = eq + 1 + 10;
    }
    q = end < out.size() ? end : std::string::npos;
  }
  return out;
}

}  // namespace wharf::secrets
