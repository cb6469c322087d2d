// UTF-8 as PostgreSQL accepts it: valid sequences and no NUL. Commands must
// carry such text (decide.cc rejects anything else); the projector repairs
// events logged before that rule, since text and jsonb columns refuse them
// and one such value in a COPY would stop it for good.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ledger {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence of two to four bytes at the start of
// `text`, or 0 if there is none (overlong forms, surrogates and code points
// past U+10FFFF included).
inline size_t Utf8SequenceLength(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  auto continuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && byte(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (lead == 0xF4 && byte(1) > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// Offset of the first byte of `text` that is NUL or not UTF-8, or npos.
inline size_t FirstInvalidTextByte(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    // Eight ASCII bytes without NUL at a time: most text is just that.
    if (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      constexpr uint64_t kLow = 0x0101010101010101, kHigh = 0x8080808080808080;
      if (((word | ((word - kLow) & ~word)) & kHigh) == 0) {
        i += 8;
        continue;
      }
    }
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte >= 0x80 ? Utf8SequenceLength(text.substr(i)) : byte != 0;
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

// Appends `text` with NUL bytes dropped and bytes that are not UTF-8
// replaced by U+FFFD; valid text is copied in runs.
inline void AppendValidUtf8(std::string_view text, std::string* out) {
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte != 0 && byte < 0x80) {
      ++i;
      continue;
    }
    size_t length = byte >= 0x80 ? Utf8SequenceLength(text.substr(i)) : 0;
    if (length > 0) {
      i += length;
      continue;
    }
    out->append(text, run, i - run);
    if (byte != 0) out->append(kReplacementCharacter);
    run = ++i;
  }
  out->append(text, run, text.size() - run);
}

}  // namespace ledger
