#include "ledger/uuid.h"

#include <sodium.h>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ledger {
namespace {

// The 32 hex digits of 8-4-4-4-12 text, without the dashes.
void GatherDigits(std::string_view text, char* digits) {
  std::memcpy(digits, text.data(), 8);
  std::memcpy(digits + 8, text.data() + 9, 4);
  std::memcpy(digits + 12, text.data() + 14, 4);
  std::memcpy(digits + 16, text.data() + 19, 4);
  std::memcpy(digits + 20, text.data() + 24, 12);
}

#if defined(__SSE2__)
// Parse runs for every id of every replayed event (about six per event, 11%
// of a replay's instructions with a table lookup per digit): 16 digits at a
// time instead. Writes 8 bytes; false if any digit is not hex.
bool HexToBytes(const char* digits, uint8_t* out) {
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(digits));
  // Signed byte compares: bytes from 0x80 up are negative, so neither range.
  const __m128i is_digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                         _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  const __m128i lower =
      _mm_or_si128(c, _mm_set1_epi8(0x20));  // a-f, and of the rest only A-F, land in a-f
  const __m128i is_letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                          _mm_cmplt_epi8(lower, _mm_set1_epi8('f' + 1)));
  if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xffff) return false;
  const __m128i value =
      _mm_or_si128(_mm_and_si128(is_digit, _mm_sub_epi8(c, _mm_set1_epi8('0'))),
                   _mm_and_si128(is_letter, _mm_sub_epi8(lower, _mm_set1_epi8('a' - 10))));
  // Each 16-bit lane holds a pair, first digit in its low byte: high << 4 | low.
  const __m128i pairs = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(value, _mm_set1_epi16(0xff)), 4),
                                     _mm_srli_epi16(value, 8));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(pairs, pairs));
  return true;
}
#else
uint8_t HexValue(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return 0xff;
}

bool HexToBytes(const char* digits, uint8_t* out) {
  for (int i = 0; i < 8; ++i) {
    uint8_t high = HexValue(digits[2 * i]);
    uint8_t low = HexValue(digits[2 * i + 1]);
    if ((high | low) & 0xf0) return false;
    out[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}
#endif

}  // namespace

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  char digits[32];
  GatherDigits(text, digits);
  Uuid id;
  if (!HexToBytes(digits, id.bytes.data()) || !HexToBytes(digits + 16, id.bytes.data() + 8)) {
    return std::nullopt;
  }
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
