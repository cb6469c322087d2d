// Every value the engine stores is framed as
//   checksummed := checksum:fixed64le payload     checksum = XXH3-64(payload)
// XXH3 catches corruption cheaply; it is not tamper evidence (that is the
// Merkle tree's job).
#pragma once

#include <xxhash.h>

#include <optional>
#include <string>
#include <string_view>

#include "coding.h"

namespace ledger::checksum {

inline constexpr size_t kBytes = 8;

inline uint64_t Of(std::string_view payload) { return XXH3_64bits(payload.data(), payload.size()); }

// Reserves room for the checksum; call Seal once the payload is appended.
inline void Begin(std::string* out) { out->append(kBytes, '\0'); }

// REQUIRES: Begin was called on `out` at offset `start`.
inline void Seal(std::string* out, size_t start = 0) {
  std::string_view payload(out->data() + start + kBytes, out->size() - start - kBytes);
  uint64_t sum = Of(payload);
  for (size_t i = 0; i < kBytes; ++i) (*out)[start + i] = static_cast<char>(sum >> (8 * i));
}

// The payload if the checksum matches, nullopt if not.
inline std::optional<std::string_view> Open(std::string_view value) {
  if (value.size() < kBytes) return std::nullopt;
  std::string_view payload = value.substr(kBytes);
  if (coding::GetFixed64(value) != Of(payload)) return std::nullopt;
  return payload;
}

}  // namespace ledger::checksum
