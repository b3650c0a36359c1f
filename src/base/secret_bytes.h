// SecretBytes: the only type that holds secret plaintext (keys, tokens, passwords).
//
// Move-only; the buffer is zeroed (sodium_memzero-equivalent volatile wipe) on destruction and on
// move-from. It cannot be streamed or formatted: operator<< and fmt print "[redacted]".
//
//   SecretBytes token = SecretBytes::FromString(body["password"]);
//   hasher.Verify(token.view(), stored_hash);
//
// Thread-safety: like std::string; no shared state.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace wharf {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : data_(n, '\0') {}
  static SecretBytes FromString(std::string_view s) {
    SecretBytes b;
    b.data_.assign(s.begin(), s.end());
    return b;
  }
  ~SecretBytes() { Wipe(); }
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.Wipe(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Wipe();
      data_ = std::move(o.data_);
      o.Wipe();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // Explicit copy, so that duplicating a secret is visible at the call site.
  SecretBytes Clone() const { return FromString(view()); }

  std::string_view view() const { return {data_.data(), data_.size()}; }
  unsigned char* data() { return reinterpret_cast<unsigned char*>(data_.data()); }
  const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(data_.data()); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // Last four characters, for `{"set": true, "last4": "..."}`; empty when shorter than 8.
  std::string Last4() const { return data_.size() >= 8 ? std::string(data_.end() - 4, data_.end()) : std::string(); }

 private:
  void Wipe() {
    volatile char* p = data_.data();
    for (size_t i = 0; i < data_.size(); ++i) p[i] = 0;
    data_.clear();
  }
  std::vector<char> data_;
};

inline std::ostream& operator<<(std::ostream& os, const SecretBytes&) { return os << "[redacted]"; }

}  // namespace wharf

template <>
struct fmt::formatter<wharf::SecretBytes> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const wharf::SecretBytes&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("[redacted]", ctx);
  }
};
