// CborItem: an owned libcbor item and the few readers src/identity needs (WebAuthn's
// attestation objects, authenticator data extensions and COSE keys). Internal to src/identity.
// Load accepts definite lengths only, no tags, at most 16 levels deep, and checks every declared
// length against the bytes that remain before libcbor allocates anything (CTAP2 canonical CBOR
// never needs more).
//
//   size_t used = 0;
//   WHARF_ASSIGN_OR_RETURN(CborItem key, CborItem::Load(bytes, &used, "public_key"));
//   const cbor_item_t* x = key.MapGet(-2);  // nullptr when absent
//
// Thread-safety: a CborItem is not shared; distinct items may be used on distinct threads.
#pragma once

#include <cbor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace wharf::identity {

class CborItem {
 public:
  CborItem() = default;
  ~CborItem() {
    if (item_) cbor_decref(&item_);
  }
  CborItem(CborItem&& o) noexcept : item_(o.item_) { o.item_ = nullptr; }
  CborItem& operator=(CborItem&& o) noexcept {
    if (this != &o) {
      if (item_) cbor_decref(&item_);
      item_ = o.item_;
      o.item_ = nullptr;
    }
    return *this;
  }
  CborItem(const CborItem&) = delete;
  CborItem& operator=(const CborItem&) = delete;

  // Decodes the first CBOR item of `data`; *consumed is set to its length. When consumed is
  // nullptr, trailing bytes are an error. Errors: kValidationFailed, details.check = `check`.
  static Result<CborItem> Load(std::string_view data, size_t* consumed, std::string_view check);

  const cbor_item_t* get() const { return item_; }

  // Map lookup by integer or text key; nullptr when absent or when the item is not a map.
  const cbor_item_t* MapGet(int64_t key) const;
  const cbor_item_t* MapGet(std::string_view key) const;
  // True when the item is a definite map whose keys are all distinct.
  bool IsMapWithUniqueKeys() const;

 private:
  cbor_item_t* item_ = nullptr;
};

// Readers for one item; nullopt when it has another type (or is indefinite / out of range).
std::optional<int64_t> CborInt(const cbor_item_t* item);
std::optional<std::string> CborBytes(const cbor_item_t* item);
std::optional<std::string> CborText(const cbor_item_t* item);

}  // namespace wharf::identity
