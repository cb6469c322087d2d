// The real ledger-project under faults: SIGKILL at random points, PostgreSQL
// connections terminated mid-run, and the whole PostgreSQL server stopped
// and started again. Afterwards the read models must equal a fresh rebuild
// of the same log row for row: every event counted once, none lost, none
// doubled, and the checkpoint at the log's last global sequence.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "pg_server.h"
#include "projection_fixture.h"

extern char** environ;

namespace ledger::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Limits, with the reason for each value.
constexpr auto kPollInterval = 20ms;    // checkpoint polls: each one is a new connection
constexpr auto kProgressTimeout = 30s;  // waiting for the checkpoint to reach a mark

// A log filled with random histories, closed so that ledger-project can
// take its RocksDB lock. Removed with the object.
struct ClosedLog {
  std::unique_ptr<TestLedger> test;
  uint64_t last = 0;
  std::string db() const { return test->dir.Sub("db"); }
  std::string master_key() const { return test->dir.Sub("master.key"); }
  std::string File(const std::string& name) const { return test->dir.Sub(name); }
};

ClosedLog RandomLog(uint64_t seed, int orgs, int length) {
  ClosedLog log;
  log.test = OpenTestLedger();
  FillWithRandomHistories(*log.test->ledger, seed, orgs, length);
  log.last = log.test->log().LastGlobalSeq();
  log.test->ledger.reset();  // releases the RocksDB lock
  return log;
}

std::vector<std::string> ProjectArgs(const ClosedLog& log, const std::string& conninfo,
                                     std::vector<std::string> more) {
  std::vector<std::string> argv = {LEDGER_PROJECT_BINARY, "--db", log.db(), "--master-key",
                                   log.master_key(),      "--pg", conninfo};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

// Runs ledger-project to its end; fails the test unless it exits 0.
void RunProject(const ClosedLog& log, const std::string& conninfo,
                const std::vector<std::string>& more) {
  Child child(ProjectArgs(log, conninfo, more), log.File("run.out"), log.File("run.err"));
  int code = child.Wait();
  ASSERT_EQ(code, 0) << "stdout:\n" << child.out() << "stderr:\n" << child.err();
}

// The schema's checkpoint; 0 before the projector created it.
uint64_t Checkpoint(const std::string& conninfo, const std::string& schema) {
  pqxx::connection connection(conninfo);
  pqxx::nontransaction tx(connection);
  std::string table = tx.quote_name(schema) + ".projector_checkpoint";
  if (tx.exec1("SELECT to_regclass(" + tx.quote(table) + ") IS NULL")[0].as<bool>()) return 0;
  return tx.exec1("SELECT global_seq FROM " + table)[0].as<uint64_t>();
}

// Waits until the checkpoint reaches `mark`; returns it.
uint64_t AwaitCheckpoint(const std::string& conninfo, uint64_t mark) {
  auto deadline = Clock::now() + kProgressTimeout;
  uint64_t checkpoint = 0;
  while ((checkpoint = Checkpoint(conninfo, "public")) < mark && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  EXPECT_GE(checkpoint, mark) << "the projector stalled";
  return checkpoint;
}

// Every row of `sql` (with {s} replaced by the quoted schema), columns
// joined by '|'.
std::vector<std::string> Rows(const std::string& conninfo, const std::string& schema,
                              std::string sql) {
  pqxx::connection connection(conninfo);
  pqxx::nontransaction tx(connection);
  for (size_t at; (at = sql.find("{s}")) != std::string::npos;) {
    sql.replace(at, 3, tx.quote_name(schema));
  }
  std::vector<std::string> rows;
  for (const pqxx::row& row : tx.exec(sql)) {
    std::string line;
    for (const pqxx::field& field : row) {
      line += (line.empty() ? "" : "|") + std::string(field.is_null() ? "NULL" : field.c_str());
    }
    rows.push_back(line);
  }
  return rows;
}

// The read models of `schema` equal those of `fresh` (a rebuild), hold the
// whole log once, and the figures the issue names agree one by one.
void ExpectEqualsRebuild(const std::string& conninfo, const std::string& schema,
                         const std::string& fresh, uint64_t last) {
  std::map<std::string, std::string> want = Digests(conninfo, fresh);
  std::map<std::string, std::string> have = Digests(conninfo, schema);
  ASSERT_EQ(have.size(), want.size());
  for (const auto& [table, digest] : want) EXPECT_EQ(have[table], digest) << table;

  EXPECT_EQ(Checkpoint(conninfo, schema), last);
  EXPECT_EQ(Checkpoint(conninfo, fresh), last);
  std::string all = std::to_string(last) + "|" + std::to_string(last) + "|" + std::to_string(last);
  EXPECT_EQ(Rows(conninfo, schema,
                 "SELECT count(*), count(DISTINCT global_seq), max(global_seq) FROM {s}.events"),
            std::vector<std::string>{all});

  for (const char* query : {
           // Spending totals per org.
           "SELECT org_id, sum(current_spending_usd) FROM {s}.subscriptions GROUP BY 1 ORDER BY 1",
           // Approval counts per request status, and per request and vote.
           "SELECT r.org_id, r.status, count(a.id) FROM {s}.agent_requests r LEFT JOIN "
           "{s}.approvals a ON a.org_id = r.org_id AND a.request_id = r.id GROUP BY 1, 2 "
           "ORDER BY 1, 2",
           "SELECT org_id, request_id, status, count(*) FROM {s}.approvals GROUP BY 1, 2, 3 "
           "ORDER BY 1, 2, 3",
           // Agent lists.
           "SELECT org_id, employee_id, id, status FROM {s}.employee_agents ORDER BY 1, 2, 3",
       }) {
    std::vector<std::string> expected = Rows(conninfo, fresh, query);
    EXPECT_FALSE(expected.empty()) << "nothing to compare: " << query;
    EXPECT_EQ(Rows(conninfo, schema, query), expected) << query;
  }
}

// "dbname=NAME" out of a conninfo FreshDatabase made (names are bare).
std::string DatabaseName(const std::string& conninfo) {
  return conninfo.substr(conninfo.find("dbname=") + 7);
}

// ledger-project logged at least one retry (the count goes to the test's
// XML properties).
void ExpectRetried(const std::string& err) {
  size_t retries = 0;
  for (size_t at = 0; (at = err.find("; retrying in ", at)) != std::string::npos; ++at) ++retries;
  EXPECT_GT(retries, 0u) << "stderr:\n" << err;
  ::testing::Test::RecordProperty("retries_logged", std::to_string(retries));
}

TEST(ProjectorCrash, SigkillAtRandomPointsLosesAndDoublesNothing) {
  constexpr uint64_t kSeed = 20260611;
  // At least kKillsMin kills, and on until kMidRunKillsMin of them landed
  // between two commits, at most kKillsMax. Each kill comes at a random
  // point of a window of kKillWindowMs; a kill before any new commit (the
  // first run's schema migration alone takes ~200 ms, seconds on a loaded
  // machine) doubles the window for the next one, up to kKillWindowMaxMs.
  constexpr int kKillsMin = 14;
  constexpr int kMidRunKillsMin = 5;
  constexpr int kKillsMax = 40;
  constexpr uint64_t kKillWindowMs = 300;
  constexpr uint64_t kKillWindowMaxMs = 4800;
  ClosedLog log = RandomLog(kSeed, /*orgs=*/10, /*length=*/800);
  std::string conninfo = FreshDatabase();

  std::mt19937_64 random(kSeed);
  uint64_t previous = 0;
  int mid_run_kills = 0;
  std::string trajectory;
  uint64_t window_ms = kKillWindowMs;
  for (int round = 0; round < kKillsMax; ++round) {
    if (round >= kKillsMin && mid_run_kills >= kMidRunKillsMin) break;
    std::string batch = std::to_string(5 + random() % 60);
    Child child(ProjectArgs(log, conninfo, {"--batch-events", batch}), log.File("kill.out"),
                log.File("kill.err"));
    std::this_thread::sleep_for(std::chrono::milliseconds(3 + random() % window_ms));
    int code = child.Stop(SIGKILL);
    ASSERT_TRUE(code == 128 + SIGKILL || code == 0) << code << "\n" << child.err();
    uint64_t checkpoint = Checkpoint(conninfo, "public");
    ASSERT_GE(checkpoint, previous) << "the checkpoint went back";
    ASSERT_LE(checkpoint, log.last);
    if (code == 128 + SIGKILL && checkpoint > previous && checkpoint < log.last) ++mid_run_kills;
    window_ms = checkpoint > previous ? kKillWindowMs : std::min(2 * window_ms, kKillWindowMaxMs);
    previous = checkpoint;
    trajectory += std::to_string(checkpoint) + (code == 0 ? "(finished) " : " ");
  }
  // Kills landed between commits, not only before the first or after the last.
  EXPECT_GE(mid_run_kills, kMidRunKillsMin) << "checkpoints: " << trajectory << "of " << log.last;
  ::testing::Test::RecordProperty("events", std::to_string(log.last));
  ::testing::Test::RecordProperty("checkpoints_after_kills", trajectory);

  RunProject(log, conninfo, {"--batch-events", "50"});
  RunProject(log, conninfo, {"--rebuild", "--schema", "fresh"});
  ExpectEqualsRebuild(conninfo, "public", "fresh", log.last);
}

TEST(ProjectorPg, ConnectionsTerminatedMidRunAreRetriedLosingAndDoublingNothing) {
  ClosedLog log = RandomLog(/*seed=*/31, /*orgs=*/6, /*length=*/500);
  std::string conninfo = FreshDatabase();
  Child child(ProjectArgs(log, conninfo, {"--follow", "--batch-events", "40"}),
              log.File("follow.out"), log.File("follow.err"));
  constexpr int kTerminations = 3;
  for (int i = 1; i <= kTerminations; ++i) {
    uint64_t checkpoint = AwaitCheckpoint(conninfo, log.last * i / (kTerminations + 2));
    ASSERT_LT(checkpoint, log.last) << "finished before termination " << i;
    Status killed = SharedPgServer().KillConnections(DatabaseName(conninfo));
    ASSERT_TRUE(killed.ok()) << killed.ToString();
  }
  AwaitCheckpoint(conninfo, log.last);
  EXPECT_EQ(child.Stop(SIGTERM), 0) << child.err();
  ExpectRetried(child.err());

  RunProject(log, conninfo, {"--rebuild", "--schema", "fresh"});
  ExpectEqualsRebuild(conninfo, "public", "fresh", log.last);
}

TEST(ProjectorPg, ServerStoppedAndStartedAgainMidRunIsRetriedLosingAndDoublingNothing) {
  ClosedLog log = RandomLog(/*seed=*/47, /*orgs=*/6, /*length=*/500);
  // Its own server: stopping the shared one would break other tests.
  Result<std::unique_ptr<PgServer>> server = PgServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Result<std::string> conninfo = (*server)->CreateDatabase("projector");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();

  Child child(ProjectArgs(log, *conninfo, {"--follow", "--batch-events", "40"}),
              log.File("follow.out"), log.File("follow.err"));
  uint64_t before = AwaitCheckpoint(*conninfo, log.last / 4);
  ASSERT_LT(before, log.last) << "finished before the server stopped";
  // Fast mode: a clean shutdown that flushes what was committed (the
  // harness runs with synchronous_commit off).
  Status stopped = (*server)->Stop(PgStopMode::kFast);
  ASSERT_TRUE(stopped.ok()) << stopped.ToString();
  std::this_thread::sleep_for(1500ms);
  Status started = (*server)->StartAgain();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_GE(Checkpoint(*conninfo, "public"), before) << "a committed batch was lost";

  AwaitCheckpoint(*conninfo, log.last);
  EXPECT_EQ(child.Stop(SIGTERM), 0) << child.err();
  ExpectRetried(child.err());

  RunProject(log, *conninfo, {"--rebuild", "--schema", "fresh"});
  ExpectEqualsRebuild(*conninfo, "public", "fresh", log.last);
}

}  // namespace
}  // namespace ledger::testing
