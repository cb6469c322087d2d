// Signed tree heads: an org's Merkle tree head (size, root) at a time,
// signed with Ed25519 (libsodium) by the ledger's signing key, so that an
// auditor who saved one can later prove what the log held then.
//
// The signed message is these exact bytes (ASCII, each line ending in \n):
//
//   ledger-tree-head-v1
//   org <org UUID, lower-case, hyphenated>
//   size <decimal number of events>
//   root <64 lower-case hex digits of the RFC 9162 root>
//   timestamp <decimal microseconds since the Unix epoch, UTC>
//
// Keys live in files of hex text: the secret key file (64-byte libsodium
// secret key, mode 0600) and, beside it, "<file>.pub" (32-byte public key).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/event_log.h"
#include "ledger/merkle.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger::audit {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

struct SigningKey {
  std::array<uint8_t, 64> secret{};
  PublicKey public_key{};
};

struct SignedHead {
  Uuid org;
  uint64_t size = 0;
  Digest root{};
  int64_t timestamp = 0;  // microseconds since the epoch
  PublicKey key{};        // who signed
  Signature signature{};
};

// Writes a fresh key pair to `path` (secret, 0600) and `path`.pub. Refuses
// to overwrite an existing file (FailedPrecondition).
Result<SigningKey> GenerateKeyFile(const std::string& path);
// NotFound for a missing file; InvalidArgument for a malformed one.
Result<SigningKey> LoadSigningKey(const std::string& path);
// Reads a .pub file (or a secret key file, taking its public half).
Result<PublicKey> LoadPublicKey(const std::string& path);

std::string SignedMessage(const Uuid& org, const TreeHead& head, int64_t timestamp);
SignedHead SignHead(const SigningKey& key, const Uuid& org, const TreeHead& head,
                    int64_t timestamp);
// Tampered if the signature does not verify under head.key.
Status VerifyHeadSignature(const SignedHead& head);

// One JSON object: {"org","size","root","timestamp" (ISO-8601 UTC),
// "timestamp_us","key","signature","signed_message_format":"ledger-tree-head-v1"}.
std::string ToJson(const SignedHead& head);
// InvalidArgument naming the field that is missing or malformed.
Result<SignedHead> SignedHeadFromJson(std::string_view json);

std::string KeyToHex(std::span<const uint8_t> bytes);

}  // namespace ledger::audit
