// Uuid::Parse against a plain reference parser: every byte value at every
// position of the text, both cases, and the lengths and dashes around it.
#include "ledger/uuid.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace ledger {
namespace {

// One character at a time, written for clarity only.
std::optional<std::array<uint8_t, 16>> ReferenceUuidParse(std::string_view text) {
  static const std::string kDigits = "0123456789abcdef";
  if (text.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> out{};
  int nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::nullopt;
      continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    size_t value = kDigits.find(c);
    if (value == std::string::npos) return std::nullopt;
    out[nibble / 2] |= static_cast<uint8_t>(nibble % 2 == 0 ? value << 4 : value);
    ++nibble;
  }
  return out;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

TEST(UuidTest, RandomIdsRoundTripThroughTextInEitherCase) {
  for (int i = 0; i < 1000; ++i) {
    Uuid id = Uuid::Random();
    std::string text = id.ToString();
    ASSERT_EQ(Uuid::Parse(text), id) << text;
    ASSERT_EQ(Uuid::Parse(Upper(text)), id) << Upper(text);
  }
}

TEST(UuidTest, EveryByteAtEveryPositionParsesAsTheReferenceSays) {
  std::vector<std::string> bases = {"00000000-0000-0000-0000-000000000000",
                                    "ffffffff-ffff-ffff-ffff-ffffffffffff",
                                    "01234567-89ab-cdef-ABCD-EF0123456789"};
  for (int i = 0; i < 4; ++i) bases.push_back(Uuid::Random().ToString());
  int accepted = 0, refused = 0;
  for (const std::string& base : bases) {
    ASSERT_TRUE(ReferenceUuidParse(base).has_value()) << base;
    for (size_t at = 0; at < base.size(); ++at) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string text = base;
        text[at] = static_cast<char>(byte);
        std::optional<std::array<uint8_t, 16>> expected = ReferenceUuidParse(text);
        std::optional<Uuid> parsed = Uuid::Parse(text);
        ASSERT_EQ(parsed.has_value(), expected.has_value()) << "byte " << byte << " at " << at;
        if (parsed) {
          ASSERT_EQ(parsed->bytes, *expected) << text;
          ++accepted;
        } else {
          ++refused;
        }
      }
    }
  }
  EXPECT_EQ(accepted, 7 * (32 * 22 + 4));  // 22 hex characters per digit, one dash
  EXPECT_GT(refused, 0);
}

TEST(UuidTest, RefusesOtherLengthsAndShapes) {
  const std::string good = "01234567-89ab-cdef-0123-456789abcdef";
  ASSERT_TRUE(Uuid::Parse(good).has_value());
  for (const std::string& bad :
       {std::string(), good.substr(1), good + "0", "{" + good + "}",
        std::string("0123456789abcdef0123456789abcdef"),
        std::string("01234567-89ab-cdef-0123-456789abcde"),
        std::string("0123456-789ab-cdef-0123-456789abcdef"), std::string(36, '-')}) {
    EXPECT_FALSE(Uuid::Parse(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ledger
