#include "token_text.h"

#include <sodium.h>

#include <cassert>

namespace ledger::server {
namespace {

uint8_t HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

TokenParts NewTokenParts() {
  std::array<uint8_t, kTokenIdBytes> id;
  randombytes_buf(id.data(), id.size());
  TokenParts parts;
  parts.id = LowerHex(id.data(), id.size());
  randombytes_buf(parts.secret.data(), parts.secret.size());
  return parts;
}

std::string FormatToken(const TokenParts& parts) {
  assert(IsLowerHex(parts.id, kTokenIdHexLength));
  std::string text(kTokenPrefix);
  text += parts.id;
  text += '_';
  text += LowerHex(parts.secret.data(), parts.secret.size());
  return text;
}

std::optional<TokenParts> ParseToken(std::string_view text) {
  if (text.size() != kTokenTextLength || !text.starts_with(kTokenPrefix)) return std::nullopt;
  text.remove_prefix(kTokenPrefix.size());
  std::string_view id = text.substr(0, kTokenIdHexLength);
  std::string_view secret = text.substr(kTokenIdHexLength + 1);
  if (text[kTokenIdHexLength] != '_' || !IsLowerHex(id, kTokenIdHexLength) ||
      !IsLowerHex(secret, kTokenSecretHexLength)) {
    return std::nullopt;
  }
  TokenParts parts;
  parts.id = std::string(id);
  DecodeLowerHex(secret, parts.secret.data(), parts.secret.size());
  return parts;
}

SecretHash HashSecret(const TokenSecret& secret) {
  static_assert(sizeof(SecretHash) == crypto_hash_sha256_BYTES);
  SecretHash hash;
  crypto_hash_sha256(hash.data(), secret.data(), secret.size());
  return hash;
}

bool IsLowerHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string LowerHex(const uint8_t* bytes, size_t size) {
  std::string hex(2 * size + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();  // sodium_bin2hex writes a terminating NUL
  return hex;
}

void DecodeLowerHex(std::string_view hex, uint8_t* out, size_t size) {
  assert(IsLowerHex(hex, 2 * size));
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<uint8_t>(HexValue(hex[2 * i]) << 4 | HexValue(hex[2 * i + 1]));
  }
}

}  // namespace ledger::server
