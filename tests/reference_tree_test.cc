// Roots of a real log checked against an independent RFC 6962 implementation
// (tests/rfc6962_reference.py, Python's hashlib), run on the stored bytes.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "ledger/limits.h"
#include "test_util.h"

namespace ledger {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

TEST(ReferenceTree, StoredLogRootsMatchAnIndependentImplementation) {
  testing::TempDir dir;
  auto log = testing::OpenOrDie(testing::OptionsIn(dir));
  Uuid org = Uuid::Random();
  std::vector<std::string> events;
  for (int i = 0; i < 100; ++i) events.push_back(testing::TeamEvent(org, std::to_string(i)));
  std::vector<std::string_view> views(events.begin(), events.end());
  ASSERT_TRUE(log->Append(std::span(views).first(60)).ok());
  ASSERT_TRUE(log->Append(std::span(views).subspan(60)).ok());

  std::vector<StoredEvent> stored;
  ASSERT_TRUE(log->ReadOrg(org, 1, limits::kReadEventsMax, &stored).ok());
  std::string leaves_file = dir.Sub("leaves.hex");
  {
    std::ofstream out(leaves_file);
    for (const StoredEvent& event : stored) out << Hex(event.body) << "\n";
  }
  const std::vector<uint64_t> sizes = {1, 2, 3, 7, 16, 17, 33, 60, 64, 65, 99, 100};
  std::string command = "/usr/bin/python3 " LEDGER_TESTS_DIR "/rfc6962_reference.py " + leaves_file;
  for (uint64_t size : sizes) command += " " + std::to_string(size);
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[128];
  for (uint64_t size : sizes) {
    ASSERT_NE(fgets(line, sizeof line, pipe), nullptr) << "reference printed too little";
    std::string expected(line);
    expected.erase(expected.find_last_not_of("\n") + 1);
    EXPECT_EQ(ToHex(log->HeadAt(org, size)->root), expected) << "size " << size;
  }
  EXPECT_EQ(pclose(pipe), 0);
}

}  // namespace
}  // namespace ledger
