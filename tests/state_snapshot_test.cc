// UnpackState verifies a snapshot in steps: the OrgStateOutline, then each
// entity table as it unpacks it, and each mission, task and agent request
// table, left packed, when it is first read (lazy_by_id.h). These tests hold
// it to FlatBuffers' own verifier of the whole OrgState: a snapshot is
// refused, or one of its packed entities dropped when read, exactly when
// that verifier refuses it (below its table limit).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "ledger/ledger.h"
#include "ledger/state.h"
#include "random_commands.h"
#include "test_util.h"

namespace ledger {
namespace {

Uuid NumberedId(uint64_t n) {
  std::string bytes(16, '\0');
  std::memcpy(bytes.data(), &n, sizeof n);
  bytes[6] = 0x40;  // version 4, so the text form parses as an id
  bytes[8] = static_cast<char>(0x80);
  return Uuid::FromBytes(bytes);
}

// An org after a random history of the whole catalogue, so that most of
// the state's lists hold entities (each list is verified on its own).
State RandomState() {
  testing::TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  options.log.sync = false;
  auto ledger = Ledger::Open(options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  if (!ledger.ok()) return State();
  testing::SharedCatalogue shared;
  testing::RandomCommands history(4242, 3'000, &(*ledger)->log().subject_keys(), &shared);
  while (!history.done()) {
    std::vector<Command> one = {history.Next().command};
    (void)(*ledger)->Submit(one);  // the history's deliberate mistakes are refused
  }
  Result<State> state = (*ledger)->CurrentState(history.org());
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  return state.ok() ? std::move(state).value() : State();
}

// How many of the state's entity lists are not empty.
int FilledLists(const std::string& packed) {
  const state::OrgStateOutline* outline =
      flatbuffers::GetRoot<state::OrgStateOutline>(packed.data());
  const flatbuffers::TypeTable* type = state::OrgStateOutlineTypeTable();
  int filled = 0;
  for (size_t i = 0; i < type->num_elems; ++i) {
    if (type->type_codes[i].base_type != flatbuffers::ET_UINT) continue;
    const auto* table = reinterpret_cast<const flatbuffers::Table*>(outline);
    const auto* list = table->GetPointer<const flatbuffers::Vector<uint32_t>*>(
        flatbuffers::FieldIndexToOffset(static_cast<flatbuffers::voffset_t>(i)));
    filled += list != nullptr && list->size() > 0;
  }
  return filled;
}

// The random org plus 5,000 missions and tasks, the lists a busy org keeps
// packed.
State LargeState() {
  State s = RandomState();
  uint64_t next = 100;
  for (int e = 0; e < 20; ++e) {
    const Uuid id = NumberedId(next++);
    state::EmployeeT employee;
    employee.id = id.ToString();
    employee.status = state::EmployeeStatus::Active;
    s.employees.emplace(id, std::move(employee));
  }
  for (int m = 0; m < 5'000; ++m) {
    const Uuid mission_id = NumberedId(next++);
    const Uuid task_id = NumberedId(next++);
    state::MissionT mission;
    mission.id = mission_id.ToString();
    mission.title = "mission " + std::to_string(m);
    mission.intent = std::make_unique<fb::SealedT>();
    mission.intent->subject_id = NumberedId(100).ToString();
    mission.intent->nonce.assign(24, 7);
    mission.intent->ciphertext.assign(40, 9);
    state::TaskT task;
    task.id = task_id.ToString();
    task.mission_id = mission.id;
    task.status = state::RunStatus::Running;
    s.tasks.emplace(task_id, std::move(task));
    s.missions.emplace(mission_id, std::move(mission));
  }
  return s;
}

// FlatBuffers' verifier of the whole OrgState, every table followed.
bool FullyVerified(const std::string& bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 64,
                                 100'000'000);
  return state::VerifyOrgStateBuffer(verifier);
}

// The offset in `bytes` of the i-th table of a list.
template <typename Table>
size_t TableOffset(const std::string& bytes,
                   const flatbuffers::Vector<flatbuffers::Offset<Table>>* list, size_t i) {
  return reinterpret_cast<const char*>(list->Get(i)) - bytes.data();
}

TEST(StateSnapshotTest, OutlineHasOrgStatesFieldsWithListsUnfollowed) {
  const flatbuffers::TypeTable* full = state::OrgStateTypeTable();
  const flatbuffers::TypeTable* outline = state::OrgStateOutlineTypeTable();
  ASSERT_EQ(full->num_elems, outline->num_elems);
  for (size_t i = 0; i < full->num_elems; ++i) {
    SCOPED_TRACE(full->names[i]);
    EXPECT_STREQ(full->names[i], outline->names[i]);
    const flatbuffers::TypeCode a = full->type_codes[i];
    const flatbuffers::TypeCode b = outline->type_codes[i];
    EXPECT_EQ(a.is_repeating, b.is_repeating);
    const flatbuffers::TypeTable* element =
        a.sequence_ref == -1 ? nullptr : full->type_refs[a.sequence_ref]();
    if (a.is_repeating && a.base_type == flatbuffers::ET_SEQUENCE &&
        element->st == flatbuffers::ST_TABLE && element != state::IdempotencyEntryTypeTable()) {
      EXPECT_EQ(b.base_type, flatbuffers::ET_UINT) << "an entity list the outline follows";
    } else {
      EXPECT_EQ(a.base_type, b.base_type);
      ASSERT_EQ(a.sequence_ref == -1, b.sequence_ref == -1);
      if (a.sequence_ref != -1) {  // the same table or enum (each list numbers its own)
        EXPECT_EQ(full->type_refs[a.sequence_ref](), outline->type_refs[b.sequence_ref]());
      }
    }
  }
}

TEST(StateSnapshotTest, LargeStateRoundTrips) {
  const std::string packed = PackState(LargeState());
  Result<State> unpacked = UnpackState(packed);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status().ToString();
  EXPECT_EQ(unpacked->tasks.size(), 5'000u);
  EXPECT_EQ(unpacked->missions.size(), 5'000u);
  EXPECT_EQ(PackState(*unpacked), packed);
  EXPECT_GE(FilledLists(packed), 20) << "the random history should reach most lists";
}

// Reads every mission, task and agent request (iteration unpacks them
// all); returns how many tables were dropped.
size_t ReadAllPacked(const State& s) {
  size_t read = 0;
  for ([[maybe_unused]] const auto& entry : s.missions) ++read;
  for ([[maybe_unused]] const auto& entry : s.tasks) ++read;
  for ([[maybe_unused]] const auto& entry : s.agent_requests) ++read;
  EXPECT_EQ(read, s.missions.size() + s.tasks.size() + s.agent_requests.size());
  return s.DroppedFromSnapshot();
}

// Points a 4-byte offset at `offset` in a copy of `packed` far outside it.
std::string BreakAt(const std::string& packed, size_t offset) {
  std::string damaged = packed;
  const int32_t far = 0x7fff0000;
  std::memcpy(damaged.data() + offset, &far, sizeof far);
  EXPECT_FALSE(FullyVerified(damaged));
  return damaged;
}

// A broken table in an unpacked list (employees): the snapshot is refused.
// In a packed one (tasks, missions), the snapshot unpacks and that entity
// is dropped when first read, never read, and counted once: with its start
// broken, lookups scan the list instead of searching it (hiding no
// neighbour) and iteration drops it; with a field after its id broken, a
// lookup of it drops it.
TEST(StateSnapshotTest, ABrokenTableIsRefusedOrItsPackedEntityDropped) {
  const std::string packed = PackState(LargeState());
  const state::OrgState* root = state::GetOrgState(packed.data());
  Result<State> refused = UnpackState(BreakAt(packed, TableOffset(packed, root->employees(), 19)));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kCorruption);

  Result<State> intact = UnpackState(packed);
  ASSERT_TRUE(intact.ok());
  for (bool tasks : {true, false}) {
    for (bool start : {true, false}) {
      SCOPED_TRACE(std::string(tasks ? "tasks" : "missions") + (start ? ", start" : ", field"));
      const size_t index = tasks ? 4'321 : 2'718;
      const auto* table =
          tasks ? reinterpret_cast<const flatbuffers::Table*>(root->tasks()->Get(index))
                : reinterpret_cast<const flatbuffers::Table*>(root->missions()->Get(index));
      const Uuid broken = *Uuid::Parse(tasks ? root->tasks()->Get(index)->id()->string_view()
                                             : root->missions()->Get(index)->id()->string_view());
      const uint8_t* at =
          start ? reinterpret_cast<const uint8_t*>(table)
                : table->GetAddressOf(tasks ? flatbuffers::voffset_t{state::Task::VT_MISSION_ID}
                                            : flatbuffers::voffset_t{state::Mission::VT_TITLE});
      ASSERT_NE(at, nullptr);
      Result<State> unpacked =
          UnpackState(BreakAt(packed, reinterpret_cast<const char*>(at) - packed.data()));
      ASSERT_TRUE(unpacked.ok()) << unpacked.status().ToString();
      auto size = [&] { return tasks ? unpacked->tasks.size() : unpacked->missions.size(); };
      auto dropped = [&] {
        return tasks ? unpacked->tasks.dropped() : unpacked->missions.dropped();
      };
      const size_t before = size();
      for (int lookup = 0; lookup < 2; ++lookup) {
        EXPECT_EQ(tasks ? unpacked->tasks.count(broken) : unpacked->missions.count(broken), 0u);
        EXPECT_EQ(dropped(), start ? 0u : 1u);
        EXPECT_EQ(size(), start ? before : before - 1);
      }
      // Every other entity is found by lookup, as packed.
      for (const auto& [id, task] : intact->tasks) {
        ASSERT_EQ(unpacked->tasks.count(id), tasks && id == broken ? 0u : 1u);
      }
      for (const auto& [id, mission] : intact->missions) {
        ASSERT_EQ(unpacked->missions.count(id), !tasks && id == broken ? 0u : 1u);
      }
      EXPECT_EQ(ReadAllPacked(*unpacked), 1u);
      EXPECT_EQ(size(), before - 1);
    }
  }
}

// Random byte changes anywhere: the snapshot is refused, or a mission, task
// or agent request dropped once all are read, exactly when the whole-buffer verifier
// refuses it (and, under ASan, nothing is read out of bounds either way). A
// damaged org id text is the one extra refusal.
TEST(StateSnapshotTest, RefusesOrDropsExactlyWhatTheFullVerifierRefuses) {
  const std::string packed = PackState(LargeState());
  std::mt19937_64 random(20261207);
  int rejected = 0, dropped = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string damaged = packed;
    // Most of the buffer is text. Every other change lands in the first 4 KB,
    // where the builder leaves the root, the list headers and the lists
    // packed last.
    std::uniform_int_distribution<size_t> anywhere(0, damaged.size() - 1);
    for (int k = 0; k < 4; ++k) {
      size_t at = anywhere(random);
      if (k % 2 == 1) at = std::min<size_t>(at % 4096, damaged.size() - 1);
      damaged[at] = static_cast<char>(random());
    }
    const bool full = FullyVerified(damaged);
    Result<State> unpacked = UnpackState(damaged);
    const bool refused = !unpacked.ok() && unpacked.status().message() != "snapshot has no org id";
    const bool lost = unpacked.ok() && ReadAllPacked(*unpacked) > 0;
    EXPECT_EQ(refused || lost, !full) << "trial " << trial << ": " << unpacked.status().ToString();
    rejected += !full;
    dropped += lost;
  }
  EXPECT_GT(rejected, 10) << "the damage should break the structure in some trials";
  EXPECT_GT(dropped, 0) << "some damage should land in a packed table";
}

}  // namespace
}  // namespace ledger
