// The write model end to end: a generated history submitted as commands,
// then the same state rebuilt by replay, from snapshots, after a restart and
// after eviction.
#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ledger/apply.h"
#include "ledger/tools/history_generator.h"
#include "test_util.h"

namespace ledger {
namespace {

using testing::TempDir;

LedgerOptions OptionsFor(const TempDir& dir, uint64_t snapshot_every = 50) {
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  options.snapshot_every = snapshot_every;
  return options;
}

std::unique_ptr<Ledger> OpenLedger(const LedgerOptions& options) {
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger).value() : nullptr;
}

// Submits the generated history in batches; returns the number accepted.
size_t SubmitAll(Ledger& ledger, const std::vector<std::string>& events, size_t batch) {
  size_t accepted = 0;
  for (size_t start = 0; start < events.size(); start += batch) {
    std::vector<Command> commands;
    for (size_t i = start; i < std::min(events.size(), start + batch); ++i) {
      commands.push_back({events[i], std::nullopt});
    }
    for (const CommandResult& result : ledger.Submit(commands)) {
      EXPECT_TRUE(result.status.ok()) << result.status.ToString();
      accepted += result.status.ok();
    }
  }
  return accepted;
}

TEST(LedgerTest, GeneratedHistoryIsAcceptedAndReplaysToTheSameState) {
  TempDir dir;
  auto ledger = OpenLedger(OptionsFor(dir));
  ASSERT_TRUE(ledger);
  tools::HistoryOptions history_options;
  history_options.orgs = 3;
  history_options.employees_per_org = 6;
  auto history = tools::GenerateHistory(history_options, ledger->log().subject_keys());
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(SubmitAll(*ledger, history->events, 97), history->events.size());
  // Engine-derived events (request resolutions) make the log longer.
  EXPECT_GT(ledger->log().LastGlobalSeq(), history->events.size());
  ledger->WaitForSnapshots();

  for (const Uuid& org : history->orgs) {
    Result<TreeHead> head = ledger->log().Head(org);
    ASSERT_TRUE(head.ok());
    // Full replay with no snapshot vs. snapshot + tail.
    State replayed;
    replayed.org = org;
    ASSERT_TRUE(ReplayInto(ledger->log(), head->size, &replayed).ok());
    Result<State> from_snapshot = ledger->StateAt(org, head->size);
    ASSERT_TRUE(from_snapshot.ok()) << from_snapshot.status().ToString();
    EXPECT_EQ(PackState(replayed), PackState(*from_snapshot));
    EXPECT_EQ(replayed.employees.size(), 6u);
    EXPECT_GT(ledger->stats().snapshots_written, 0u);
  }
}

// A Submit with more events than one synced write may hold commits in
// chunks, each decided after the one before is durable: every command is
// accepted, positions are contiguous, and the write model equals replay.
TEST(LedgerTest, LargeSubmitCommitsInChunks) {
  TempDir dir;
  LedgerOptions options = OptionsFor(dir);
  options.batch_events_max = 40;
  auto ledger = OpenLedger(options);
  ASSERT_TRUE(ledger);
  tools::HistoryOptions history_options;
  history_options.orgs = 2;
  history_options.employees_per_org = 4;
  auto history = tools::GenerateHistory(history_options, ledger->log().subject_keys());
  ASSERT_TRUE(history.ok());
  std::vector<Command> commands;
  for (const std::string& event : history->events) commands.push_back({event, std::nullopt});
  ASSERT_GT(commands.size(), 100u);

  SubmitTiming timing;
  std::vector<CommandResult> results = ledger->Submit(commands, &timing);
  EXPECT_GE(timing.appends, commands.size() / 40);
  // Every event got its own global sequence, with no gap across chunks.
  std::vector<uint64_t> global;
  for (const CommandResult& result : results) {
    ASSERT_TRUE(result.status.ok()) << result.status.ToString();
    for (const Position& at : result.positions) global.push_back(at.global_seq);
  }
  std::sort(global.begin(), global.end());
  for (size_t i = 0; i < global.size(); ++i) ASSERT_EQ(global[i], i + 1);
  EXPECT_EQ(ledger->log().LastGlobalSeq(), global.size());
  for (const Uuid& org : history->orgs) {
    Result<State> current = ledger->CurrentState(org);
    State replayed;
    replayed.org = org;
    ASSERT_TRUE(current.ok());
    ASSERT_TRUE(ReplayInto(ledger->log(), ledger->log().Head(org)->size, &replayed).ok());
    EXPECT_EQ(PackState(*current), PackState(replayed));
  }
}

TEST(LedgerTest, HistoryListsEveryChangeToOneEntityWithActorAndTime) {
  TempDir dir;
  auto ledger = OpenLedger(OptionsFor(dir));
  ASSERT_TRUE(ledger);
  tools::HistoryOptions history_options;
  history_options.orgs = 2;
  history_options.employees_per_org = 4;
  auto history = tools::GenerateHistory(history_options, ledger->log().subject_keys());
  ASSERT_TRUE(history.ok());
  SubmitAll(*ledger, history->events, 50);
  const Uuid& org = history->orgs.front();
  Result<State> state = ledger->CurrentState(org);
  ASSERT_TRUE(state.ok());
  // The employee who submitted a request that was approved: hired, got an
  // agent, requested, was approved (the approval names them only through
  // the request, so it is not theirs), had missions and usage.
  const state::EmployeeT* employee = nullptr;
  for (const auto& [id, request] : state->agent_requests) {
    if (request.status == state::RequestStatus::Approved) {
      employee = &state->employees.at(*Uuid::Parse(request.employee_id));
    }
  }
  ASSERT_NE(employee, nullptr);
  Result<std::vector<EntityChange>> changes = ledger->History(org, employee->id);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_GE(changes->size(), 4u);
  EXPECT_EQ(changes->front().event_type, "EmployeeHired");
  int64_t previous = 0;
  for (const EntityChange& change : *changes) {
    EXPECT_GT(change.position.recorded_at, previous);
    previous = change.position.recorded_at;
    EXPECT_FALSE(change.actor_id.empty());
    const fb::Event* event = flatbuffers::GetRoot<fb::Event>(change.event.data());
    EXPECT_EQ(fb::EnumNamePayload(event->payload_type()), change.event_type);
  }
  // Nothing from the other org, even though it has employees too.
  Result<std::vector<EntityChange>> other = ledger->History(history->orgs.back(), employee->id);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

}  // namespace
}  // namespace ledger
