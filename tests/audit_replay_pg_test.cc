// `ledger replay --into-postgres` against a private PostgreSQL: the
// scenario's state as of an instant, in a schema of its own, answers the
// seed's sample queries as the org stood then.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "audit_scenario.h"
#include "pg_server.h"

namespace ledger {
namespace {

using testing::AuditScenario;
using testing::CliRun;
using testing::RunLedgerCli;
using testing::ScenarioText;

// Two of the seed's sample queries (seeds/000_*.txt), character for
// character, as tests/projector_test.cc runs them.
constexpr const char* kEmployeeAgentsQuery = R"sql(SELECT 
    ea.id,
    ea.name,
    at.type,
    ea.status,
    ea.last_used_at
FROM employee_agents ea
JOIN agent_templates at ON ea.agent_template_id = at.id
WHERE ea.employee_id = $1
AND ea.status = 'active';)sql";

constexpr const char* kPendingApprovalsQuery = R"sql(SELECT 
    ar.id,
    ar.request_type,
    e.full_name as requester,
    ar.reason,
    ar.created_at
FROM agent_requests ar
JOIN employees e ON ar.employee_id = e.id
WHERE ar.status = 'pending'
AND e.org_id = $1
ORDER BY ar.created_at ASC;)sql";

class AuditReplayPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    scenario_.Close();
    conninfo_ = testing::FreshDatabase();
  }
  CliRun Replay(const std::string& at, const std::string& schema, bool replace = false) {
    std::vector<std::string> args = {
        "replay",          "--db",    scenario_.db(), "--org", scenario_.org.ToString(), "--at", at,
        "--into-postgres", conninfo_, "--schema",     schema};
    if (replace) args.push_back("--replace");
    return RunLedgerCli(args);
  }
  pqxx::result Query(const std::string& schema, const char* sql, const std::string& param) {
    pqxx::connection connection(conninfo_);
    pqxx::work tx(connection);
    tx.exec("SET search_path TO " + tx.quote_name(schema));
    return tx.exec_params(sql, param);
  }
  uint64_t Count(const std::string& schema, const std::string& table) {
    pqxx::connection connection(conninfo_);
    pqxx::work tx(connection);
    return tx.exec1("SELECT count(*) FROM " + tx.quote_name(schema) + "." + table)[0]
        .as<uint64_t>();
  }

  AuditScenario scenario_;
  std::string conninfo_;
};

TEST_F(AuditReplayPostgres, SeedQueriesRunOnTheStateAsOfTheInstant) {
  CliRun run = Replay(ScenarioText(12, 15), "asof_noon");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("written to schema asof_noon"), std::string::npos) << run.out;

  // 12:15: alice's request waits for bob, her agent is active.
  pqxx::result pending = Query("asof_noon", kPendingApprovalsQuery, scenario_.org.ToString());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0][0].as<std::string>(), scenario_.request);
  EXPECT_EQ(pending[0][1].as<std::string>(), "new_agent");
  EXPECT_TRUE(pending[0][2].is_null()) << "personal fields: replay holds no data keys";
  pqxx::result agents = Query("asof_noon", kEmployeeAgentsQuery, scenario_.alice);
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0][0].as<std::string>(), scenario_.agent);
  EXPECT_EQ(agents[0][2].as<std::string>(), "coding");
  EXPECT_EQ(Count("asof_noon", "events"), 9u);
  EXPECT_EQ(Count("asof_noon", "employees"), 2u);
  EXPECT_EQ(Count("asof_noon", "usage_records"), 0u);
}

TEST_F(AuditReplayPostgres, RefusesANonEmptySchemaUnlessReplace) {
  ASSERT_EQ(Replay(ScenarioText(12, 15), "asof").code, 0);
  CliRun again = Replay(ScenarioText(23, 0), "asof");
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err,
            "error: schema asof exists and is not empty (add --replace to replace it)\n");
  EXPECT_EQ(Count("asof", "events"), 9u) << "the refused run changed nothing";

  CliRun replaced = Replay(ScenarioText(23, 0), "asof", /*replace=*/true);
  ASSERT_EQ(replaced.code, 0) << replaced.err;
  // By the end of the day the request was approved and the agent paused.
  EXPECT_EQ(Query("asof", kPendingApprovalsQuery, scenario_.org.ToString()).size(), 0u);
  EXPECT_EQ(Query("asof", kEmployeeAgentsQuery, scenario_.alice).size(), 0u);
  EXPECT_EQ(Count("asof", "events"), scenario_.versions.back());
  EXPECT_EQ(Count("asof", "usage_records"), 2u);
  EXPECT_EQ(Count("asof", "approvals"), 1u);
}

TEST_F(AuditReplayPostgres, AnEmptySchemaIsFilledWithoutReplace) {
  {
    pqxx::connection connection(conninfo_);
    pqxx::work tx(connection);
    tx.exec("CREATE SCHEMA prepared");
    tx.commit();
  }
  CliRun run = Replay(ScenarioText(12, 15), "prepared");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(Count("prepared", "employees"), 2u);
}

}  // namespace
}  // namespace ledger
