// `ledger history` and `ledger diff` on the scripted scenario
// (audit_scenario.h): every change with its actor, time and fields before
// and after; what changed between two instants.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "audit_scenario.h"
#include "ledger/audit/changes.h"
#include "server_fixture.h"

namespace ledger {
namespace {

using testing::AuditScenario;
using testing::CliRun;
using testing::Has;
using testing::RunLedgerCli;
using testing::ScenarioText;
using Json = nlohmann::json;

class AuditHistory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scenario_ = new AuditScenario();
    scenario_->Close();
  }
  static void TearDownTestSuite() {
    delete scenario_;
    scenario_ = nullptr;
  }
  const AuditScenario& s() { return *scenario_; }
  CliRun Run(const std::string& command, std::vector<std::string> args) {
    args.insert(args.begin(), {command, "--db", s().db(), "--org", s().org.ToString()});
    return RunLedgerCli(args);
  }

  static AuditScenario* scenario_;
};
AuditScenario* AuditHistory::scenario_ = nullptr;

TEST_F(AuditHistory, AgentHistoryListsEveryChangeWithActorTimeAndFields) {
  CliRun run = Run("history", {"--entity", "agent:" + s().agent});
  ASSERT_EQ(run.code, 0) << run.err;
  // Assigned, paused, and the usage charged to it; nothing else changed it.
  EXPECT_TRUE(Has(run.out, "agent " + s().agent + ": 3 changes")) << run.out;
  EXPECT_TRUE(Has(run.out, "seq 8  2026-03-01T11:05:00.000000Z  employee:" + s().alice +
                               "  EmployeeAgentAssigned  (added)"))
      << run.out;
  EXPECT_TRUE(Has(run.out, "seq 12  2026-03-01T13:00:00.000000Z  employee:" + s().alice +
                               "  EmployeeAgentPaused  (changed)"))
      << run.out;
  EXPECT_TRUE(Has(run.out, "    status: \"Active\" → \"Paused\"")) << run.out;
  EXPECT_TRUE(Has(run.out, "seq 13  2026-03-01T14:00:00.000000Z  agent:" + s().agent +
                               "  UsageRecorded  (changed)"))
      << run.out;
  EXPECT_TRUE(Has(run.out, "    spending_micros: 0 → 30000000")) << run.out;
  EXPECT_FALSE(Has(run.out, "seq 14")) << "the second usage was not the agent's\n" << run.out;
}

TEST_F(AuditHistory, RequestHistoryShowsTheApprovalAndTheLedgersResolution) {
  CliRun run = Run("history", {"--entity", "request:" + s().request, "--format", "json"});
  ASSERT_EQ(run.code, 0) << run.err;
  Json doc = Json::parse(run.out);
  EXPECT_EQ(doc["entity"]["kind"], "request");
  const Json& changes = doc["changes"];
  ASSERT_EQ(changes.size(), 3u) << run.out;
  EXPECT_EQ(changes[0]["event_type"], "AgentRequestSubmitted");
  EXPECT_EQ(changes[0]["change"], "added");
  EXPECT_EQ(changes[1]["event_type"], "ApprovalRecorded");
  EXPECT_EQ(changes[1]["actor"], "employee:" + s().bob);
  EXPECT_EQ(changes[1]["recorded_at"], "2026-03-01T12:30:00.000000Z");
  EXPECT_EQ(changes[2]["event_type"], "AgentRequestResolved");
  EXPECT_EQ(changes[2]["actor"], "system:ledger");
  EXPECT_EQ(changes[2]["org_seq"], 11);
  bool status_changed = false;
  for (const Json& field : changes[2]["fields"]) {
    if (field["field"] == "status") {
      EXPECT_EQ(field["before"], "Pending");
      EXPECT_EQ(field["after"], "Approved");
      status_changed = true;
    }
  }
  EXPECT_TRUE(status_changed) << changes[2].dump();
}

TEST_F(AuditHistory, OrganizationHistoryIsNamedByTheOrgId) {
  CliRun run = Run("history", {"--entity", "organization:" + s().org.ToString()});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(Has(run.out, "OrganizationCreated  (added)")) << run.out;
  EXPECT_TRUE(Has(run.out, "    name: \"Acme\"")) << run.out;
}

TEST_F(AuditHistory, UnknownKindListsTheValidOnes) {
  CliRun run = Run("history", {"--entity", "widget:" + s().agent});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err.rfind("error: unknown entity kind 'widget': expected one of ", 0), 0u)
      << run.err;
  for (const char* kind :
       {"employee", "team", "role", "agent", "template", "tool", "policy", "mcp_server",
        "mcp_config", "request", "mission", "task", "subscription"}) {
    EXPECT_TRUE(Has(run.err, kind)) << kind << " in " << run.err;
  }
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
}

TEST_F(AuditHistory, EntityThatNeverExistedIsOneLine) {
  std::string ghost = Uuid::Random().ToString();
  CliRun run = Run("history", {"--entity", "employee:" + ghost});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err,
            "error: employee " + ghost + " never existed in org " + s().org.ToString() + "\n");
  // An id of another kind is not an employee either.
  CliRun wrong_kind = Run("history", {"--entity", "employee:" + s().agent});
  EXPECT_EQ(wrong_kind.code, 1);
  EXPECT_TRUE(Has(wrong_kind.err, "never existed")) << wrong_kind.err;
}

TEST_F(AuditHistory, DiffReportsAddedAndChangedEntitiesWithTheirFields) {
  CliRun run = Run("diff", {"--from", ScenarioText(10, 30), "--to", ScenarioText(13, 30)});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(Has(run.out, "version 6 (2026-03-01T10:05:00.000000Z) → version 12")) << run.out;
  EXPECT_TRUE(Has(run.out, "added  template " + s().tmpl)) << run.out;
  EXPECT_TRUE(Has(run.out, "added  agent " + s().agent)) << run.out;
  EXPECT_TRUE(Has(run.out, "    status: \"Paused\"")) << run.out;
  EXPECT_TRUE(Has(run.out, "added  request " + s().request)) << run.out;
  EXPECT_TRUE(Has(run.out, "3 added, 0 removed, 0 changed")) << run.out;
}

TEST_F(AuditHistory, DiffJsonShowsSpendingBeforeAndAfter) {
  CliRun run = Run(
      "diff", {"--from", ScenarioText(13, 30), "--to", ScenarioText(23, 0), "--format", "json"});
  ASSERT_EQ(run.code, 0) << run.err;
  Json doc = Json::parse(run.out);
  EXPECT_EQ(doc["from"]["version"], 12);
  EXPECT_EQ(doc["to"]["version"], 15);
  std::map<std::string, Json> by_id;
  for (const Json& change : doc["changes"]) by_id[change["id"]] = change;
  ASSERT_TRUE(by_id.count(s().subscription)) << run.out;
  const Json& subscription = by_id[s().subscription];
  EXPECT_EQ(subscription["kind"], "subscription");
  EXPECT_EQ(subscription["change"], "changed");
  std::map<std::string, Json> fields;
  for (const Json& field : subscription["fields"]) fields[field["field"]] = field;
  EXPECT_EQ(fields["spending_micros"]["before"], 0);
  EXPECT_EQ(fields["spending_micros"]["after"], 85'000'000);
  EXPECT_EQ(fields["thresholds_crossed"]["after"], 1);
  ASSERT_TRUE(by_id.count(s().alice));
  ASSERT_TRUE(by_id.count(s().agent));
  EXPECT_FALSE(by_id.count(s().bob)) << "bob did not change";
}

TEST_F(AuditHistory, DiffOfAnInstantWithItselfIsEmpty) {
  CliRun run = Run("diff", {"--from", ScenarioText(12, 0), "--to", ScenarioText(12, 0)});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(Has(run.out, "0 added, 0 removed, 0 changed")) << run.out;
}

TEST_F(AuditHistory, DiffRefusesFromAfterTo) {
  CliRun run = Run("diff", {"--from", ScenarioText(13, 0), "--to", ScenarioText(12, 0)});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "error: --from " + ScenarioText(13, 0) + " is after --to " +
                         ScenarioText(12, 0) + "\n");
  // Also when nothing was recorded between the two.
  CliRun quiet = Run("diff", {"--from", ScenarioText(16, 1), "--to", ScenarioText(16, 0)});
  EXPECT_EQ(quiet.code, 1);
  EXPECT_TRUE(Has(quiet.err, "is after")) << quiet.err;
}

TEST_F(AuditHistory, DiffAndHistoryNameBadInstantsAndOrgs) {
  CliRun malformed = Run("diff", {"--from", "noon", "--to", ScenarioText(12, 0)});
  EXPECT_EQ(malformed.code, 1);
  EXPECT_TRUE(Has(malformed.err, "malformed time 'noon'")) << malformed.err;
  CliRun before = Run("diff", {"--from", "2020-01-01", "--to", ScenarioText(12, 0)});
  EXPECT_EQ(before.code, 1);
  EXPECT_TRUE(Has(before.err, "did not exist at 2020-01-01")) << before.err;
  Uuid stranger = Uuid::Random();
  CliRun unknown = RunLedgerCli({"history", "--db", s().db(), "--org", stranger.ToString(),
                                 "--entity", "employee:" + s().alice});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(Has(unknown.err, "unknown org " + stranger.ToString())) << unknown.err;
}

TEST_F(AuditHistory, HelpDescribesBothCommands) {
  CliRun history = RunLedgerCli({"history", "--help"});
  EXPECT_EQ(history.code, 0);
  EXPECT_TRUE(Has(history.out, "--entity")) << history.out;
  EXPECT_TRUE(Has(history.out, "mcp_config")) << history.out;
  CliRun diff = RunLedgerCli({"diff", "--help"});
  EXPECT_EQ(diff.code, 0);
  EXPECT_TRUE(Has(diff.out, "--from")) << diff.out;
  EXPECT_TRUE(Has(diff.out, "--to")) << diff.out;
}

// Over --connect the tools trust nothing the server says about hashes but
// must print exactly what they print from the log directory.
class AuditOverConnect : public testing::ServerFixture {};

TEST_F(AuditOverConnect, ReplayHistoryAndDiffPrintTheSameAsFromTheDb) {
  std::vector<std::string> events = {testing::OrgEvent(org_)};
  for (int i = 0; i < 20; ++i) {
    events.push_back(testing::TeamEvent(org_, "team " + std::to_string(i)));
  }
  std::vector<std::string_view> views(events.begin(), events.end());
  ASSERT_TRUE(ledger_->log().Append(views).ok());
  StartServer();
  std::vector<std::string> local = {"--db", dir_.Sub("db")};
  std::vector<std::string> remote = {"--connect", "127.0.0.1:" + std::to_string(port()), "--token",
                                     org_token_};
  // The same command from both sources; its output from the log directory.
  auto both = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--org", org_.ToString()});
    std::vector<std::string> from_db = args, from_server = args;
    from_db.insert(from_db.end(), local.begin(), local.end());
    from_server.insert(from_server.end(), remote.begin(), remote.end());
    CliRun on_db = RunLedgerCli(from_db);
    CliRun on_server = RunLedgerCli(from_server);
    EXPECT_EQ(on_db.code, 0) << on_db.err;
    EXPECT_EQ(on_server.code, 0) << on_server.err;
    EXPECT_EQ(on_server.out, on_db.out);
    return on_db.out;
  };
  Json replayed = Json::parse(both({"replay", "--at", "21"}));
  ASSERT_EQ(replayed["state"]["teams"].size(), 20u);
  std::string team = replayed["state"]["teams"][0]["id"];
  std::string history = both({"history", "--entity", "team:" + team});
  EXPECT_TRUE(Has(history, "team " + team + ": 1 change")) << history;
  EXPECT_TRUE(Has(history, "TeamCreated  (added)")) << history;
  std::string diff = both({"diff", "--from", "5", "--to", "15", "--format", "text"});
  EXPECT_TRUE(Has(diff, "10 added, 0 removed, 0 changed")) << diff;
}

}  // namespace
}  // namespace ledger
