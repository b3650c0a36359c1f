#include "base/ustar.h"

#include <cstring>

namespace wharf {

namespace {

// `value` as `width - 1` octal digits and a NUL, as ustar's numeric fields are.
void Octal(char* field, size_t width, unsigned long long value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

}  // namespace

Status TarAdd(std::string& out, std::string_view name, std::string_view data, Timestamp mtime_ms) {
  if (name.empty() || name.size() > 100 || name.find('\0') != std::string_view::npos)
    return FieldError("name", "must be 1-100 bytes without NUL for a ustar archive");
  constexpr unsigned long long kMaxOctal11 = (1ull << 33) - 1;
  if (data.size() > kMaxOctal11) return FieldError("name", "is 8 GiB or larger, over ustar's size field");
  unsigned long long mtime = mtime_ms > 0 ? static_cast<unsigned long long>(mtime_ms / 1000) : 0;
  if (mtime > kMaxOctal11) mtime = 0;
  char h[512] = {};
  std::memcpy(h, name.data(), name.size());  // a 100-byte name fills the field with no NUL
  Octal(h + 100, 8, 0644);
  Octal(h + 108, 8, 0);
  Octal(h + 116, 8, 0);
  Octal(h + 124, 12, data.size());
  Octal(h + 136, 12, mtime);
  h[156] = '0';
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : std::string_view(h, 512)) sum += c;
  Octal(h + 148, 7, sum);  // six digits and a NUL; the eighth byte stays ' '
  out.append(h, 512);
  out.append(data);
  out.append((512 - data.size() % 512) % 512, '\0');
  return Ok();
}

}  // namespace wharf
