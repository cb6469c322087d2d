#include "ledger/uuid.h"

#include <sodium.h>

#include <array>
#include <cstring>

namespace ledger {
namespace {

// Hex digit values, 0xff for anything else. Parse runs for every id of every
// replayed event, so it avoids branches per character.
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> table{};
  table.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) table[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) table[c] = static_cast<uint8_t>(c - 'A' + 10);
  return table;
}();

// Offsets of the 16 hex pairs in 8-4-4-4-12 text.
constexpr uint8_t kPairAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};

}  // namespace

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  Uuid id;
  uint8_t bad = 0;
  for (size_t i = 0; i < 16; ++i) {
    uint8_t high = kHexValue[static_cast<uint8_t>(text[kPairAt[i]])];
    uint8_t low = kHexValue[static_cast<uint8_t>(text[kPairAt[i] + 1])];
    bad |= (high | low) & 0xf0;
    id.bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  if (bad != 0) return std::nullopt;
  return id;
}

Uuid Uuid::Random() {
  Uuid id;
  randombytes_buf(id.bytes.data(), id.bytes.size());
  id.bytes[6] = (id.bytes[6] & 0x0f) | 0x40;  // version 4
  id.bytes[8] = (id.bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return id;
}

Uuid Uuid::FromBytes(std::string_view raw) {
  Uuid id;
  std::memcpy(id.bytes.data(), raw.data(), id.bytes.size());
  return id;
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

bool Uuid::IsNil() const {
  for (uint8_t byte : bytes) {
    if (byte != 0) return false;
  }
  return true;
}

size_t UuidHash::operator()(const Uuid& id) const {
  uint64_t high = 0;
  uint64_t low = 0;
  std::memcpy(&high, id.bytes.data(), 8);
  std::memcpy(&low, id.bytes.data() + 8, 8);
  return static_cast<size_t>(high ^ (low * 0x9e3779b97f4a7c15ULL));
}

}  // namespace ledger
