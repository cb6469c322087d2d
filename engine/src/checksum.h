// Every value the engine stores is framed as
//   checksummed := checksum:fixed64le payload     checksum = XXH3-64(payload)
// XXH3 catches corruption cheaply; it is not tamper evidence (that is the
// Merkle tree's job).
#pragma once

// The streaming state (XXH3_state_t) on the stack needs the static-linking API.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "coding.h"

namespace ledger::checksum {

inline constexpr size_t kBytes = 8;

inline uint64_t Of(std::string_view payload) { return XXH3_64bits(payload.data(), payload.size()); }

// The checksum of parts written one after the other.
inline uint64_t Of(std::initializer_list<std::string_view> parts) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (std::string_view part : parts) XXH3_64bits_update(&state, part.data(), part.size());
  return XXH3_64bits_digest(&state);
}

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

// Copies the payload of `value` to `to` (value.size() - kBytes bytes) and
// checks it on the way, a cache-sized piece at a time, so that a large
// value is read from memory once for both: true if the checksum matches.
inline bool CopyOpen(std::string_view value, char* to) {
  if (value.size() < kBytes) return false;
  std::string_view payload = value.substr(kBytes);
  constexpr size_t kPiece = 64 << 10;
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (size_t at = 0; at < payload.size(); at += kPiece) {
    size_t size = std::min(kPiece, payload.size() - at);
    XXH3_64bits_update(&state, payload.data() + at, size);
    std::memcpy(to + at, payload.data() + at, size);
  }
  return coding::GetFixed64(value) == XXH3_64bits_digest(&state);
}

}  // namespace ledger::checksum
