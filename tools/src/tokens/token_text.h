// The text of a bearer token and the hash the store keeps of it:
//
//   token  = "lt_" id "_" secret
//   id     = 16 lowercase hex digits: 8 random bytes. Public: names the token
//            in `ledger token list`, in logs and in `ledger token revoke`.
//   secret = 64 lowercase hex digits: 32 bytes from libsodium's CSPRNG.
//
// The store keeps only SHA-256 of the secret's 32 raw bytes. 256 random bits
// need no salt or slow hash: nobody can guess them, and a stolen store file
// does not give them away.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger::server {

inline constexpr std::string_view kTokenPrefix = "lt_";
inline constexpr size_t kTokenIdBytes = 8;
inline constexpr size_t kTokenSecretBytes = 32;
inline constexpr size_t kTokenIdHexLength = 2 * kTokenIdBytes;
inline constexpr size_t kTokenSecretHexLength = 2 * kTokenSecretBytes;
inline constexpr size_t kTokenTextLength =
    kTokenPrefix.size() + kTokenIdHexLength + 1 + kTokenSecretHexLength;

using TokenSecret = std::array<uint8_t, kTokenSecretBytes>;
using SecretHash = std::array<uint8_t, 32>;  // crypto_hash_sha256_BYTES

struct TokenParts {
  std::string id;
  TokenSecret secret{};
};

// A fresh id and secret. REQUIRES: sodium_init() has succeeded.
TokenParts NewTokenParts();

// "lt_<id>_<secret>".
std::string FormatToken(const TokenParts& parts);

// The id and secret of `text`, or nullopt unless `text` is exactly the
// grammar above (lowercase hex only, one "_" between id and secret).
std::optional<TokenParts> ParseToken(std::string_view text);

SecretHash HashSecret(const TokenSecret& secret);

// True when `text` is exactly `length` lowercase hex digits.
bool IsLowerHex(std::string_view text, size_t length);

// Lowercase hex of `size` bytes.
std::string LowerHex(const uint8_t* bytes, size_t size);

// REQUIRES: IsLowerHex(hex, 2 * size).
void DecodeLowerHex(std::string_view hex, uint8_t* out, size_t size);

}  // namespace ledger::server
