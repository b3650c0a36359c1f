// SSH keys: the first org-scoped resource collection, and the pattern every later collection
// follows: Authorize (with the row as Resource for read_scope/resource_scope) → validate →
// one transaction (create_limit counted inside it) → audit.
#include "base/strings.h"
#include "domain/validate.h"
#include "secrets/crypto.h"
#include "nodes/keys.h"
#include "services/ssh_keys.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
tl::unexpected<Error> KeyNotFound() { return Err(ErrorCode::kNotFound, "SSH key not found in this organisation."); }

authz::Resource AsResource(const domain::SshKey& k) { return authz::Resource{k.id, k.created_by, {}, {}}; }

// "SHA256:<unpadded base64 of sha256(blob)>", exactly as `ssh-keygen -l` prints it.
std::string Fingerprint(std::string_view blob) {
  std::string b64 = Base64Encode(secrets::Sha256Raw(blob));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

Status ValidatePrivateKey(const SecretBytes& key) {
  std::string_view v = Trim(key.view());
  if (v.size() > 32768) return FieldError("private_key", "is too long");
  if (!StartsWith(v, "-----BEGIN OPENSSH PRIVATE KEY-----") &&
      !StartsWith(v, "-----BEGIN RSA PRIVATE KEY-----") && !StartsWith(v, "-----BEGIN EC PRIVATE KEY-----") &&
      !StartsWith(v, "-----BEGIN PRIVATE KEY-----"))
    return FieldError("private_key", "must be a PEM block such as '-----BEGIN OPENSSH PRIVATE KEY-----' (the file "
                                     "ssh-keygen writes without .pub)");
  return Ok();
}
}  // namespace

Result<Page<domain::SshKey>> SshKeys::ListSshKeys(const authz::Principal& p, int limit, std::string_view cursor,
                                                   const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, Collection::kSshKeys)) q.created_by = p.user_id;
  Page<domain::SshKey> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(page.items, tx.ssh_keys().List(p.org_id, q));
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().created_at, page.items.back().id);
  }
  return page;
}

Result<std::string> SshKeys::VisitSshKeys(const authz::Principal& p, int limit, std::string_view cursor,
                                           const RequestContext& ctx,
                                           const std::function<void(const domain::SshKeyView&)>& fn) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, Collection::kSshKeys)) q.created_by = p.user_id;
  std::string next_cursor;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    int seen = 0;
    Timestamp last_at = 0;
    std::string last_id;
    WHARF_TRY(tx.ssh_keys().Visit(p.org_id, q, [&](const domain::SshKeyView& v) {
      if (seen++ == limit) {  // the (limit + 1)-th row only says that there is more
        next_cursor = EncodeCursor(last_at, last_id);
        return;
      }
      last_at = v.created_at;
      last_id.assign(v.id);
      fn(v);
    }));
    return Ok();
  }));
  return next_cursor;
}

Result<domain::SshKey> SshKeys::GetSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kRead, nullptr, ctx, id));
  std::optional<domain::SshKey> key;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(key, tx.ssh_keys().Find(p.org_id, id));
    return Ok();
  }));
  if (!key) return KeyNotFound();
  auto r = AsResource(*key);
  WHARF_TRY(AuthorizeRow(p, Collection::kSshKeys, Action::kRead, r, ctx, id, KeyNotFound));
  return *key;
}

Result<domain::SshKey> SshKeys::CreateSshKey(const authz::Principal& p, SshKeyInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.public_key) return FieldError("public_key", "is required: paste the .pub file's line, e.g. 'ssh-ed25519 AAAA… you@host'");
  domain::SshKey k;
  WHARF_ASSIGN_OR_RETURN(k.name, domain::ValidateName(*in.name, "name", 100));
  WHARF_ASSIGN_OR_RETURN(auto pk, domain::ParseSshPublicKey(*in.public_key, "public_key"));
  k.id = ids_.New("key");
  k.org_id = p.org_id;
  k.type = pk.type;
  k.public_key = pk.normalized;
  k.fingerprint = Fingerprint(pk.blob);
  k.created_at = k.updated_at = clock_.Now();
  k.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (in.private_key) {
      WHARF_TRY(ValidatePrivateKey(*in.private_key));
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
      if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
      WHARF_ASSIGN_OR_RETURN(k.private_key_sealed,
                             envelope_.Seal(org->wrapped_data_key, {p.org_id, "sshKeys", k.id, "private_key"},
                                            in.private_key->view()));
    }
    k.private_key_set = !k.private_key_sealed.empty();
    WHARF_TRY(EnforceCreateLimit(p, Collection::kSshKeys, [&] { return tx.ssh_keys().CountCreatedBy(p.org_id, p.user_id); },
                                 "SSH keys"));
    if (config_.max_ssh_keys_per_org > 0) {
      // The instance quota (docs/access-control.md, "Quotas"): up to limit + 1 rows tell "full".
      store::PageQuery q;
      q.limit = config_.max_ssh_keys_per_org;
      WHARF_ASSIGN_OR_RETURN(auto keys, tx.ssh_keys().List(p.org_id, q));
      const auto used = static_cast<int64_t>(keys.size());
      if (used >= config_.max_ssh_keys_per_org)
        return QuotaReached(config_.max_ssh_keys_per_org, used,
                            "This organisation already has " + std::to_string(used) + " SSH keys, the most this "
                            "instance allows. Delete keys no longer used, or ask the instance administrator to "
                            "raise --max-ssh-keys-per-org.");
    }
    WHARF_TRY(tx.ssh_keys().Insert(k));
    return AuditIn(tx, p, "sshKeys.create", "sshKeys", k.id, ctx, k.name);
  }));
  return k;
}

Result<domain::SshKey> SshKeys::UpdateSshKey(const authz::Principal& p, std::string_view id, SshKeyInput in,
                                              const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kUpdate, nullptr, ctx, id));
  if (in.public_key) return FieldError("public_key", "cannot be changed; create a new key instead");
  if (in.private_key) return FieldError("private_key", "cannot be changed; create a new key instead");
  std::optional<std::string> name;
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(name, domain::ValidateName(*in.name, "name", 100));
  }
  domain::SshKey out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto k, tx.ssh_keys().Find(p.org_id, id));
    if (!k) return KeyNotFound();
    auto r = AsResource(*k);
    WHARF_TRY(AuthorizeRow(p, Collection::kSshKeys, Action::kUpdate, r, ctx, id, KeyNotFound));
    if (name) k->name = *name;
    k->updated_at = clock_.Now();
    WHARF_TRY(tx.ssh_keys().Update(*k));
    out = *k;
    return AuditIn(tx, p, "sshKeys.update", "sshKeys", k->id, ctx, k->name);
  }));
  return out;
}

Status SshKeys::DeleteSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kDelete, nullptr, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto k, tx.ssh_keys().Find(p.org_id, id));
    if (!k) return KeyNotFound();
    auto r = AsResource(*k);
    WHARF_TRY(AuthorizeRow(p, Collection::kSshKeys, Action::kDelete, r, ctx, id, KeyNotFound));
    WHARF_ASSIGN_OR_RETURN(auto users, tx.servers().ListUsingKey(p.org_id, id));
    if (!users.empty()) {
      nlohmann::json servers = nlohmann::json::array();
      std::string names;
      for (auto& s : users) {
        servers.push_back({{"id", s.id}, {"name", s.name}});
        names += (names.empty() ? "" : ", ") + s.name;
      }
      auto e = Err(ErrorCode::kConflict, "SSH key '" + k->name + "' is used by " + std::to_string(users.size()) +
                                             " server(s): " + names + ". Attach another key to them first.");
      e.value().details = {{"servers", servers}};
      return e;
    }
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.ssh_keys().Delete(p.org_id, id));
    if (!deleted) return KeyNotFound();
    return AuditIn(tx, p, "sshKeys.delete", "sshKeys", k->id, ctx, k->name);
  });
}

// ---------------------------------------------------------------- SSH keys: generate, import, download

Result<domain::SshKey> SshKeys::AddSshKey(const authz::Principal& p, SshKeyCreate in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kCreate, nullptr, ctx));
  SshKeyInput k{std::move(in.name), std::move(in.public_key), {}};
  if (in.generate) {
    if (k.public_key || in.private_key)
      return FieldError("generate", "cannot be combined with public_key or private_key: either generate a pair or import one");
    WHARF_ASSIGN_OR_RETURN(auto kp, nodes::GenerateKeyPair(*in.generate));
    k.public_key = kp.public_key + " wharf";
    k.private_key = std::move(kp.private_key);
  } else if (in.private_key) {
    WHARF_ASSIGN_OR_RETURN(auto kp, nodes::ImportPrivateKey(*in.private_key, "private_key"));
    if (k.public_key) {
      WHARF_ASSIGN_OR_RETURN(auto given, nodes::FingerprintOf(*k.public_key));
      if (given != kp.fingerprint)
        return FieldError("private_key", "does not match public_key (private key is " + kp.fingerprint +
                                             ", public key is " + given + "); paste the two halves of the same pair");
    } else {
      k.public_key = kp.public_key;
    }
    k.private_key = std::move(kp.private_key);
  }
  return CreateSshKey(p, std::move(k), ctx);
}

Result<std::string> SshKeys::SshPublicKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto k, GetSshKey(p, id, ctx));
  return k.public_key + "\n";
}


SshKeys::SshKeys(Core& core) : Feature(core) {}

}  // namespace wharf::services
