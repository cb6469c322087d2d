// The event log's contract: round trip, reopen, per-org order, global order,
// past tree heads, as-of lookups and rejection of bad batches.
#include "ledger/event_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "ledger/limits.h"
#include "test_util.h"

namespace ledger {
namespace {

using testing::OpenOrDie;
using testing::OptionsIn;
using testing::TeamEvent;
using testing::TeamName;
using testing::TempDir;

Result<std::vector<Position>> AppendStrings(EventLog& log, const std::vector<std::string>& events) {
  std::vector<std::string_view> views(events.begin(), events.end());
  return log.Append(views);
}

std::vector<StoredEvent> ReadAll(const EventLog& log, const Uuid& org) {
  std::vector<StoredEvent> events;
  Status read = log.ReadOrg(org, 1, limits::kReadEventsMax, &events);
  EXPECT_TRUE(read.ok()) << read.ToString();
  return events;
}

TEST(EventLog, RoundTripKeepsExactBytesAndAssignsPositions) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid org = Uuid::Random();
  std::vector<std::string> events = {TeamEvent(org, "a"), TeamEvent(org, "b")};
  Result<std::vector<Position>> positions = AppendStrings(*log, events);
  ASSERT_TRUE(positions.ok()) << positions.status().ToString();
  EXPECT_EQ((*positions)[0].org_seq, 1u);
  EXPECT_EQ((*positions)[1].org_seq, 2u);
  EXPECT_EQ((*positions)[1].global_seq, 2u);
  std::vector<StoredEvent> stored = ReadAll(*log, org);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].event_bytes(), events[0]);
  EXPECT_EQ(stored[1].event_bytes(), events[1]);
  EXPECT_EQ(stored[1].position.recorded_at, (*positions)[1].recorded_at);
  EXPECT_EQ(stored[0].leaf_hash, LeafHash(stored[0].body));
  EXPECT_TRUE(log->VerifyOrg(org).ok());
}

TEST(EventLog, ReopenKeepsHeadsAndContinuesSequences) {
  TempDir dir;
  Uuid org = Uuid::Random();
  TreeHead before;
  {
    auto log = OpenOrDie(OptionsIn(dir));
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendStrings(*log, {TeamEvent(org, "t")}).ok());
    before = *log->Head(org);
  }
  auto log = OpenOrDie(OptionsIn(dir));
  Result<TreeHead> after = log->Head(org);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size, 40u);
  EXPECT_EQ(after->root, before.root);
  EXPECT_EQ(log->LastGlobalSeq(), 40u);
  Result<std::vector<Position>> next = AppendStrings(*log, {TeamEvent(org, "t")});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0].org_seq, 41u);
  EXPECT_EQ((*next)[0].global_seq, 41u);
  EXPECT_TRUE(log->VerifyOrg(org).ok());
}

TEST(EventLog, ManyOrgsInterleavedKeepEachOrgsOrderAndOneGlobalOrder) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  std::vector<Uuid> orgs(12);
  for (Uuid& org : orgs) org = Uuid::Random();
  std::map<Uuid, std::vector<std::string>> sent;
  std::mt19937 random(7);
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<std::string> events;
    for (int i = 0, n = 1 + random() % 40; i < n; ++i) {
      const Uuid& org = orgs[random() % orgs.size()];
      std::string name = "b" + std::to_string(batch) + "e" + std::to_string(i);
      events.push_back(TeamEvent(org, name));
      sent[org].push_back(name);
    }
    ASSERT_TRUE(AppendStrings(*log, events).ok());
  }
  size_t total = 0;
  for (const auto& [org, names] : sent) {
    std::vector<StoredEvent> stored = ReadAll(*log, org);
    ASSERT_EQ(stored.size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_EQ(TeamName(stored[i]), names[i]);
      EXPECT_EQ(stored[i].position.org_seq, i + 1);
      if (i > 0) {
        EXPECT_GT(stored[i].position.recorded_at, stored[i - 1].position.recorded_at);
      }
    }
    EXPECT_TRUE(log->VerifyOrg(org).ok());
    total += names.size();
  }
  std::vector<StoredEvent> feed;
  ASSERT_TRUE(log->ReadGlobal(1, limits::kReadEventsMax, &feed).ok());
  ASSERT_EQ(feed.size(), total);
  std::map<Uuid, uint64_t> last_seq;
  for (size_t i = 0; i < feed.size(); ++i) {
    EXPECT_EQ(feed[i].position.global_seq, i + 1);
    EXPECT_EQ(feed[i].position.org_seq, ++last_seq[feed[i].position.org]);
  }
}

TEST(EventLog, GlobalFeedResumesFromAnyPosition) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid a = Uuid::Random(), b = Uuid::Random();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        AppendStrings(*log, {TeamEvent(a, "a"), TeamEvent(b, "b"), TeamEvent(a, "a")}).ok());
  }
  for (uint64_t from = 1; from <= 15; ++from) {
    std::vector<StoredEvent> page;
    ASSERT_TRUE(log->ReadGlobal(from, 4, &page).ok());
    ASSERT_EQ(page.size(), std::min<uint64_t>(4, 16 - from)) << "from " << from;
    EXPECT_EQ(page[0].position.global_seq, from);
  }
  std::vector<StoredEvent> past_end;
  ASSERT_TRUE(log->ReadGlobal(16, 4, &past_end).ok());
  EXPECT_TRUE(past_end.empty());
}

TEST(EventLog, HeadAtEveryPastSizeEqualsTheRootOfThatPrefix) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid org = Uuid::Random();
  std::vector<std::string> events;
  for (int i = 0; i < 300; ++i) events.push_back(TeamEvent(org, std::to_string(i)));
  for (size_t start = 0; start < events.size(); start += 37) {
    std::vector<std::string> slice(events.begin() + start,
                                   events.begin() + std::min(events.size(), start + 37));
    ASSERT_TRUE(AppendStrings(*log, slice).ok());
  }
  std::vector<Digest> leaves;
  for (const StoredEvent& event : ReadAll(*log, org)) leaves.push_back(LeafHash(event.body));
  for (uint64_t size = 0; size <= leaves.size(); ++size) {
    Result<TreeHead> head = log->HeadAt(org, size);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    ASSERT_EQ(head->root, RootFromLeaves(std::span(leaves).first(size))) << "size " << size;
  }
  EXPECT_EQ(log->HeadAt(org, 301).status().code(), Code::kInvalidArgument);
}

TEST(EventLog, AsOfFindsTheLastEventRecordedAtOrBeforeT) {
  TempDir dir;
  LogOptions options = OptionsIn(dir);
  int64_t clock = 1'000'000;
  options.clock = [&clock] { return clock; };
  auto log = OpenOrDie(options);
  Uuid org = Uuid::Random();
  for (int i = 0; i < 50; ++i) {
    clock += 1000;  // event i+1 recorded at 1'000'000 + 1000 * (i + 1)
    ASSERT_TRUE(AppendStrings(*log, {TeamEvent(org, "t")}).ok());
  }
  EXPECT_EQ(*log->OrgSeqAsOf(org, 999'999), 0u);
  EXPECT_EQ(*log->OrgSeqAsOf(org, 1'001'000), 1u);
  EXPECT_EQ(*log->OrgSeqAsOf(org, 1'001'999), 1u);
  EXPECT_EQ(*log->OrgSeqAsOf(org, 1'025'000), 25u);
  EXPECT_EQ(*log->OrgSeqAsOf(org, 9'000'000), 50u);
  EXPECT_EQ(log->OrgSeqAsOf(Uuid::Random(), 0).status().code(), Code::kNotFound);
}

// The search guesses by interpolation: bursts (events a microsecond apart)
// between long pauses must not mislead it. Every instant from before the
// first event to after the last is checked against a plain scan.
TEST(EventLog, AsOfIsExactOverBurstsAndPauses) {
  TempDir dir;
  LogOptions options = OptionsIn(dir);
  int64_t clock = 5'000'000;
  options.clock = [&clock] { return clock; };
  auto log = OpenOrDie(options);
  Uuid org = Uuid::Random();
  std::mt19937 random(7);
  std::vector<int64_t> recorded;
  for (int burst = 0; burst < 12; ++burst) {
    clock += burst % 3 == 0 ? 3'000'000 : 1 + random() % 50;
    std::vector<std::string> events(1 + random() % 40, TeamEvent(org, "t"));
    Result<std::vector<Position>> positions = AppendStrings(*log, events);
    ASSERT_TRUE(positions.ok()) << positions.status().ToString();
    for (const Position& position : *positions) recorded.push_back(position.recorded_at);
  }
  std::vector<int64_t> instants = {recorded.front() - 1, recorded.back() + 1};
  for (int64_t at : recorded) instants.insert(instants.end(), {at - 1, at, at + 1});
  for (int64_t at : instants) {
    uint64_t expected = std::upper_bound(recorded.begin(), recorded.end(), at) - recorded.begin();
    Result<uint64_t> found = log->OrgSeqAsOf(org, at);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_EQ(*found, expected) << "at " << at;
  }
}

TEST(EventLog, RecordedAtStaysStrictlyIncreasingWhenTheClockGoesBack) {
  TempDir dir;
  LogOptions options = OptionsIn(dir);
  int64_t clock = 5'000'000;
  options.clock = [&clock] { return clock; };
  auto log = OpenOrDie(options);
  Uuid org = Uuid::Random();
  ASSERT_TRUE(AppendStrings(*log, {TeamEvent(org, "a"), TeamEvent(org, "b")}).ok());
  clock = 1'000;  // wall clock stepped back
  Result<std::vector<Position>> later = AppendStrings(*log, {TeamEvent(org, "c")});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)[0].recorded_at, 5'000'002);
}

// Broken FlatBuffers built from a valid event, each invalid for a known reason.
std::vector<std::pair<std::string, std::string>> BrokenEvents(const Uuid& org) {
  std::string valid = TeamEvent(org, "x");
  std::string root_past_end = valid;
  root_past_end[0] = root_past_end[1] = root_past_end[2] = static_cast<char>(0x7f);
  std::string wrong_identifier = valid;
  wrong_identifier[4] = 'X';  // bytes 4..7 hold the file identifier "LGEV"
  return {{"root offset past the end", root_past_end},
          {"truncated to 12 bytes", valid.substr(0, 12)},
          {"wrong file identifier", wrong_identifier},
          {"empty", ""}};
}

TEST(EventLog, InvalidFlatBufferRejectsTheWholeBatch) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid org = Uuid::Random();
  ASSERT_TRUE(AppendStrings(*log, {TeamEvent(org, "first")}).ok());
  TreeHead before = *log->Head(org);
  for (const auto& [why, broken] : BrokenEvents(org)) {
    Result<std::vector<Position>> rejected =
        AppendStrings(*log, {TeamEvent(org, "ok"), broken, TeamEvent(Uuid::Random(), "ok")});
    ASSERT_FALSE(rejected.ok()) << why;
    EXPECT_EQ(rejected.status().code(), Code::kInvalidArgument) << why;
    EXPECT_NE(rejected.status().message().find("event #1: event is not a valid"), std::string::npos)
        << why << ": " << rejected.status().ToString();
  }
  EXPECT_EQ(log->Head(org)->root, before.root);
  EXPECT_EQ(log->LastGlobalSeq(), 1u);
  EXPECT_EQ(log->Orgs()->size(), 1u);
}

TEST(EventLog, EventNamingNoOrgIsRejected) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  EventBuilder builder;
  auto team = fb::CreateTeamCreatedDirect(builder.builder(), "t", "no org");
  auto org_id = builder.builder().CreateString("not-a-uuid");
  auto envelope = fb::CreateEnvelope(builder.builder(), org_id);
  builder.builder().Finish(
      fb::CreateEvent(builder.builder(), envelope, fb::Payload::TeamCreated, team.Union()),
      fb::EventIdentifier());
  std::string bytes(reinterpret_cast<const char*>(builder.builder().GetBufferPointer()),
                    builder.builder().GetSize());
  Result<std::vector<Position>> rejected = AppendStrings(*log, {bytes});
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("names no org"), std::string::npos);
  EXPECT_EQ(AppendStrings(*log, {TeamEvent(Uuid(), "nil org")}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(log->LastGlobalSeq(), 0u);
}

TEST(EventLog, OversizedBatchAndOversizedEventAreRefused) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid org = Uuid::Random();
  std::vector<std::string> many(limits::kBatchEventsMax + 1, TeamEvent(org, "t"));
  EXPECT_EQ(AppendStrings(*log, many).status().code(), Code::kLimitExceeded);
  std::string huge = TeamEvent(org, std::string(limits::kEventBytesMax, 'x'));
  EXPECT_EQ(AppendStrings(*log, {huge}).status().code(), Code::kLimitExceeded);
  EXPECT_EQ(log->LastGlobalSeq(), 0u);
}

TEST(EventLog, ReadersDuringAppendsSeeOnlyCommittedConsistentHeads) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid org = Uuid::Random();
  ASSERT_TRUE(AppendStrings(*log, {TeamEvent(org, "first")}).ok());
  std::atomic<bool> done = false;
  std::atomic<int> checks = 0;
  auto reader = [&] {
    while (!done) {
      Result<TreeHead> head = log->Head(org);
      ASSERT_TRUE(head.ok());
      std::vector<StoredEvent> events;
      ASSERT_TRUE(log->ReadOrg(org, 1, limits::kReadEventsMax, &events).ok());
      ASSERT_GE(events.size(), head->size);  // the head never runs ahead of the log
      Result<TreeHead> again = log->HeadAt(org, head->size);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      ASSERT_EQ(again->root, head->root);
      ++checks;
    }
  };
  std::thread first(reader), second(reader);
  for (int batch = 0; batch < 100; ++batch) {
    std::vector<std::string> events(100, TeamEvent(org, "t"));
    ASSERT_TRUE(AppendStrings(*log, events).ok());
  }
  done = true;
  first.join();
  second.join();
  EXPECT_GT(checks.load(), 0);
  EXPECT_TRUE(log->VerifyOrg(org).ok());
}

TEST(EventLog, EmptyAppendWritesNothing) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Result<std::vector<Position>> appended = AppendStrings(*log, {});
  ASSERT_TRUE(appended.ok());
  EXPECT_TRUE(appended->empty());
  EXPECT_EQ(log->LastGlobalSeq(), 0u);
  EXPECT_TRUE(log->Orgs()->empty());
}

TEST(EventLog, OpeningAMissingDatabaseWithoutCreateFails) {
  TempDir dir;
  LogOptions options = OptionsIn(dir);
  options.create_if_missing = false;
  EXPECT_FALSE(EventLog::Open(options).ok());
}

}  // namespace
}  // namespace ledger
