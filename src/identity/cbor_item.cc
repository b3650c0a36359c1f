#include "identity/cbor_item.h"

#include <limits>

namespace wharf::identity {
namespace {

// Whether two map keys are equal, for the key types WebAuthn uses (integers and text).
bool SameKey(const cbor_item_t* a, const cbor_item_t* b) {
  auto ia = CborInt(a), ib = CborInt(b);
  if (ia && ib) return *ia == *ib;
  auto ta = CborText(a), tb = CborText(b);
  if (ta && tb) return *ta == *tb;
  return false;
}

constexpr int kMaxDepth = 16;

// Walks one CBOR item from data[*pos] without allocating and advances *pos past it. False when
// the item is truncated, nested deeper than kMaxDepth, uses an indefinite length, a tag or a
// reserved value, or when an array, map or string declares more than the bytes that remain.
// libcbor 0.8 allocates a container's declared size before reading it, so this runs first: a
// 9-byte header can no longer ask for gigabytes.
bool Scan(std::string_view data, size_t* pos, int depth) {
  if (depth > kMaxDepth || *pos >= data.size()) return false;
  uint8_t initial = static_cast<uint8_t>(data[(*pos)++]);
  int major = initial >> 5, info = initial & 0x1f;
  uint64_t arg = static_cast<uint64_t>(info);
  if (info >= 24 && info <= 27) {
    size_t n = size_t{1} << (info - 24);
    if (data.size() - *pos < n) return false;
    arg = 0;
    for (size_t i = 0; i < n; ++i) arg = (arg << 8) | static_cast<uint8_t>(data[*pos + i]);
    *pos += n;
  } else if (info > 27) {
    return false;
  }
  uint64_t remaining = data.size() - *pos;
  switch (major) {
    case 0:
    case 1:
    case 7:
      return true;
    case 2:
    case 3:
      if (arg > remaining) return false;
      *pos += static_cast<size_t>(arg);
      return true;
    case 4:
    case 5: {
      // Every element takes at least one byte.
      if (arg > remaining || (major == 5 && arg > remaining / 2)) return false;
      uint64_t items = major == 5 ? arg * 2 : arg;
      for (uint64_t i = 0; i < items; ++i) {
        if (!Scan(data, pos, depth + 1)) return false;
      }
      return true;
    }
    default:  // 6: tags, which no WebAuthn structure uses
      return false;
  }
}

}  // namespace

Result<CborItem> CborItem::Load(std::string_view data, size_t* consumed, std::string_view check) {
  auto fail = [&](std::string msg) {
    Error e{ErrorCode::kValidationFailed, std::move(msg), {}, Layer::kNone, nlohmann::json::object()};
    e.details["check"] = std::string(check);
    return tl::unexpected<Error>(std::move(e));
  };
  if (data.empty()) return fail("the CBOR data is empty");
  size_t end = 0;
  if (!Scan(data, &end, 0)) return fail("the CBOR data is malformed or uses unsupported encodings");
  struct cbor_load_result res;
  cbor_item_t* item = cbor_load(reinterpret_cast<cbor_data>(data.data()), end, &res);
  if (!item || res.error.code != CBOR_ERR_NONE) {
    if (item) cbor_decref(&item);
    return fail("the CBOR data is malformed");
  }
  CborItem out;
  out.item_ = item;
  if (res.read != end) return fail("the CBOR data is malformed");
  if (consumed) {
    *consumed = end;
  } else if (end != data.size()) {
    return fail("the CBOR data has trailing bytes");
  }
  return out;
}

const cbor_item_t* CborItem::MapGet(int64_t key) const {
  if (!item_ || !cbor_isa_map(item_)) return nullptr;
  struct cbor_pair* pairs = cbor_map_handle(item_);
  for (size_t i = 0; i < cbor_map_size(item_); ++i) {
    auto k = CborInt(pairs[i].key);
    if (k && *k == key) return pairs[i].value;
  }
  return nullptr;
}

const cbor_item_t* CborItem::MapGet(std::string_view key) const {
  if (!item_ || !cbor_isa_map(item_)) return nullptr;
  struct cbor_pair* pairs = cbor_map_handle(item_);
  for (size_t i = 0; i < cbor_map_size(item_); ++i) {
    auto k = CborText(pairs[i].key);
    if (k && *k == key) return pairs[i].value;
  }
  return nullptr;
}

bool CborItem::IsMapWithUniqueKeys() const {
  if (!item_ || !cbor_isa_map(item_) || !cbor_map_is_definite(item_)) return false;
  struct cbor_pair* pairs = cbor_map_handle(item_);
  size_t n = cbor_map_size(item_);
  if (n > 64) return false;  // no WebAuthn map is anywhere near this; keeps the check cheap
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (SameKey(pairs[i].key, pairs[j].key)) return false;
    }
  }
  return true;
}

std::optional<int64_t> CborInt(const cbor_item_t* item) {
  if (!item) return std::nullopt;
  if (cbor_isa_uint(item)) {
    uint64_t v = cbor_get_int(item);
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (cbor_isa_negint(item)) {
    uint64_t v = cbor_get_int(item);  // the value is -1 - v
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return -1 - static_cast<int64_t>(v);
  }
  return std::nullopt;
}

std::optional<std::string> CborBytes(const cbor_item_t* item) {
  if (!item || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return std::nullopt;
  const unsigned char* h = cbor_bytestring_handle(item);
  size_t n = cbor_bytestring_length(item);
  if (n == 0) return std::string();
  if (!h) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(h), n);
}

std::optional<std::string> CborText(const cbor_item_t* item) {
  if (!item || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  const unsigned char* h = cbor_string_handle(item);
  size_t n = cbor_string_length(item);
  if (n == 0) return std::string();
  if (!h) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(h), n);
}

}  // namespace wharf::identity
