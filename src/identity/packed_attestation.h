// The "packed" attestation statement check (WebAuthn L2 §8.2), internal to src/identity.
//
//   WHARF_ASSIGN_OR_RETURN(AttestationType type, VerifyPackedStatement(att, Sha256(client_data_json)));
//
// Thread-safety: a pure function; safe from any thread.
#pragma once

#include <string_view>

#include "base/error.h"
#include "identity/webauthn.h"

namespace wharf::identity {

// With x5c: the signature over authData || clientDataHash verifies with the leaf certificate's
// key under `alg`; the leaf meets §8.2.1 (version 3; subject C, O, OU "Authenticator
// Attestation", CN; a non-critical id-fido-gen-ce-aaguid extension, when present, equal to the
// authenticator data's AAGUID; basic constraints CA false); each further certificate signs the
// one before it. Returns kBasic (the root's trust is the caller's policy).
// Without x5c (self attestation): `alg` equals the credential key's algorithm and the signature
// verifies with the credential key. Returns kSelf.
// Errors: kValidationFailed, details.check = "attestation".
Result<AttestationType> VerifyPackedStatement(const AttestationObject& att, std::string_view client_data_hash);

}  // namespace wharf::identity
