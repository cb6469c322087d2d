// A state unpacked from a snapshot keeps its missions, tasks and agent
// requests packed until used (ledger/lazy_by_id.h). These tests hold the
// lazy lists to the plain map they replace: the same entities by lookup,
// insertion and iteration, copies independent of each other, and const
// lookups safe from several threads at once.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ledger/state.h"

namespace ledger {
namespace {

Uuid Numbered(uint64_t n) {
  std::string bytes(16, '\0');
  for (int i = 0; i < 8; ++i) bytes[15 - i] = static_cast<char>(n >> (8 * i));
  bytes[6] = 0x40;  // version 4
  bytes[8] = static_cast<char>(0x80);
  return Uuid::FromBytes(bytes);
}

constexpr int kMissions = 300;

// Even numbers, so that the odd ones between them are absent ids.
Uuid MissionId(int i) { return Numbered(2 * i); }
Uuid TaskId(int i) { return Numbered(100'000 + 2 * i); }
Uuid RequestId(int i) { return Numbered(200'000 + 2 * i); }
constexpr int kRequests = 40;

// An org with kMissions missions (1..kMissions) and a task for each.
State Busy() {
  State s;
  s.org = Numbered(1'000'000);
  s.version = 7;
  for (int i = 1; i <= kMissions; ++i) {
    state::MissionT mission;
    mission.id = MissionId(i).ToString();
    mission.title = "mission " + std::to_string(i);
    mission.status = state::RunStatus::Completed;
    mission.intent = std::make_unique<fb::SealedT>();
    mission.intent->subject_id = Numbered(99).ToString();
    mission.intent->nonce.assign(24, static_cast<uint8_t>(i));
    mission.intent->ciphertext.assign(40, 9);
    s.missions.emplace(MissionId(i), std::move(mission));
    state::TaskT task;
    task.id = TaskId(i).ToString();
    task.mission_id = MissionId(i).ToString();
    task.input = std::string(100, 'x');  // longer than Text keeps in place
    s.tasks.emplace(TaskId(i), std::move(task));
  }
  for (int i = 1; i <= kRequests; ++i) {
    state::AgentRequestT request;
    request.id = RequestId(i).ToString();
    request.request_type = "request " + std::to_string(i);
    request.required_approvals = static_cast<uint16_t>(i % 3);
    s.agent_requests.emplace(RequestId(i), std::move(request));
  }
  return s;
}

State Unpacked(const std::string& packed) {
  Result<State> state = UnpackState(packed);
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  return state.ok() ? std::move(state).value() : State();
}

TEST(LazyStateTest, UnpackLeavesMissionsAndTasksPackedUntilLookedUp) {
  const std::string packed = PackState(Busy());
  State s = Unpacked(packed);
  EXPECT_EQ(s.missions.size(), size_t{kMissions});
  EXPECT_EQ(s.missions.packed(), size_t{kMissions});
  EXPECT_EQ(s.tasks.packed(), size_t{kMissions});
  EXPECT_EQ(s.agent_requests.packed(), size_t{kRequests});
  auto request = s.agent_requests.find(RequestId(17));
  ASSERT_NE(request, s.agent_requests.end());
  EXPECT_EQ(request->second.request_type, "request 17");
  EXPECT_EQ(request->second.required_approvals, 2);
  EXPECT_EQ(s.agent_requests.packed(), size_t{kRequests - 1});

  auto found = s.missions.find(MissionId(123));
  ASSERT_NE(found, s.missions.end());
  EXPECT_EQ(found->second.title, "mission 123");
  EXPECT_EQ(found->second.intent->nonce, std::vector<uint8_t>(24, 123));
  EXPECT_EQ(s.missions.packed(), size_t{kMissions - 1});
  EXPECT_EQ(s.missions.size(), size_t{kMissions});

  // Absent ids, below, between and above the packed ones, unpack nothing.
  for (uint64_t absent : {0ull, 1ull, 3ull, 245ull, 2ull * kMissions + 1, 50'000ull}) {
    EXPECT_EQ(s.missions.find(Numbered(absent)), s.missions.end()) << absent;
    EXPECT_EQ(s.missions.count(Numbered(absent)), 0u) << absent;
  }
  EXPECT_EQ(s.missions.packed(), size_t{kMissions - 1});
  // Every id is found, packed or not, and each exactly once.
  for (int i = 1; i <= kMissions; ++i) {
    ASSERT_EQ(s.missions.count(MissionId(i)), 1u) << i;
    ASSERT_EQ(s.tasks.find(TaskId(i))->second.mission_id, MissionId(i).ToString());
  }
  EXPECT_EQ(s.missions.packed(), 0u);
  EXPECT_EQ(s.tasks.packed(), 0u);
  EXPECT_EQ(PackState(s), packed);
}

TEST(LazyStateTest, IterationUnpacksEveryEntityOnce) {
  const std::string packed = PackState(Busy());
  State s = Unpacked(packed);
  (void)s.missions.find(MissionId(7));  // one taken before the walk
  size_t seen = 0;
  for (const auto& [id, mission] : s.missions) {
    EXPECT_EQ(mission.id, id.ToString());
    ++seen;
  }
  EXPECT_EQ(seen, size_t{kMissions});
  EXPECT_EQ(s.missions.packed(), 0u);
  EXPECT_EQ(PackState(s), packed);
}

TEST(LazyStateTest, InsertingAPackedIdKeepsThePackedEntityAsAMapWould) {
  State s = Unpacked(PackState(Busy()));
  state::MissionT other;
  other.title = "not this one";
  auto [it, inserted] = s.missions.try_emplace(MissionId(42), std::move(other));
  EXPECT_FALSE(inserted);
  EXPECT_EQ(it->second.title, "mission 42");
  auto [added, added_new] = s.missions.try_emplace(Numbered(1));  // between packed ids
  EXPECT_TRUE(added_new);
  EXPECT_EQ(s.missions.size(), size_t{kMissions + 1});
  EXPECT_EQ(s.missions.packed(), size_t{kMissions - 1});
}

TEST(LazyStateTest, ACopyChangesApartFromItsOriginal) {
  const std::string packed = PackState(Busy());
  State original = Unpacked(packed);
  (void)original.tasks.find(TaskId(1));
  State copy = original;
  copy.missions.find(MissionId(3))->second.title = "changed";
  copy.tasks.find(TaskId(1))->second.error = "changed";
  EXPECT_EQ(original.missions.find(MissionId(3))->second.title, "mission 3");
  EXPECT_EQ(original.tasks.find(TaskId(1))->second.error, "");
  EXPECT_EQ(PackState(original), packed);
  EXPECT_NE(PackState(copy), packed);

  State moved = std::move(copy);
  EXPECT_EQ(moved.missions.find(MissionId(3))->second.title, "changed");
  EXPECT_EQ(moved.missions.size(), size_t{kMissions});
}

// The snapshot's bytes are shared: the unpacked state outlives the string
// it was unpacked from.
TEST(LazyStateTest, OutlivesTheBytesItWasUnpackedFrom) {
  State s;
  {
    auto bytes = std::make_shared<const std::string>(PackState(Busy()));
    Result<State> unpacked = UnpackState(*bytes, bytes);
    ASSERT_TRUE(unpacked.ok()) << unpacked.status().ToString();
    s = std::move(unpacked).value();
  }
  EXPECT_EQ(s.missions.find(MissionId(kMissions))->second.title,
            "mission " + std::to_string(kMissions));
}

// Const lookups unpack too; under ThreadSanitizer this checks that readers
// on several threads do so safely, and each gets the right entity.
TEST(LazyStateTest, ConstLookupsFromSeveralThreadsFindTheSameEntities) {
  const State s = Unpacked(PackState(Busy()));
  std::vector<std::thread> readers;
  std::vector<int> wrong(4, 0);
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&s, &wrong, r] {
      for (int k = 0; k < kMissions; ++k) {
        int i = 1 + (k * 7 + r * 31) % kMissions;
        auto found = s.missions.find(MissionId(i));
        if (found == s.missions.end() || found->second.title != "mission " + std::to_string(i)) {
          ++wrong[r];
        }
      }
    });
  }
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  EXPECT_EQ(s.missions.packed(), 0u);
}

}  // namespace
}  // namespace ledger
