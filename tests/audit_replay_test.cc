// `ledger replay`: the scripted scenario (audit_scenario.h) replayed at a
// series of instants must be what the script says the org was then; the
// CLI prints it as JSON and tables and names what is wrong in one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "audit_scenario.h"
#include "ledger/audit/instant.h"
#include "ledger/audit/source.h"

namespace ledger {
namespace {

using testing::AuditScenario;
using testing::RunLedgerCli;
using testing::ScenarioText;
using testing::ScenarioTime;
using Json = nlohmann::json;

constexpr int64_t kDollar = 1'000'000;

std::unique_ptr<audit::AuditSource> OpenSource(const AuditScenario& scenario) {
  audit::SourceFlags flags;
  flags.db = scenario.db();
  flags.master_key = scenario.master_key();
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags);
  if (!source.ok()) throw std::runtime_error(source.status().ToString());
  return std::move(source).value();
}

// The state as of an ISO-8601 instant, as `ledger replay --at` builds it.
State StateAt(audit::AuditSource& source, const Uuid& org, const std::string& at) {
  Result<audit::Instant> instant = audit::ParseInstant(at);
  if (!instant.ok()) throw std::runtime_error(instant.status().ToString());
  Result<uint64_t> version = audit::ResolveVersion(source, org, *instant);
  if (!version.ok()) throw std::runtime_error(version.status().ToString());
  Result<State> state = source.StateAt(org, *version);
  if (!state.ok()) throw std::runtime_error(state.status().ToString());
  return std::move(state).value();
}

template <typename Map>
const typename Map::mapped_type& Get(const Map& map, const std::string& id) {
  auto found = map.find(*Uuid::Parse(id));
  if (found == map.end()) throw std::runtime_error("no entity " + id);
  return found->second;
}

class AuditReplay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scenario_ = new AuditScenario();
    // Every version as the write model saw it, before the log goes read-only.
    for (uint64_t v = 1; v <= scenario_->versions.back(); ++v) {
      Result<State> state = scenario_->ledger().StateAt(scenario_->org, v);
      write_model_states_.push_back(state.ok() ? PackState(*state) : state.status().ToString());
    }
    scenario_->Close();
  }
  static void TearDownTestSuite() {
    delete scenario_;
    scenario_ = nullptr;
  }
  const AuditScenario& s() { return *scenario_; }
  std::vector<std::string> Replay(std::vector<std::string> args) {
    args.insert(args.begin(), {"replay", "--db", s().db(), "--org", s().org.ToString()});
    return args;
  }

  static AuditScenario* scenario_;
  static std::vector<std::string> write_model_states_;
};
AuditScenario* AuditReplay::scenario_ = nullptr;
std::vector<std::string> AuditReplay::write_model_states_;

TEST_F(AuditReplay, EachInstantOfTheScenarioShowsWhatTheScriptDidByThen) {
  std::unique_ptr<audit::AuditSource> source = OpenSource(s());
  const Uuid& org = s().org;

  State created = StateAt(*source, org, ScenarioText(9, 0, 30));
  EXPECT_EQ(created.version, 1u);
  ASSERT_TRUE(created.organization.has_value());
  EXPECT_EQ(created.organization->name, "Acme");
  EXPECT_TRUE(created.employees.empty());
  EXPECT_TRUE(created.subscriptions.empty());

  State hired = StateAt(*source, org, ScenarioText(10, 30));
  EXPECT_EQ(hired.version, 6u);
  ASSERT_EQ(hired.employees.size(), 2u);
  EXPECT_EQ(Get(hired.employees, s().alice).status, state::EmployeeStatus::Active);
  EXPECT_EQ(Get(hired.employees, s().bob).role_id, s().manager_role);
  EXPECT_EQ(Get(hired.employees, s().alice).team_id, s().team);
  EXPECT_TRUE(hired.employee_agents.empty());

  State assigned = StateAt(*source, org, ScenarioText(11, 30));
  ASSERT_EQ(assigned.employee_agents.size(), 1u);
  const state::EmployeeAgentT& agent = Get(assigned.employee_agents, s().agent);
  EXPECT_EQ(agent.status, state::AgentStatus::Active);
  EXPECT_EQ(agent.employee_id, s().alice);
  EXPECT_EQ(agent.template_id, s().tmpl);

  State submitted = StateAt(*source, org, ScenarioText(12, 15));
  const state::AgentRequestT& pending = Get(submitted.agent_requests, s().request);
  EXPECT_EQ(pending.status, state::RequestStatus::Pending);
  EXPECT_TRUE(pending.approvals.empty());

  // At the approval's own instant: the approval and the resolution the
  // ledger derived from it, never one without the other.
  State approved = StateAt(*source, org, ScenarioText(12, 30));
  const state::AgentRequestT& request = Get(approved.agent_requests, s().request);
  EXPECT_EQ(request.status, state::RequestStatus::Approved);
  ASSERT_EQ(request.approvals.size(), 1u);
  EXPECT_EQ(request.approvals[0]->approver_id, s().bob);
  EXPECT_NE(request.resolved_at, 0);
  EXPECT_EQ(Get(approved.employee_agents, s().agent).status, state::AgentStatus::Active);

  State paused = StateAt(*source, org, ScenarioText(13, 30));
  EXPECT_EQ(Get(paused.employee_agents, s().agent).status, state::AgentStatus::Paused);
  EXPECT_EQ(Get(paused.subscriptions, s().subscription).spending_micros, 0);

  State first_usage = StateAt(*source, org, ScenarioText(14, 15));
  EXPECT_EQ(first_usage.usage_records, 1u);
  EXPECT_EQ(Get(first_usage.subscriptions, s().subscription).spending_micros, 30 * kDollar);
  EXPECT_EQ(Get(first_usage.employees, s().alice).spending_micros, 30 * kDollar);
  EXPECT_EQ(Get(first_usage.employee_agents, s().agent).spending_micros, 30 * kDollar);

  State end = StateAt(*source, org, ScenarioText(23, 0));
  const state::SubscriptionT& budget = Get(end.subscriptions, s().subscription);
  EXPECT_EQ(end.usage_records, 2u);
  EXPECT_EQ(budget.monthly_budget_micros, 100 * kDollar);
  EXPECT_EQ(budget.spending_micros, 85 * kDollar);
  EXPECT_EQ(budget.thresholds_crossed, 1);  // 80 % crossed, 100 % not
  EXPECT_EQ(Get(end.employees, s().alice).spending_micros, 85 * kDollar);
  EXPECT_EQ(Get(end.employee_agents, s().agent).spending_micros, 30 * kDollar);
  EXPECT_EQ(end.version, s().versions.back());
}

TEST_F(AuditReplay, EveryVersionEqualsTheWriteModelsState) {
  std::unique_ptr<audit::AuditSource> source = OpenSource(s());
  for (uint64_t v = 1; v <= write_model_states_.size(); ++v) {
    Result<State> state = source->StateAt(s().org, v);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_EQ(PackState(*state), write_model_states_[v - 1]) << "version " << v;
  }
}

TEST_F(AuditReplay, JsonHasTheAsOfHeaderAndTheWholeState) {
  testing::CliRun run = RunLedgerCli(Replay({"--at", ScenarioText(12, 30)}));
  ASSERT_EQ(run.code, 0) << run.err;
  Json doc = Json::parse(run.out);
  EXPECT_EQ(doc["as_of"]["org"], s().org.ToString());
  EXPECT_EQ(doc["as_of"]["version"], 11);
  EXPECT_EQ(doc["as_of"]["at"], ScenarioText(12, 30));
  // The resolution the ledger derived, one microsecond after the approval.
  EXPECT_EQ(doc["as_of"]["recorded_at"], "2026-03-01T12:30:00.000001Z");
  const Json& state = doc["state"];
  EXPECT_EQ(state["organization"]["name"], "Acme");
  ASSERT_EQ(state["employees"].size(), 2u);
  ASSERT_EQ(state["agent_requests"].size(), 1u);
  EXPECT_EQ(state["agent_requests"][0]["status"], "Approved");
  EXPECT_EQ(state["agent_requests"][0]["approvals"][0]["approver_id"], s().bob);
  EXPECT_EQ(state["employee_agents"][0]["status"], "Active");
  // Personal fields stay sealed: the subject and which ciphertext, no bytes.
  const Json& email = state["employees"][0]["email"];
  EXPECT_TRUE(email.contains("subject_id"));
  EXPECT_EQ(email["sealed"].get<std::string>().size(), 48u);
  EXPECT_EQ(run.out.find("ciphertext"), std::string::npos);
}

TEST_F(AuditReplay, WithTheMasterKeyPersonalFieldsPrintOpened) {
  std::vector<std::string> args = Replay({"--at", ScenarioText(23, 0)});
  args.insert(args.end(), {"--master-key", s().master_key()});
  testing::CliRun run = RunLedgerCli(args);
  ASSERT_EQ(run.code, 0) << run.err;
  Json doc = Json::parse(run.out);
  std::set<std::string> emails, names;
  for (const Json& employee : doc["state"]["employees"]) {
    EXPECT_FALSE(employee["email"].contains("sealed")) << employee.dump();
    emails.insert(employee["email"]["value"].get<std::string>());
    names.insert(employee["full_name"]["value"].get<std::string>());
  }
  EXPECT_EQ(emails, (std::set<std::string>{"alice@acme.test", "bob@acme.test"}));
  EXPECT_EQ(names, (std::set<std::string>{"Alice A", "Bob B"}));
  EXPECT_EQ(run.out.find("ciphertext"), std::string::npos);
}

TEST_F(AuditReplay, SequenceNumbersWorkAsInstants) {
  testing::CliRun run = RunLedgerCli(Replay({"--at", "8"}));
  ASSERT_EQ(run.code, 0) << run.err;
  Json doc = Json::parse(run.out);
  EXPECT_EQ(doc["as_of"]["version"], 8);
  EXPECT_EQ(doc["state"]["employee_agents"].size(), 1u);
  EXPECT_FALSE(doc["state"].contains("agent_requests") && !doc["state"]["agent_requests"].empty());
}

TEST_F(AuditReplay, TableShowsEachKindAndSpendingAgainstBudget) {
  testing::CliRun run = RunLedgerCli(Replay({"--at", ScenarioText(23, 0), "--format", "table"}));
  ASSERT_EQ(run.code, 0) << run.err;
  for (const std::string& expected :
       {std::string("organization ") + s().org.ToString() + " at version 15",
        std::string("spending against budget (1)"), std::string("100.000000"),
        std::string("85.000000"), std::string("85%"), std::string("employees (2)"),
        std::string("Manager"), std::string("Platform"), std::string("employee agents (1)"),
        std::string("paused"), std::string("agent templates (1)"), std::string("Reviewer"),
        std::string("agent requests (1)"), std::string("approved"), std::string("1/1"),
        std::string("approvals (1)"), s().bob, std::string("teams (1)"),
        std::string("roles (1)")}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << " in\n" << run.out;
  }
}

TEST_F(AuditReplay, HelpDescribesTheCommand) {
  testing::CliRun run = RunLedgerCli({"replay", "--help"});
  EXPECT_EQ(run.code, 0);
  for (const char* expected : {"--org", "--at", "--format", "--into-postgres", "--schema",
                               "--replace", "--db", "--connect"}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected;
  }
}

// One line on stderr, starting "error: ", naming the problem.
void ExpectOneLineError(const testing::CliRun& run, const std::string& expected) {
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_EQ(run.err.rfind("error: ", 0), 0u) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(expected), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST_F(AuditReplay, UnknownOrgIsOneLine) {
  Uuid stranger = Uuid::Random();
  testing::CliRun run = RunLedgerCli(
      {"replay", "--db", s().db(), "--org", stranger.ToString(), "--at", ScenarioText(12, 0)});
  ExpectOneLineError(run, "unknown org " + stranger.ToString());
}

TEST_F(AuditReplay, InstantBeforeTheOrgExistedIsOneLine) {
  testing::CliRun run = RunLedgerCli(Replay({"--at", ScenarioText(8, 59, 59)}));
  ExpectOneLineError(run, "did not exist at " + ScenarioText(8, 59, 59));
  EXPECT_NE(run.err.find("2026-03-01T09:00:00.000000Z"), std::string::npos) << run.err;
}

TEST_F(AuditReplay, MalformedTimeIsOneLine) {
  ExpectOneLineError(RunLedgerCli(Replay({"--at", "yesterday"})), "malformed time 'yesterday'");
  ExpectOneLineError(RunLedgerCli(Replay({"--at", "2026-03-01T25:00:00Z"})), "malformed time");
}

TEST_F(AuditReplay, OrgThatIsNotAUuidIsOneLine) {
  ExpectOneLineError(
      RunLedgerCli({"replay", "--db", s().db(), "--org", "acme", "--at", ScenarioText(12, 0)}),
      "--org 'acme' is not a UUID");
}

TEST_F(AuditReplay, IntoPostgresNeedsASchema) {
  testing::CliRun run =
      RunLedgerCli(Replay({"--at", ScenarioText(12, 0), "--into-postgres", "host=nowhere"}));
  EXPECT_NE(run.code, 0);
  EXPECT_NE(run.err.find("--schema"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace ledger
