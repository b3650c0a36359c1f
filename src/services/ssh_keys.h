// An organisation's SSH keys: imported or generated pairs whose private half is sealed with the
// org's data key and never shown again, the public half for download, and the hot list path.
//
//   auto key = svc.ssh_keys().AddSshKey(p, {.name = "deploy", .generate = "ed25519"}, ctx);
//   auto pub = svc.ssh_keys().SshPublicKey(p, key->id, ctx);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"

namespace wharf::services {

struct SshKeyInput {
  std::optional<std::string> name;
  std::optional<std::string> public_key;
  std::optional<SecretBytes> private_key;
};

struct SshKeyCreate {
  std::optional<std::string> name;
  std::optional<std::string> public_key;
  std::optional<SecretBytes> private_key;
  std::optional<std::string> generate;  // "ed25519" | "rsa"
};

class SshKeys : public Feature {
 public:
  explicit SshKeys(Core& core);

  Result<Page<domain::SshKey>> ListSshKeys(const authz::Principal& p, int limit, std::string_view cursor,
                                           const RequestContext& ctx);
  // The hot list path: passes up to `limit` rows to `fn` as views (valid during the call) and
  // returns the next cursor ("" when there are no more rows).
  Result<std::string> VisitSshKeys(const authz::Principal& p, int limit, std::string_view cursor,
                                   const RequestContext& ctx, const std::function<void(const domain::SshKeyView&)>& fn);
  Result<domain::SshKey> GetSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<domain::SshKey> CreateSshKey(const authz::Principal& p, SshKeyInput in, const RequestContext& ctx);
  Result<domain::SshKey> UpdateSshKey(const authz::Principal& p, std::string_view id, SshKeyInput in,
                                      const RequestContext& ctx);
  Status DeleteSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<std::string> SshPublicKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Create with an explicit public key (and optional private key), or generate a pair.
  Result<domain::SshKey> AddSshKey(const authz::Principal& p, SshKeyCreate in, const RequestContext& ctx);
};

}  // namespace wharf::services
