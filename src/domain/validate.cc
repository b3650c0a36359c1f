#include "domain/validate.h"

#include <cctype>

#include "base/strings.h"

namespace wharf::domain {

namespace {
bool SlugChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
}  // namespace

Status ValidateSlug(std::string_view slug, std::string_view field) {
  bool ok = slug.size() >= 3 && slug.size() <= 40 && SlugChar(slug.front()) && SlugChar(slug.back());
  for (char c : slug) ok = ok && (SlugChar(c) || c == '-');
  if (!ok)
    return FieldError(field, "must be 3-40 characters of a-z, 0-9 and '-', starting and ending with a letter or digit");
  return Ok();
}

std::string SlugFromName(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != '-') out.push_back('-');
    if (out.size() >= 30) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  while (out.size() < 3) out += out.empty() ? "org" : "0";
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

Result<std::string> NormalizeEmail(std::string_view email, std::string_view field) {
  std::string e = ToLower(Trim(email));
  auto at = e.find('@');
  bool ok = !e.empty() && e.size() <= 254 && at != std::string::npos && at > 0 && at == e.rfind('@') &&
            at < e.size() - 1;
  if (ok) {
    std::string_view domain = std::string_view(e).substr(at + 1);
    ok = domain.find('.') != std::string_view::npos && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
    for (unsigned char c : e) ok = ok && c > 0x20 && c != 0x7f && c != ',' && c != '<' && c != '>' && c != '"';
  }
  if (!ok) return FieldError(field, "must be an email address like ada@example.com");
  return e;
}

Result<std::string> ValidateName(std::string_view name, std::string_view field, size_t max_len) {
  std::string_view t = Trim(name);
  if (t.empty()) return FieldError(field, "must not be empty");
  if (t.size() > max_len) return FieldError(field, "must be at most " + std::to_string(max_len) + " characters");
  if (!IsValidUtf8(t)) return FieldError(field, "must be valid UTF-8");
  for (unsigned char c : t)
    if (c < 0x20 || c == 0x7f) return FieldError(field, "must not contain control characters");
  return std::string(t);
}

Status ValidatePassword(std::string_view password, std::string_view field) {
  if (password.size() < 10) return FieldError(field, "must be at least 10 characters");
  if (password.size() > 1024) return FieldError(field, "must be at most 1024 characters");
  return Ok();
}

Result<SshPublicKey> ParseSshPublicKey(std::string_view line, std::string_view field) {
  std::string_view t = Trim(line);
  if (t.size() > 16384) return FieldError(field, "is too long to be an SSH public key");
  if (t.find('\n') != std::string_view::npos || t.find('\r') != std::string_view::npos)
    return FieldError(field, "must be a single line like 'ssh-ed25519 AAAA... comment'");
  auto sp = t.find(' ');
  if (sp == std::string_view::npos)
    return FieldError(field, "must look like 'ssh-ed25519 AAAA... comment' (type, base64 key, optional comment)");
  std::string type(t.substr(0, sp));
  std::string_view rest = Trim(t.substr(sp + 1));
  auto sp2 = rest.find(' ');
  std::string_view b64 = rest.substr(0, sp2);
  std::string_view comment = sp2 == std::string_view::npos ? std::string_view() : Trim(rest.substr(sp2 + 1));
  if (type != "ssh-ed25519" && type != "ssh-rsa" && type != "ecdsa-sha2-nistp256" &&
      type != "ecdsa-sha2-nistp384" && type != "ecdsa-sha2-nistp521")
    return FieldError(field, "key type '" + type.substr(0, 40) +
                                 "' is not supported; use ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521");
  std::string blob;
  for (char c : b64)
    if (c == '-' || c == '_') return FieldError(field, "the key part is not valid base64");
  if (b64.empty() || !Base64UrlDecode(b64, &blob) || blob.size() < 4 + type.size())
    return FieldError(field, "the key part is not valid base64");
  uint32_t len = (uint8_t)blob[0] << 24 | (uint8_t)blob[1] << 16 | (uint8_t)blob[2] << 8 | (uint8_t)blob[3];
  if (len != type.size() || blob.compare(4, len, type) != 0)
    return FieldError(field, "the key data does not match its type '" + type + "'");
  if (type == "ssh-ed25519" && blob.size() != 4 + 11 + 4 + 32)
    return FieldError(field, "an ssh-ed25519 key must hold exactly 32 bytes of key data");
  if (!IsValidUtf8(comment)) return FieldError(field, "the comment must be valid UTF-8");
  SshPublicKey k;
  k.type = type;
  k.blob = std::move(blob);
  k.normalized = type + " " + std::string(b64);
  if (!comment.empty()) k.normalized += " " + std::string(comment);
  return k;
}


}  // namespace wharf::domain
