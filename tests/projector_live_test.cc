// The real ledger-project following a real ledgerd over TCP (personal fields
// opened by the server), and its answers to bad input: a clear error and
// exit status, or retries where waiting can help.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "pg_server.h"
#include "projection_fixture.h"
#include "test_util.h"

extern char** environ;

namespace ledger::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Limits, with the reason for each value.
constexpr auto kErrorTimeout = 10s;   // bad input must be reported well within this
constexpr auto kListenTimeout = 10s;  // ledgerd writing its port file
constexpr int kDemoOrgs = 3;          // enough for a multi-org feed, fast to append

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A finished child's exit code and what it printed.
struct Outcome {
  int code = -1;
  std::string out, err;
};

Outcome RunToEnd(const std::vector<std::string>& argv, const TempDir& dir,
                 std::chrono::milliseconds timeout = kRunTimeout) {
  Child child(argv, dir.Sub("run.out"), dir.Sub("run.err"));
  Outcome outcome;
  outcome.code = child.Wait(timeout);
  outcome.out = child.out();
  outcome.err = child.err();
  return outcome;
}

std::string Describe(const Outcome& outcome) {
  return "exit " + std::to_string(outcome.code) + "\nstdout:\n" + outcome.out + "stderr:\n" +
         outcome.err;
}

// `ledger token create --db DB ...`: the token it prints.
std::string CreateToken(const TempDir& dir, const std::string& db,
                        const std::vector<std::string>& scope) {
  std::vector<std::string> argv = {LEDGER_CLI_BINARY, "token", "create", "--db", db};
  argv.insert(argv.end(), scope.begin(), scope.end());
  Outcome created = RunToEnd(argv, dir);
  if (created.code != 0) throw std::runtime_error("token create: " + Describe(created));
  std::string token = created.out;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

// The real ledgerd on 127.0.0.1 (a port the kernel picks, read from its
// port file), over a log that ledgerd creates.
class LedgerdProcess {
 public:
  LedgerdProcess(const TempDir& dir, const std::string& db) : port_file_(db + ".port") {
    child_ = std::make_unique<Child>(
        std::vector<std::string>{LEDGERD_BINARY, "--db", db, "--listen", "127.0.0.1:0",
                                 "--port-file", port_file_, "--log-level", "warn"},
        dir.Sub("ledgerd.out"), dir.Sub("ledgerd.err"));
    auto deadline = Clock::now() + kListenTimeout;
    while (Clock::now() < deadline) {
      std::ifstream in(port_file_);
      if (in >> port_) return;
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("ledgerd did not write " + port_file_ + ": " + child_->err());
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // SIGTERM: ledgerd finishes what it accepted and exits 0.
  int Stop() { return child_->Stop(SIGTERM); }

 private:
  std::string port_file_;
  std::unique_ptr<Child> child_;
  uint16_t port_ = 0;
};

// "projected N events in M transactions; checkpoint C" from ledger-project.
struct Projected {
  uint64_t events = 0;
  uint64_t checkpoint = 0;
};
Projected ParseProjected(const std::string& out) {
  std::smatch match;
  static const std::regex kSummary(
      R"(projected (\d+) events in \d+ transactions; checkpoint (\d+))");
  if (!std::regex_search(out, match, kSummary)) {
    ADD_FAILURE() << "no summary line in: " << out;
    return {};
  }
  return {std::stoull(match[1]), std::stoull(match[2])};
}

// Every row of `sql`, columns joined by '|'.
std::vector<std::string> Rows(const std::string& conninfo, const std::string& sql,
                              const std::vector<std::string>& parameters = {}) {
  pqxx::connection connection(conninfo);
  pqxx::nontransaction tx(connection);
  pqxx::result result;
  if (parameters.empty()) {
    result = tx.exec(sql);
  } else if (parameters.size() == 1) {
    result = tx.exec_params(sql, parameters[0]);
  } else {
    result = tx.exec_params(sql, parameters[0], parameters[1]);
  }
  std::vector<std::string> rows;
  for (const pqxx::row& row : result) {
    std::string line;
    for (const pqxx::field& field : row) {
      line += (line.empty() ? "" : "|") + std::string(field.is_null() ? "NULL" : field.c_str());
    }
    rows.push_back(line);
  }
  return rows;
}

std::string Value(const std::string& conninfo, const std::string& sql,
                  const std::vector<std::string>& parameters = {}) {
  std::vector<std::string> rows = Rows(conninfo, sql, parameters);
  return rows.empty() ? "" : rows.front();
}

// The lines of `text` that start with "error:".
std::vector<std::string> ErrorLines(const std::string& text) {
  std::vector<std::string> errors;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("error:")) errors.push_back(line);
  }
  return errors;
}

// A loopback port nothing listens on (bound by the kernel, then closed).
uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("cannot bind 127.0.0.1:0");
  return ntohs(address.sin_port);
}

// The events whose personal fields name `subject`: how many show its value
// and how many show it erased ("value": null).
struct SubjectValues {
  uint64_t shown = 0;
  uint64_t erased = 0;
};
SubjectValues ValuesOf(const std::string& conninfo, const std::string& subject) {
  std::string count =
      "SELECT count(*) FROM events WHERE subjects @> ARRAY[$1::uuid] AND jsonb_path_exists("
      "payload, 'strict $.** ? (@.subject_id == $s && @.value %s null)', "
      "jsonb_build_object('s', $2::text))";
  auto with = [&](const char* comparison) {
    std::string sql = count;
    sql.replace(sql.find("%s"), 2, comparison);
    return std::stoull(Value(conninfo, sql, {subject, subject}));
  };
  return {with("!="), with("==")};
}

// ledgerd with an admin token, and `ledger demo --connect` history in it.
class ProjectorLive : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_token_ = CreateToken(dir_, db_, {"--admin"});
    ledgerd_ = std::make_unique<LedgerdProcess>(dir_, db_);
    appended_ = AppendDemo();
    conninfo_ = FreshDatabase();
  }

  // Returns how many events the demo appended: the sum of the tree sizes
  // it prints for its new orgs ("org <uuid>  size N  root ..."), as ledgerd
  // reports them.
  uint64_t AppendDemo() {
    Outcome demo = RunToEnd({LEDGER_CLI_BINARY, "demo", "--connect", ledgerd_->address(), "--token",
                             admin_token_, "--orgs", std::to_string(kDemoOrgs)},
                            dir_);
    EXPECT_EQ(demo.code, 0) << Describe(demo);
    static const std::regex kTreeSize(R"(org [0-9a-f-]+  size (\d+))");
    uint64_t events = 0;
    int orgs = 0;
    for (auto it = std::sregex_iterator(demo.out.begin(), demo.out.end(), kTreeSize);
         it != std::sregex_iterator(); ++it, ++orgs) {
      events += std::stoull((*it)[1]);
    }
    EXPECT_EQ(orgs, kDemoOrgs) << Describe(demo);
    return events;
  }

  // `ledger append` of one JSON command line over TCP.
  void AppendJson(const std::string& line) {
    std::string file = dir_.Sub("command.jsonl");
    std::ofstream(file) << line << "\n";
    Outcome appended = RunToEnd({LEDGER_CLI_BINARY, "append", "--connect", ledgerd_->address(),
                                 "--token", admin_token_, "--file", file},
                                dir_);
    ASSERT_EQ(appended.code, 0) << Describe(appended);
  }

  Projected ProjectUntilCaughtUp() {
    Outcome run = RunToEnd({LEDGER_PROJECT_BINARY, "--connect", ledgerd_->address(), "--token",
                            admin_token_, "--pg", conninfo_, "--until-caught-up"},
                           dir_);
    EXPECT_EQ(run.code, 0) << Describe(run);
    return ParseProjected(run.out);
  }

  uint64_t Checkpoint() {
    return std::stoull(Value(conninfo_, "SELECT global_seq FROM projector_checkpoint"));
  }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  std::string admin_token_;
  std::unique_ptr<LedgerdProcess> ledgerd_;
  std::string conninfo_;
  uint64_t appended_ = 0;  // by SetUp's demo
};

TEST_F(ProjectorLive, CatchesUpThenProjectsOnlyWhatIsNew) {
  ASSERT_GT(appended_, 100u);
  Projected first = ProjectUntilCaughtUp();
  EXPECT_EQ(first.events, appended_);
  EXPECT_EQ(first.checkpoint, appended_);
  EXPECT_EQ(Checkpoint(), appended_);
  EXPECT_EQ(Value(conninfo_, "SELECT count(*) || '|' || max(global_seq) FROM events"),
            std::to_string(appended_) + "|" + std::to_string(appended_));

  Projected again = ProjectUntilCaughtUp();
  EXPECT_EQ(again.events, 0u);
  EXPECT_EQ(again.checkpoint, first.checkpoint);
  EXPECT_EQ(Checkpoint(), first.checkpoint);

  uint64_t appended_later = AppendDemo();
  ASSERT_GT(appended_later, 0u);
  Projected more = ProjectUntilCaughtUp();
  EXPECT_EQ(more.events, appended_later);
  EXPECT_EQ(more.checkpoint, appended_ + appended_later);
  EXPECT_EQ(Value(conninfo_, "SELECT count(*) || '|' || count(DISTINCT global_seq) FROM events"),
            std::to_string(more.checkpoint) + "|" + std::to_string(more.checkpoint));
  EXPECT_EQ(Value(conninfo_, "SELECT count(DISTINCT org_id) FROM organizations"),
            std::to_string(2 * kDemoOrgs));
}

TEST_F(ProjectorLive, ForgottenPersonIsNullEverywhereAndEqualsARebuildFromTheLog) {
  Projected first = ProjectUntilCaughtUp();
  ASSERT_EQ(first.events, appended_);
  // ledgerd opened every personal field for the projector.
  EXPECT_EQ(Value(conninfo_,
                  "SELECT count(*) FROM employees WHERE email IS NULL"
                  " OR full_name IS NULL"),
            "0");
  std::vector<std::string> person =
      Rows(conninfo_, "SELECT org_id, id FROM employees ORDER BY org_id, id LIMIT 1");
  ASSERT_EQ(person.size(), 1u);
  std::string org = person[0].substr(0, person[0].find('|'));
  std::string subject = person[0].substr(person[0].find('|') + 1);
  SubjectValues before = ValuesOf(conninfo_, subject);
  EXPECT_GT(before.shown, 0u);
  EXPECT_EQ(before.erased, 0u);

  AppendJson(R"({"envelope": {"org_id": ")" + org +
             R"("}, "payload_type": "SubjectForgotten", "payload": {"subject_id": ")" + subject +
             R"(", "reason": "erasure request"}})");
  Projected forgot = ProjectUntilCaughtUp();
  EXPECT_EQ(forgot.events, 1u);

  EXPECT_EQ(Value(conninfo_,
                  "SELECT email IS NULL AND full_name IS NULL FROM employees"
                  " WHERE id = $1::uuid",
                  {subject}),
            "t");
  EXPECT_EQ(Value(conninfo_,
                  "SELECT count(*) FROM employees WHERE email IS NULL"
                  " OR full_name IS NULL"),
            "1");
  SubjectValues after = ValuesOf(conninfo_, subject);
  EXPECT_EQ(after.shown, 0u);
  EXPECT_EQ(after.erased, before.shown);

  // The same log read from its directory once ledgerd let go of it.
  EXPECT_EQ(ledgerd_->Stop(), 0);
  Outcome rebuilt = RunToEnd(
      {LEDGER_PROJECT_BINARY, "--db", db_, "--pg", conninfo_, "--rebuild", "--schema", "fresh"},
      dir_);
  ASSERT_EQ(rebuilt.code, 0) << Describe(rebuilt);
  std::map<std::string, std::string> want = Digests(conninfo_, "fresh");
  std::map<std::string, std::string> have = Digests(conninfo_, "public");
  for (const auto& [table, digest] : want) EXPECT_EQ(have[table], digest) << table;
  std::string last = std::to_string(appended_ + 1);
  EXPECT_EQ(Value(conninfo_, "SELECT global_seq FROM fresh.projector_checkpoint"), last);
  EXPECT_EQ(Value(conninfo_, "SELECT global_seq FROM public.projector_checkpoint"), last);
}

TEST(ProjectorCli, OrgTokenOverConnectFailsWithOneLineForbiddenError) {
  TempDir dir;
  std::string db = dir.Sub("db");
  std::string org_token = CreateToken(dir, db, {"--org", Uuid::Random().ToString()});
  LedgerdProcess ledgerd(dir, db);
  Outcome run = RunToEnd({LEDGER_PROJECT_BINARY, "--connect", ledgerd.address(), "--token",
                          org_token, "--pg", FreshDatabase(), "--until-caught-up"},
                         dir, kErrorTimeout);
  EXPECT_EQ(run.code, 1) << Describe(run);
  std::vector<std::string> errors = ErrorLines(run.err);
  ASSERT_EQ(errors.size(), 1u) << Describe(run);
  EXPECT_TRUE(Contains(errors[0], "forbidden") && Contains(errors[0], "admin token")) << errors[0];
  EXPECT_EQ(ledgerd.Stop(), 0);
}

TEST(ProjectorCli, UnreachablePostgresIsRetriedUntilStopped) {
  TempDir dir;
  auto test = OpenTestLedger();
  FillWithRandomHistories(*test->ledger, 3, /*orgs=*/1, /*length=*/20);
  test->ledger.reset();
  std::string conninfo = "host=127.0.0.1 port=" + std::to_string(ClosedPort()) + " user=postgres";
  Child child({LEDGER_PROJECT_BINARY, "--db", test->dir.Sub("db"), "--master-key",
               test->dir.Sub("master.key"), "--pg", conninfo},
              dir.Sub("run.out"), dir.Sub("run.err"));
  std::this_thread::sleep_for(1s);
  auto stopping = Clock::now();
  int code = child.Stop(SIGTERM, 5s);
  EXPECT_LT(Clock::now() - stopping, 1s) << "SIGTERM was not honoured while retrying";
  std::string err = child.err();
  EXPECT_EQ(code, 1) << err;
  EXPECT_TRUE(Contains(err, "connecting to PostgreSQL") && Contains(err, "retrying in")) << err;
  std::vector<std::string> errors = ErrorLines(err);
  ASSERT_EQ(errors.size(), 1u) << err;
  EXPECT_TRUE(Contains(errors[0], "cancelled connecting")) << errors[0];
  EXPECT_EQ(child.out(), "");
}

TEST(ProjectorCli, RebuildWithoutDbExitsTwoSayingSo) {
  TempDir dir;
  Outcome run = RunToEnd({LEDGER_PROJECT_BINARY, "--connect", "127.0.0.1:1", "--token", "t", "--pg",
                          "host=127.0.0.1 port=1", "--rebuild"},
                         dir, kErrorTimeout);
  EXPECT_EQ(run.code, 2) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "--rebuild") && Contains(run.err, "--db")) << Describe(run);
  EXPECT_EQ(run.out, "");
}

TEST(ProjectorCli, MissingDbDirectoryExitsOneNamingThePath) {
  TempDir dir;
  std::string missing = dir.Sub("no-such-log");
  Outcome run = RunToEnd({LEDGER_PROJECT_BINARY, "--db", missing, "--pg",
                          "host=127.0.0.1 port=" + std::to_string(ClosedPort())},
                         dir, kErrorTimeout);
  EXPECT_EQ(run.code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.err, missing)) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "error")) << Describe(run);
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a missing log must not be created";
}

}  // namespace
}  // namespace ledger::testing
