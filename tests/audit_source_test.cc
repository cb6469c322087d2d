// The auditor tools' log sources: a read-only RocksDB view beside a live
// writer, and a ledgerd over loopback, must agree on every answer.
#include <gtest/gtest.h>

#include "ledger/audit/instant.h"
#include "ledger/audit/source.h"
#include "ledger/client/client.h"
#include "ledger/merkle_proof.h"
#include "ledger/tools/history_generator.h"
#include "server_fixture.h"

namespace ledger {
namespace {

using audit::AuditSource;
using audit::SourceFlags;

std::unique_ptr<AuditSource> OpenOrDie(const SourceFlags& flags) {
  Result<std::unique_ptr<AuditSource>> source = AuditSource::Open(flags);
  if (!source.ok()) throw std::runtime_error(source.status().ToString());
  return std::move(source).value();
}

// Appends a generated multi-org history, a few hundred events per org, in
// batches (so that recorded_at and snapshots vary).
tools::GeneratedHistory AppendHistory(EventLog& log) {
  tools::HistoryOptions options;
  options.orgs = 2;
  options.employees_per_org = 6;
  Result<tools::GeneratedHistory> history = tools::GenerateHistory(options, log.subject_keys());
  EXPECT_TRUE(history.ok()) << history.status().ToString();
  std::vector<std::string_view> views(history->events.begin(), history->events.end());
  for (size_t at = 0; at < views.size(); at += 37) {
    size_t count = std::min<size_t>(37, views.size() - at);
    Result<std::vector<Position>> appended = log.Append(std::span(views).subspan(at, count));
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
  }
  return std::move(history).value();
}

TEST(AuditSource, ReadOnlyViewOpensBesideALiveWriterAndSeesWhatWasCommitted) {
  testing::TempDir dir;
  LogOptions options = testing::OptionsIn(dir);
  std::unique_ptr<EventLog> writer = testing::OpenOrDie(options);
  tools::GeneratedHistory history = AppendHistory(*writer);
  const Uuid org = history.orgs[0];
  Result<TreeHead> written = writer->Head(org);
  ASSERT_TRUE(written.ok());

  SourceFlags flags;
  flags.db = options.path;
  flags.master_key = options.master_key_path;
  std::unique_ptr<AuditSource> source = OpenOrDie(flags);
  Result<TreeHead> seen = source->Head(org);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(seen->size, written->size);
  EXPECT_EQ(seen->root, written->root);
  Result<std::vector<Uuid>> orgs = source->Orgs();
  ASSERT_TRUE(orgs.ok());
  EXPECT_EQ(orgs->size(), history.orgs.size());

  // The writer goes on; the reader's view stays as of its opening.
  std::string more = testing::TeamEvent(org, "after the audit began");
  ASSERT_TRUE(writer->Append(std::vector<std::string_view>{more}).ok());
  EXPECT_EQ(source->Head(org)->size, written->size);
  // And the reader cannot write.
  Result<State> state = source->StateAt(org, written->size);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->version, written->size);
}

TEST(AuditSource, ReadOnlyViewWithoutTheMasterKeyStillReplaysAndHashes) {
  testing::TempDir dir;
  LogOptions options = testing::OptionsIn(dir);
  Uuid org;
  {
    std::unique_ptr<EventLog> writer = testing::OpenOrDie(options);
    org = AppendHistory(*writer).orgs[1];
  }
  SourceFlags flags;
  flags.db = options.path;
  flags.master_key = dir.Sub("no-such.key");
  std::unique_ptr<AuditSource> source = OpenOrDie(flags);
  Result<TreeHead> head = source->Head(org);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  Result<State> state = source->StateAt(org, head->size);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_FALSE(state->employees.empty());
  Result<Digest> root = source->SubtreeHash(org, 0, head->size);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, head->root);
}

TEST(AuditSource, OpeningNamesWhatIsWrong) {
  testing::TempDir dir;
  SourceFlags neither;
  EXPECT_EQ(AuditSource::Open(neither).status().code(), Code::kInvalidArgument);
  SourceFlags missing;
  missing.db = dir.Sub("nothing-here");
  Result<std::unique_ptr<AuditSource>> opened = AuditSource::Open(missing);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("no ledger at"), std::string::npos)
      << opened.status().ToString();
  SourceFlags unknown;
  unknown.db = dir.Sub("db");
  { testing::OpenOrDie(testing::OptionsIn(dir)); }
  std::unique_ptr<AuditSource> source = OpenOrDie(unknown);
  Uuid stranger = Uuid::Random();
  Result<TreeHead> head = source->Head(stranger);
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), Code::kNotFound);
  EXPECT_NE(head.status().message().find(stranger.ToString()), std::string::npos);
}

TEST(AuditInstant, ParsesIsoTimesAndSequences) {
  Result<audit::Instant> seq = audit::ParseInstant("42");
  ASSERT_TRUE(seq.ok());
  EXPECT_TRUE(seq->is_seq);
  EXPECT_EQ(seq->seq, 42u);
  struct Case {
    const char* text;
    int64_t micros;
  } cases[] = {
      {"2026-03-01T12:00:00Z", 1772366400000000},
      {"2026-03-01T12:00:00.25Z", 1772366400250000},
      {"2026-03-01T12:00:00.000001Z", 1772366400000001},
      {"2026-03-01T13:00:00+01:00", 1772366400000000},
      {"2026-03-01 12:00:00Z", 1772366400000000},
      {"2026-03-01T12:00Z", 1772366400000000},
      {"2026-03-01", 1772323200000000},
  };
  for (const Case& c : cases) {
    Result<audit::Instant> parsed = audit::ParseInstant(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
    EXPECT_FALSE(parsed->is_seq);
    EXPECT_EQ(parsed->recorded_at, c.micros) << c.text;
  }
  EXPECT_EQ(audit::FormatInstant(1772366400250000), "2026-03-01T12:00:00.250000Z");
  for (const char* bad :
       {"", "yesterday", "2026-13-01", "2026-03-01T25:00:00Z", "2026-03-01T12:00:00",
        "2026-03-01T12:00:00Zjunk", "-5", "99999999999999999999999"}) {
    Result<audit::Instant> parsed = audit::ParseInstant(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_NE(audit::ParseInstant("yesterday").status().message().find("malformed time 'yesterday'"),
            std::string::npos);
}

TEST(AuditInstant, ResolvesInstantsAndRefusesOnesBeforeTheOrgExisted) {
  testing::TempDir dir;
  LogOptions options = testing::OptionsIn(dir);
  int64_t now = 1'800'000'000'000'000;
  options.clock = [&now] { return now += 1'000'000; };  // one event per second
  Uuid org = Uuid::Random();
  {
    std::unique_ptr<EventLog> writer = testing::OpenOrDie(options);
    for (int i = 0; i < 10; ++i) {
      std::string event = testing::TeamEvent(org, std::to_string(i));
      ASSERT_TRUE(writer->Append(std::vector<std::string_view>{event}).ok());
    }
  }
  SourceFlags flags;
  flags.db = options.path;
  std::unique_ptr<AuditSource> source = OpenOrDie(flags);
  auto resolve = [&](const std::string& text) {
    return audit::ResolveVersion(*source, org, *audit::ParseInstant(text));
  };
  // Event k was recorded at 1'800'000'000 + k seconds.
  EXPECT_EQ(*resolve(audit::FormatInstant(1'800'000'003'000'000)), 3u);
  EXPECT_EQ(*resolve(audit::FormatInstant(1'800'000'003'500'000)), 3u);
  EXPECT_EQ(*resolve("2100-01-01"), 10u);
  EXPECT_EQ(*resolve("7"), 7u);
  EXPECT_EQ(*resolve("700"), 10u);
  Result<uint64_t> before = resolve("2020-01-01");
  ASSERT_FALSE(before.ok());
  EXPECT_NE(before.status().message().find("did not exist at 2020-01-01 (its first event was "
                                           "recorded at 2027-01-15T08:00:01.000000Z)"),
            std::string::npos)
      << before.status().ToString();
  EXPECT_FALSE(resolve("0").ok());
  Result<uint64_t> stranger =
      audit::ResolveVersion(*source, Uuid::Random(), *audit::ParseInstant("5"));
  EXPECT_EQ(stranger.status().code(), Code::kNotFound);
}

class AuditRemoteSource : public testing::ServerFixture {};

TEST_F(AuditRemoteSource, AgreesWithTheLocalViewOnEveryAnswer) {
  ASSERT_TRUE(ledger_->log().Append(std::vector<std::string_view>{testing::OrgEvent(org_)}).ok());
  std::vector<std::string> teams;
  for (int i = 0; i < 300; ++i)
    teams.push_back(testing::TeamEvent(org_, "team " + std::to_string(i)));
  std::vector<std::string_view> views(teams.begin(), teams.end());
  for (size_t at = 0; at < views.size(); at += 50) {
    ASSERT_TRUE(ledger_->log().Append(std::span(views).subspan(at, 50)).ok());
  }
  StartServer();
  SourceFlags remote_flags;
  remote_flags.connect = "127.0.0.1:" + std::to_string(port());
  remote_flags.token = org_token_;
  std::unique_ptr<AuditSource> remote = OpenOrDie(remote_flags);
  SourceFlags local_flags;
  local_flags.db = dir_.Sub("db");
  std::unique_ptr<AuditSource> local = OpenOrDie(local_flags);

  Result<TreeHead> remote_head = remote->Head(org_);
  Result<TreeHead> local_head = local->Head(org_);
  ASSERT_TRUE(remote_head.ok()) << remote_head.status().ToString();
  ASSERT_TRUE(local_head.ok());
  EXPECT_EQ(remote_head->size, 301u);
  EXPECT_EQ(remote_head->root, local_head->root);
  EXPECT_EQ(remote->Head(org_, 77)->root, local->Head(org_, 77)->root);
  for (uint64_t size : {1u, 2u, 64u, 100u, 301u}) {
    for (uint64_t index : {0ul, size / 2, size - 1}) {
      SubtreeHashFn by_remote = [&](uint64_t b, uint64_t e) {
        return remote->SubtreeHash(org_, b, e);
      };
      SubtreeHashFn by_local = [&](uint64_t b, uint64_t e) {
        return local->SubtreeHash(org_, b, e);
      };
      Result<std::vector<Digest>> a = InclusionProof(index, size, by_remote);
      Result<std::vector<Digest>> b = InclusionProof(index, size, by_local);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(*a, *b) << index << " in " << size;
    }
  }
  Result<State> remote_state = remote->StateAt(org_, 200);
  Result<State> local_state = local->StateAt(org_, 200);
  ASSERT_TRUE(remote_state.ok()) << remote_state.status().ToString();
  ASSERT_TRUE(local_state.ok());
  EXPECT_EQ(PackState(*remote_state), PackState(*local_state));
  EXPECT_EQ(remote_state->teams.size(), 199u);

  int64_t middle = 0;
  ASSERT_TRUE(local
                  ->Scan(org_, 150, 150,
                         [&](const StoredEvent& e) {
                           middle = e.position.recorded_at;
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(*remote->VersionAsOf(org_, middle), *local->VersionAsOf(org_, middle));
  EXPECT_EQ(*remote->VersionAsOf(org_, 0), 0u);

  uint64_t seen = 0;
  ASSERT_TRUE(remote
                  ->Scan(org_, 1, 1000,
                         [&](const StoredEvent&) {
                           ++seen;
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(seen, 301u);
  // Another org's token sees nothing of this org.
  remote_flags.token = other_token_;
  std::unique_ptr<AuditSource> stranger = OpenOrDie(remote_flags);
  EXPECT_FALSE(stranger->Head(org_).ok());
  EXPECT_EQ(stranger->Orgs()->size(), 1u);
  EXPECT_EQ(stranger->Orgs()->front(), other_org_);
}

TEST(AuditSourceTamper, ReceivedEventsAreCheckedAgainstTheirLeafHashAndHeader) {
  testing::TempDir dir;
  std::unique_ptr<EventLog> log = testing::OpenOrDie(testing::OptionsIn(dir));
  Uuid org = Uuid::Random();
  std::string event = testing::TeamEvent(org, "t");
  ASSERT_TRUE(log->Append(std::vector<std::string_view>{event}).ok());
  Result<StoredEvent> stored = log->Get(org, 1);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(VerifyStoredEvent(*stored).ok());
  StoredEvent flipped = *stored;
  flipped.body.back() ^= 1;
  EXPECT_EQ(VerifyStoredEvent(flipped).code(), Code::kTampered);
  StoredEvent moved = *stored;
  moved.position.org_seq = 2;
  EXPECT_EQ(VerifyStoredEvent(moved).code(), Code::kTampered);
  StoredEvent foreign = *stored;
  foreign.position.org = Uuid::Random();
  EXPECT_EQ(VerifyStoredEvent(foreign).code(), Code::kCorruption);
}

}  // namespace
}  // namespace ledger
