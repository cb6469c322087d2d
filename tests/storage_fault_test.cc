// Storage faults under ledgerd, over real sockets: failed WAL writes, failed
// fsyncs, a full disk, and failed flushes and compactions (tests/fault_fs.h).
// A group whose write fails
// acknowledges nothing; while storage fails appends are refused with
// `unhealthy` and reads still work; once storage heals the server reopens
// the log and accepts appends again; and the log on disk holds every
// acknowledged event, in order, exactly once, with a tree that verifies.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "fault_fs.h"
#include "ledger/event_builder.h"
#include "ledger/wire/errors.h"
#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

constexpr uint16_t kUnhealthy = static_cast<uint16_t>(wire::WireCode::kUnhealthy);

struct Outcome {
  bool acknowledged = false;
  uint16_t error = 0;  // the Error's code when not acknowledged
  uint64_t first_seq = 0;
};

Outcome Classify(const std::optional<std::string>& payload) {
  Outcome reply;
  if (!payload) return reply;
  const wire::Message& message = AsMessage(*payload);
  if (const wire::Error* error = message.body_as_Error()) {
    reply.error = error->code();
    return reply;
  }
  const wire::AppendResult* result = message.body_as_AppendResult();
  if (result && result->results()->size() == 1 && result->results()->Get(0)->code() == 0) {
    reply.acknowledged = true;
    reply.first_seq = result->results()->Get(0)->first_seq();
  }
  return reply;
}

class StorageFaultTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    if (HasFatalFailure()) return;
    ledger_.reset();
    auto ledger = Ledger::Open(Options(fs_.env()));
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    StartServer();
    connection_ = Connect();
    Outcome created = Classify(connection_->AppendAndWait(next_id_++, Commands({OrgEvent(org_)})));
    ASSERT_TRUE(created.acknowledged);
  }
  void TearDown() override {
    fs_.Clear();
    connection_.reset();
    ServerFixture::TearDown();
    ledger_.reset();  // before fs_, which its RocksDB writes through
  }

  LedgerOptions Options(rocksdb::Env* env) {
    LedgerOptions options;
    options.log = OptionsIn(dir_);
    options.log.path = dir_.Sub("db");
    options.log.env = env;
    options.log.memtable_bytes = memtable_bytes_;
    return options;
  }

  // The same bytes on every attempt, so a retry matches its idempotency key.
  const std::string& Team(const std::string& name) {
    auto [it, inserted] = events_.try_emplace(name);
    if (inserted) {
      EventBuilder builder;
      auto team = fb::CreateTeamCreatedDirect(builder.builder(), Uuid::Random().ToString().c_str(),
                                              name.c_str(), description_.c_str());
      EnvelopeFields envelope;
      envelope.org = org_;
      envelope.idempotency_key = name;
      it->second = builder.Finish(envelope, team);
    }
    return it->second;
  }

  // Records what an acknowledgement promised: `name` at org seq first_seq.
  Outcome Note(const std::string& name, Outcome reply) {
    if (!reply.acknowledged) {
      EXPECT_EQ(reply.error, kUnhealthy) << name;
      return reply;
    }
    auto [it, inserted] = acknowledged_.emplace(reply.first_seq, name);
    EXPECT_EQ(it->second, name) << "two acknowledgements for org seq " << reply.first_seq;
    return reply;
  }

  Outcome Append(RawConnection& connection, const std::string& name) {
    return Note(name, Classify(connection.AppendAndWait(next_id_++, Commands({Team(name)}))));
  }

  // Appends `name` until the server takes it (after recovery).
  void AppendWhenHealthy(const std::string& name) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Append(*connection_, name).acknowledged) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "the server did not accept appends again after the fault cleared";
  }

  // Several clients at once, while the fault is on: every request fails.
  std::vector<std::string> AppendConcurrently(const std::string& prefix, int clients) {
    std::vector<std::unique_ptr<RawConnection>> connections;
    std::vector<std::string> names;
    for (int i = 0; i < clients; ++i) {
      connections.push_back(Connect());
      names.push_back(prefix + std::to_string(i));
      std::vector<Command> commands = Commands({Team(names.back())});
      EXPECT_TRUE(connections.back()->Send(wire::EncodeAppend(next_id_++, commands)));
    }
    for (int i = 0; i < clients; ++i) {
      Outcome reply = Note(names[i], Classify(connections[i]->Next()));
      EXPECT_FALSE(reply.acknowledged) << names[i] << " was acknowledged while storage failed";
    }
    return names;
  }

  // Reads work while appends are refused: they see exactly what was acknowledged.
  void ExpectReadsWork() {
    ASSERT_TRUE(connection_->Send(wire::EncodeReadOrg(next_id_++, org_.ToString(), 1, 0)));
    std::optional<std::string> read = connection_->Next();
    ASSERT_TRUE(read);
    const wire::Events* events = AsMessage(*read).body_as_Events();
    ASSERT_TRUE(events) << "a read failed while storage failed";
    EXPECT_EQ(events->events()->size(), acknowledged_.size() + 1);  // + OrganizationCreated
    ASSERT_TRUE(connection_->Send(wire::EncodeTreeHeadRequest(next_id_++, org_.ToString(), 0)));
    std::optional<std::string> head = connection_->Next();
    ASSERT_TRUE(head && AsMessage(*head).body_as_TreeHeadReply());
  }

  // Stops the server, opens the log from disk without faults and checks that
  // it holds every acknowledged event at its position, and nothing else.
  void CheckLogOnDisk() {
    connection_.reset();
    StopServer();
    ledger_.reset();
    std::unique_ptr<EventLog> log = OpenOrDie(Options(nullptr).log);
    std::map<uint64_t, std::string> stored;
    std::set<std::string> names;
    Status scanned = log->ScanOrg(org_, 2, UINT64_MAX, [&](const StoredEvent& event) {
      stored[event.position.org_seq] = TeamName(event);
      EXPECT_TRUE(names.insert(TeamName(event)).second) << TeamName(event) << " is stored twice";
      return Status::Ok();
    });
    ASSERT_TRUE(scanned.ok()) << scanned.ToString();
    EXPECT_EQ(stored, acknowledged_);
    Status verified = log->VerifyOrg(org_);
    EXPECT_TRUE(verified.ok()) << verified.ToString();
  }

  // The whole story for one kind of fault.
  void Run(Fault fault) {
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(Append(*connection_, "before-" + std::to_string(i)).acknowledged);
    fs_.Inject(fault, FaultTarget::kAll);
    std::vector<std::string> failed = AppendConcurrently("during-", 3);
    EXPECT_GT(fs_.failures(), 0u);
    // Unhealthy now: refused at once, and reads still work.
    Outcome refused = Append(*connection_, "refused");
    EXPECT_EQ(refused.error, kUnhealthy);
    failed.push_back("refused");
    ExpectReadsWork();
    fs_.Clear();
    AppendWhenHealthy("after-0");
    // Retries with the same idempotency keys settle each failed command
    // exactly once, whether or not its failed write had landed.
    for (const std::string& name : failed) EXPECT_TRUE(Append(*connection_, name).acknowledged);
    for (int i = 1; i < 4; ++i)
      EXPECT_TRUE(Append(*connection_, "after-" + std::to_string(i)).acknowledged);
    CheckLogOnDisk();
  }

  size_t memtable_bytes_ = 0;  // 0: the log's default
  std::string description_ = "fault test";
  FaultFileSystem fs_;
  std::unique_ptr<RawConnection> connection_;
  uint64_t next_id_ = 1;
  std::map<std::string, std::string> events_;     // team name -> event bytes
  std::map<uint64_t, std::string> acknowledged_;  // org seq -> team name
};

TEST_F(StorageFaultTest, FailedWalWriteIsNotAcknowledgedAndTheServerRecovers) {
  Run(Fault::kWriteError);
}

TEST_F(StorageFaultTest, FailedFsyncIsNotAcknowledgedAndTheServerRecovers) {
  Run(Fault::kSyncError);
}

TEST_F(StorageFaultTest, DiskFullIsNotAcknowledgedAndTheServerRecovers) { Run(Fault::kNoSpace); }

// A fault that starts in the middle of a run of appends: every acknowledged
// one survives, and the server keeps answering each request one way or the
// other while the WAL's fsyncs fail (reopening may succeed in between: the
// probe and the new WAL's creation do not sync a WAL).
TEST_F(StorageFaultTest, FsyncFailingAfterSomeAppendsKeepsEveryAcknowledgedOne) {
  fs_.Inject(Fault::kSyncError, FaultTarget::kWal, 3);
  std::vector<std::string> failed;
  for (int i = 0; i < 12; ++i) {
    std::string name = "run-" + std::to_string(i);
    if (!Append(*connection_, name).acknowledged) failed.push_back(name);
  }
  EXPECT_FALSE(failed.empty());
  EXPECT_GE(acknowledged_.size(), 3u);
  fs_.Clear();
  AppendWhenHealthy("healed");
  for (const std::string& name : failed) EXPECT_TRUE(Append(*connection_, name).acknowledged);
  CheckLogOnDisk();
}

// A nearly full disk: room for a small probe and for reopening the log, not
// for the group that failed. Recovery probes for room for that group, so
// the log is not reopened (its WAL replayed) again and again only to fail
// the same way; appends are refused until there is room, then the group is
// retried and settles once.
TEST_F(StorageFaultTest, NearlyFullDiskIsNotReopenedUntilTheFailedGroupFits) {
  ASSERT_TRUE(Append(*connection_, "before").acknowledged);
  description_ = std::string(8000, 'd');
  std::vector<std::string> names, events;
  for (int i = 0; i < 40; ++i) {
    names.push_back("big-" + std::to_string(i));
    events.push_back(Team(names.back()));
  }
  fs_.InjectSpaceLeft(128 << 10);  // the group needs 320 KB and more
  std::optional<std::string> failed = connection_->AppendAndWait(next_id_++, Commands(events));
  ASSERT_TRUE(failed);
  const wire::Error* error = AsMessage(*failed).body_as_Error();
  ASSERT_TRUE(error) << "a group with no room on disk was acknowledged";
  EXPECT_EQ(error->code(), kUnhealthy);

  // Small appends would fit, but until the failed group does the server
  // stays unhealthy and leaves the log closed to writes, not reopened.
  uint64_t manifests = fs_.manifests_created();
  std::vector<std::string> small;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    small.push_back("small-" + std::to_string(small.size()));
    EXPECT_FALSE(Append(*connection_, small.back()).acknowledged);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(fs_.manifests_created(), manifests)
      << "the log was reopened on a disk without room for the failed group";
  ExpectReadsWork();

  fs_.Clear();
  AppendWhenHealthy("after");
  std::optional<std::string> retried = connection_->AppendAndWait(next_id_++, Commands(events));
  ASSERT_TRUE(retried);
  const wire::AppendResult* results = AsMessage(*retried).body_as_AppendResult();
  ASSERT_TRUE(results && results->results()->size() == names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(results->results()->Get(i)->code(), 0) << names[i];
    Outcome reply;
    reply.acknowledged = true;
    reply.first_seq = results->results()->Get(i)->first_seq();
    Note(names[i], reply);
  }
  for (const std::string& name : small) EXPECT_TRUE(Append(*connection_, name).acknowledged);
  CheckLogOnDisk();
}

// Flushes and compactions fail in the background, after the appends whose
// data they write were acknowledged: those stay safe in the WAL, which
// RocksDB keeps until tables hold its data. RocksDB stops writes after such
// a failure (a fatal background error), so the server refuses appends as
// unhealthy and reopens the log once tables can be written again.
class TableFaultTest : public StorageFaultTest {
 protected:
  TableFaultTest() {
    memtable_bytes_ = 64 << 10;  // a flush every 30 or so of these appends
    description_ = std::string(2000, 'd');
  }

  void Run(Fault fault, FaultTarget target) {
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(Append(*connection_, "before-" + std::to_string(i)).acknowledged);
    fs_.Inject(fault, target);
    std::vector<std::string> refused;
    for (int i = 0; i < 3000 && refused.size() < 3; ++i) {
      std::string name = "during-" + std::to_string(i);
      if (!Append(*connection_, name).acknowledged) refused.push_back(name);
    }
    ASSERT_GT(fs_.failures(), 0u) << "no table was written while the fault was on";
    ASSERT_EQ(refused.size(), 3u) << "appends went on after tables failed to be written";
    fs_.Clear();
    AppendWhenHealthy("after-0");
    for (const std::string& name : refused) EXPECT_TRUE(Append(*connection_, name).acknowledged);
    for (int i = 1; i < 4; ++i)
      EXPECT_TRUE(Append(*connection_, "after-" + std::to_string(i)).acknowledged);
    CheckLogOnDisk();
  }
};

TEST_F(TableFaultTest, FailedFlushLosesNothingAcknowledgedAndTheServerRecovers) {
  Run(Fault::kWriteError, FaultTarget::kFlushTables);
}

TEST_F(TableFaultTest, FailedCompactionLosesNothingAcknowledgedAndTheServerRecovers) {
  Run(Fault::kWriteError, FaultTarget::kCompactionTables);
}

TEST_F(TableFaultTest, DiskFullDuringFlushLosesNothingAcknowledgedAndTheServerRecovers) {
  Run(Fault::kNoSpace, FaultTarget::kFlushTables);
}

// The engine alone: a failed Append changes nothing; the log reopens once
// storage heals and continues where the last good Append ended.
TEST(StorageFaultLog, ReopenAfterFailedAppendContinuesTheLog) {
  TempDir dir;
  FaultFileSystem fs;
  LogOptions options = OptionsIn(dir);
  options.env = fs.env();
  std::unique_ptr<EventLog> log = OpenOrDie(options);
  Uuid org = Uuid::Random();
  std::vector<std::string> events = {OrgEvent(org), TeamEvent(org, "kept")};
  std::vector<std::string_view> views(events.begin(), events.end());
  ASSERT_TRUE(log->Append(views).ok());

  fs.Inject(Fault::kSyncError, FaultTarget::kAll);
  std::string lost = TeamEvent(org, "failed");
  std::vector<std::string_view> failing = {lost};
  EXPECT_EQ(log->Append(failing).status().code(), Code::kIoError);
  EXPECT_FALSE(log->ProbeStorage(4096).ok());
  ASSERT_TRUE(log->Head(org).ok());
  EXPECT_EQ(log->Head(org)->size, 2u);  // the failed batch is not readable

  fs.Clear();
  ASSERT_TRUE(log->ProbeStorage(4096).ok());
  Status reopened = log->Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.ToString();
  // The failed fsync's batch was written to the WAL, so reopening may bring
  // it back; either way the log is whole and goes on after it.
  uint64_t size = log->Head(org)->size;
  EXPECT_TRUE(size == 2 || size == 3) << size;
  std::string next = TeamEvent(org, "next");
  std::vector<std::string_view> after = {next};
  Result<std::vector<Position>> appended = log->Append(after);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ((*appended)[0].org_seq, size + 1);
  EXPECT_EQ(log->LastGlobalSeq(), size + 1);
  EXPECT_TRUE(log->VerifyOrg(org).ok());
  log.reset();  // before fs
}

}  // namespace
}  // namespace ledger::testing
