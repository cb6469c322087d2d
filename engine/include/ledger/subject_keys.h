// Per-subject data keys for personal fields (DESIGN.md decision 9).
//
// Each subject (a person named in personal fields) has a random 32-byte data
// key. Personal values are sealed with XChaCha20-Poly1305 under it, with the
// subject id as associated data. Data keys are stored wrapped by the master
// key in their own column family, outside the hashed log. Forgetting a subject
// replaces its key with a tombstone and compacts the old key away: its sealed
// values can no longer be opened anywhere, and every Merkle proof still holds
// because the leaves cover ciphertext.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/fb/envelope_generated.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger {

// XChaCha20-Poly1305's nonce and tag sizes (libsodium's
// crypto_aead_xchacha20poly1305_ietf_NPUBBYTES and _ABYTES, checked where
// the sealing happens): the shape every sealed value must have.
inline constexpr size_t kSealedNonceBytes = 24;
inline constexpr size_t kSealedTagBytes = 16;

struct SealedValue {
  Uuid subject;
  std::array<uint8_t, kSealedNonceBytes> nonce{};
  std::string ciphertext;  // plaintext length + kSealedTagBytes tag

  flatbuffers::Offset<fb::Sealed> Build(flatbuffers::FlatBufferBuilder& builder) const;
};

class SubjectKeys {
 public:
  virtual ~SubjectKeys() = default;

  // Seals `plaintext` for `subject`, creating its data key on first use.
  // Fails with kFailedPrecondition if the subject was forgotten.
  virtual Result<SealedValue> Seal(const Uuid& subject, std::string_view plaintext) = 0;

  // The plaintext, or nullopt if the subject was forgotten (erased).
  // kCorruption if the ciphertext does not authenticate.
  virtual Result<std::optional<std::string>> Open(const fb::Sealed& sealed) = 0;

  // Destroys the subject's data key, durably. Idempotent.
  virtual Status Forget(const Uuid& subject) = 0;
  virtual bool IsForgotten(const Uuid& subject) = 0;
};

// The SubjectKeys of a service that appends over the wire and holds no data
// keys: Seal returns a seal request (nonce of 24 zero bytes, ciphertext =
// plaintext + 16 zero bytes), which the ledger seals in place under the
// subject's key before it decides the command (schemas/PROTOCOL.md,
// "Personal fields"). The plaintext travels to the ledger once, over the
// connection, and is never stored. Open fails (kFailedPrecondition): a
// client cannot read sealed values; Forget is a command, not a key call.
class SealRequestKeys : public SubjectKeys {
 public:
  Result<SealedValue> Seal(const Uuid& subject, std::string_view plaintext) override;
  Result<std::optional<std::string>> Open(const fb::Sealed& sealed) override;
  Status Forget(const Uuid& subject) override;
  bool IsForgotten(const Uuid& subject) override;
};

}  // namespace ledger
