// ledger::Text, the org state's string type: values up to kInline bytes stay
// in place, longer ones on the heap, and every copy, move and assignment
// keeps the bytes and the terminating NUL.
#include "ledger/text.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <utility>

namespace ledger {
namespace {

const std::string kUuid = "0b5f6a3e-8f1c-4d2a-9a57-3c1e2f4b5d6e";  // 36 bytes: inline
const std::string kLong(Text::kInline + 1, 'x');                   // first heap size

TEST(Text, KeepsBytesAtAndAcrossTheInlineLimit) {
  for (size_t size :
       {size_t{0}, size_t{1}, Text::kInline - 1, Text::kInline, Text::kInline + 1, size_t{4096}}) {
    std::string value(size, 'a');
    if (size > 0) value.back() = 'z';
    Text text(value);
    EXPECT_EQ(text.size(), size);
    EXPECT_EQ(text.view(), value);
    EXPECT_EQ(text.c_str()[size], '\0') << size;
    EXPECT_EQ(text.str(), value);
  }
}

TEST(Text, HoldsEmbeddedNulBytes) {
  std::string value("a\0b", 3);
  Text text(value);
  EXPECT_EQ(text.size(), 3u);
  EXPECT_EQ(text.view(), value);
}

TEST(Text, CopiesAndMovesAreIndependent) {
  for (const std::string& value : {kUuid, kLong}) {
    Text original(value);
    Text copy(original);
    Text moved(std::move(copy));
    EXPECT_EQ(moved, value);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): documented state
    original = "changed";
    EXPECT_EQ(moved, value);
    Text assigned;
    assigned = moved;
    moved = kUuid;
    EXPECT_EQ(assigned, value);
  }
}

TEST(Text, AssignsBetweenInlineAndHeapBothWays) {
  Text text(kUuid);
  text = kLong;
  EXPECT_EQ(text, kLong);
  text = kUuid;
  EXPECT_EQ(text, kUuid);
  text = Text(kLong);
  EXPECT_EQ(text, kLong);
  text.clear();
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(text.c_str()[0], '\0');
}

// Assigning a part of a value to itself reads from the bytes being replaced.
TEST(Text, AssignsFromItsOwnBytes) {
  Text small(kUuid);
  small = small.view().substr(9);
  EXPECT_EQ(small, kUuid.substr(9));
  std::string long_value = kLong + "tail";
  Text large(long_value);
  large = large.view().substr(2);
  EXPECT_EQ(large, long_value.substr(2));
  Text& alias = large;
  large = alias;
  EXPECT_EQ(large, long_value.substr(2));
}

TEST(Text, ComparesAndHashesAsItsBytes) {
  Text a("alpha"), b("beta");
  EXPECT_LT(a, b);
  EXPECT_EQ(a, std::string("alpha"));
  EXPECT_EQ(a, "alpha");
  EXPECT_NE(a, b);
  std::unordered_set<Text> set{a, Text("alpha"), b};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(std::hash<Text>()(a), std::hash<std::string_view>()("alpha"));
  EXPECT_EQ("id " + a, "id alpha");
}

}  // namespace
}  // namespace ledger
