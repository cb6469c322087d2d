// The projector against a real PostgreSQL: incremental projection equals a
// rebuild, restarts resume from the checkpoint, forgetting nulls personal
// fields everywhere, and the seed's sample queries run verbatim.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <random>
#include <set>
#include <utility>

#include "command_fixture.h"
#include "ledger/clock.h"
#include "ledger/projections/read_model.h"
#include "ledger/projections/tables.h"
#include "pg_server.h"
#include "projection_fixture.h"

namespace ledger::testing {
namespace {

using projections::KeyOpener;
using projections::Projector;
using projections::Rebuild;

// Projects the whole feed of `log` into `schema` in batches of random size.
Projector& ProjectAll(Projector& projector, const EventLog& log, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<StoredEvent> batch;
  while (true) {
    batch.clear();
    Status read = log.ReadGlobal(projector.applied() + 1, 1 + random() % 200, &batch);
    EXPECT_TRUE(read.ok()) << read.ToString();
    if (batch.empty()) break;
    Status projected = projector.Project(batch);
    EXPECT_TRUE(projected.ok()) << projected.ToString();
    if (!projected.ok()) break;
  }
  return projector;
}

std::unique_ptr<Projector> OpenProjector(const std::string& conninfo, const std::string& schema,
                                         projections::SealedOpener& opener) {
  Result<std::unique_ptr<Projector>> projector =
      Projector::Open(OptionsFor(conninfo, schema), opener);
  if (!projector.ok()) throw std::runtime_error(projector.status().ToString());
  return std::move(projector).value();
}

// An old model in schema public holding only the first `count` events.
void ProjectFirstEvents(const std::string& conninfo, const EventLog& log,
                        projections::SealedOpener& opener, size_t count) {
  auto projector = OpenProjector(conninfo, "public", opener);
  std::vector<StoredEvent> first;
  ASSERT_TRUE(log.ReadGlobal(1, count, &first).ok());
  ASSERT_TRUE(projector->Project(first).ok());
}

// Every index and constraint of `schema`, with the schema's name left out.
std::set<std::string> IndexesAndConstraints(const std::string& conninfo,
                                            const std::string& schema) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  pqxx::result rows = tx.exec_params(
      "SELECT tablename || ': ' || replace(indexdef, $1 || '.', '') FROM pg_indexes"
      " WHERE schemaname = $1"
      " UNION ALL SELECT c.conrelid::regclass::text || ': ' || c.conname || ' '"
      " || pg_get_constraintdef(c.oid) FROM pg_constraint c"
      " JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1",
      schema);
  std::set<std::string> out;
  for (const auto& row : rows) {
    std::string text = row[0].as<std::string>();
    if (size_t dot = text.find(schema + "."); dot == 0) text.erase(0, schema.size() + 1);
    out.insert(text);
  }
  return out;
}

TEST(ProjectorTest, IncrementalInRandomBatchesEqualsRebuild) {
  std::string db = FreshDatabase();
  auto test = OpenTestLedger();
  uint64_t events = FillWithRandomHistories(*test->ledger, 7, /*orgs=*/6, /*length=*/150);
  ASSERT_GT(events, 500u);
  auto opener = KeyOpener(test->log().subject_keys());

  Result<projections::RebuildStats> rebuilt =
      Rebuild(OptionsFor(db, "rebuilt"), *opener, ReaderOf(test->log(), 97));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(rebuilt->events, events);

  auto projector = OpenProjector(db, "incremental", *opener);
  ProjectAll(*projector, test->log(), 7);
  EXPECT_EQ(projector->checkpoint(), test->log().LastGlobalSeq());
  EXPECT_GT(projector->stats().batches, 5u);

  // The rebuild drops keys and indexes for its load; all are back.
  std::set<std::string> migrated = IndexesAndConstraints(db, "incremental");
  EXPECT_GT(migrated.size(), 50u);
  EXPECT_EQ(IndexesAndConstraints(db, "rebuilt"), migrated);

  std::map<std::string, std::string> want = Digests(db, "rebuilt");
  std::map<std::string, std::string> have = Digests(db, "incremental");
  for (const auto& [table, digest] : want) EXPECT_EQ(have[table], digest) << table;
  // Non-trivial: the random histories fill the tables the seed queries use.
  for (const char* table : {"employees", "employee_agents", "agent_requests", "approvals",
                            "missions", "tasks", "usage_records", "subscriptions"}) {
    EXPECT_NE(want[table].substr(0, 2), "0|") << table << " is empty";
  }
}

TEST(ProjectorTest, RowsAgreeWithTheEngineState) {
  std::string db = FreshDatabase();
  auto test = OpenTestLedger();
  FillWithRandomHistories(*test->ledger, 11, /*orgs=*/3, /*length=*/120);
  auto opener = KeyOpener(test->log().subject_keys());
  auto projector = OpenProjector(db, "public", *opener);
  ProjectAll(*projector, test->log(), 11);

  pqxx::connection connection(db);
  pqxx::work tx(connection);
  Result<std::vector<Uuid>> orgs = test->log().Orgs();
  ASSERT_TRUE(orgs.ok());
  for (const Uuid& org : *orgs) {
    Result<State> state = test->ledger->CurrentState(org);
    ASSERT_TRUE(state.ok());
    if (!state->exists()) continue;
    std::string id = org.ToString();
    auto count = [&](const std::string& sql) { return tx.exec_params1(sql, id)[0].as<size_t>(); };
    EXPECT_EQ(count("SELECT count(*) FROM employees WHERE org_id = $1"), state->employees.size());
    EXPECT_EQ(count("SELECT count(*) FROM employee_agents WHERE org_id = $1"),
              state->employee_agents.size());
    EXPECT_EQ(count("SELECT count(*) FROM agent_requests WHERE org_id = $1"),
              state->agent_requests.size());
    EXPECT_EQ(count("SELECT count(*) FROM usage_records WHERE org_id = $1"), state->usage_records);
    EXPECT_EQ(count("SELECT count(*) FROM events WHERE org_id = $1"), state->version);
    size_t approvals = 0;
    for (const auto& [key, request] : state->agent_requests) approvals += request.approvals.size();
    EXPECT_EQ(count("SELECT count(*) FROM approvals WHERE org_id = $1"), approvals);
    for (const auto& [key, subscription] : state->subscriptions) {
      pqxx::row row = tx.exec_params1(
          "SELECT (current_spending_usd * 1000000)::bigint, (monthly_budget_usd * 1000000)::bigint "
          "FROM subscriptions WHERE org_id = $1 AND id = $2",
          id, subscription.id.str());
      EXPECT_EQ(row[0].as<int64_t>(), subscription.spending_micros) << subscription.id;
      EXPECT_EQ(row[1].as<int64_t>(), subscription.monthly_budget_micros) << subscription.id;
    }
  }
}

TEST(ProjectorTest, RestartResumesFromTheCheckpointWithoutDoubling) {
  std::string db = FreshDatabase();
  auto test = OpenTestLedger();
  uint64_t events = FillWithRandomHistories(*test->ledger, 3, /*orgs=*/4, /*length=*/100);
  auto opener = KeyOpener(test->log().subject_keys());
  std::vector<StoredEvent> all;
  ASSERT_TRUE(test->log().ReadGlobal(1, events, &all).ok());
  size_t half = all.size() / 2;
  {
    auto first = OpenProjector(db, "public", *opener);
    ASSERT_TRUE(first->Project(std::span(all).first(half)).ok());
    EXPECT_EQ(first->checkpoint(), half);
  }
  // A new projector starts from the checkpoint and is handed the whole feed
  // again (as a resumed subscription would): the first half only warms it.
  auto second = OpenProjector(db, "public", *opener);
  EXPECT_EQ(second->checkpoint(), half);
  ASSERT_TRUE(second->Project(all).ok());
  EXPECT_EQ(second->stats().events_written, all.size() - half);
  ASSERT_TRUE(second->Project(all).ok());  // repeats are skipped
  EXPECT_EQ(second->checkpoint(), all.size());

  ASSERT_TRUE(Rebuild(OptionsFor(db, "rebuilt"), *opener, ReaderOf(test->log())).ok());
  EXPECT_EQ(Digests(db, "public"), Digests(db, "rebuilt"));
}

TEST(ProjectorTest, AGapInTheFeedIsRefused) {
  std::string db = FreshDatabase();
  auto test = OpenTestLedger();
  FillWithRandomHistories(*test->ledger, 5, 1, 30);
  auto opener = KeyOpener(test->log().subject_keys());
  std::vector<StoredEvent> feed;
  ASSERT_TRUE(test->log().ReadGlobal(3, 10, &feed).ok());
  auto projector = OpenProjector(db, "public", *opener);
  Status status = projector->Project(feed);
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_NE(status.message().find("skipped from global sequence 0 to 3"), std::string::npos)
      << status.ToString();
  EXPECT_EQ(projector->checkpoint(), 0u);
}

TEST(ProjectorTest, ForgettingNullsPersonalFieldsInEveryModelAndInEvents) {
  std::string db = FreshDatabase();
  CommandFixture f;
  Uuid org = f.AddOrg();
  std::string ada = NewId();
  f.Accept(f.Hired(org, ada, "ada@example.com"));
  std::string request = NewId();
  f.Accept(f.Event(
      org, fb::CreateAgentRequestSubmittedDirect(f.fbb(), request.c_str(), ada.c_str(), "new_agent",
                                                 "{}", f.Seal(ada, "needs a reviewer"), 1)));
  std::string bob = f.AddEmployee(org);
  auto opener = KeyOpener(f.keys());
  auto projector = OpenProjector(db, "public", *opener);
  ProjectAll(*projector, f.log(), 1);

  pqxx::connection connection(db);
  auto one = [&](const std::string& sql) {
    pqxx::work tx(connection);
    pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? std::string("NULL") : row[0].as<std::string>();
  };
  EXPECT_EQ(one("SELECT email FROM employees WHERE id = '" + ada + "'"), "ada@example.com");
  EXPECT_EQ(one("SELECT reason FROM agent_requests WHERE id = '" + request + "'"),
            "needs a reviewer");
  EXPECT_EQ(one("SELECT count(*) FROM events WHERE payload::text LIKE '%ada@example.com%'"), "1");

  f.Accept(f.Forgotten(org, ada));
  ProjectAll(*projector, f.log(), 2);
  EXPECT_EQ(
      one("SELECT coalesce(email, full_name, 'NULL') FROM employees WHERE id = '" + ada + "'"),
      "NULL");
  EXPECT_EQ(one("SELECT coalesce(reason, 'NULL') FROM agent_requests WHERE id = '" + request + "'"),
            "NULL");
  EXPECT_EQ(one("SELECT requester FROM v_pending_approvals WHERE request_id = '" + request + "'"),
            "NULL");
  // The events written before the forget are erased in place.
  EXPECT_EQ(one("SELECT count(*) FROM events WHERE payload::text LIKE '%ada@example.com%' "
                "OR payload::text LIKE '%needs a reviewer%'"),
            "0");
  EXPECT_EQ(one("SELECT payload->'email'->>'subject_id' || ' ' || "
                "coalesce(payload->'email'->>'value', 'null') FROM events "
                "WHERE event_type = 'employee_hired' AND employee_id = '" +
                ada + "'"),
            ada + " null");
  // Other people keep theirs.
  EXPECT_NE(one("SELECT coalesce(email, 'NULL') FROM employees WHERE id = '" + bob + "'"), "NULL");

  // A rebuild after the forget agrees.
  ASSERT_TRUE(Rebuild(OptionsFor(db, "rebuilt"), *opener, ReaderOf(f.log())).ok());
  EXPECT_EQ(Digests(db, "public"), Digests(db, "rebuilt"));
}

// The log accepts any bytes in a string; PostgreSQL refuses NUL and invalid
// UTF-8 in text and jsonb. One such event must not stop the read models.
TEST(ProjectorTest, TextThatPostgresRefusesIsRepairedNotFatal) {
  std::string db = FreshDatabase();
  CommandFixture f;
  Uuid org = f.AddOrg();
  std::string team = NewId();
  const std::string kBad("Plat\0form \xFF\xC3 ok", 15);
  // Commands refuse such text now (decide.cc); logs written before that
  // rule hold it, so these go straight to the log.
  auto append = [&](const std::string& event) {
    std::vector<std::string_view> events = {event};
    ASSERT_TRUE(f.log().Append(events).ok());
  };
  append(f.Event(
      org, fb::CreateTeamCreated(f.fbb(), f.fbb().CreateString(team), f.fbb().CreateString(kBad),
                                 f.fbb().CreateString("d\xE2\x82"),
                                 f.fbb().CreateString(R"({"k": "\u0000"})"))));
  std::string ada = NewId();
  append(f.Event(org, fb::CreateEmployeeHiredDirect(f.fbb(), ada.c_str(), nullptr, nullptr,
                                                    f.Seal(ada, "ada@example.com"),
                                                    f.Seal(ada, std::string("Ada\0\xFF", 5)))));
  auto opener = KeyOpener(f.keys());
  auto projector = OpenProjector(db, "public", *opener);
  ProjectAll(*projector, f.log(), 1);
  EXPECT_EQ(projector->checkpoint(), f.log().LastGlobalSeq());

  pqxx::connection connection(db);
  pqxx::work tx(connection);
  auto one = [&](const std::string& sql) { return tx.exec1(sql)[0].as<std::string>(); };
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(one("SELECT name FROM teams WHERE id = '" + team + "'"),
            "Platform " + kReplacement + kReplacement + " ok");
  // One replacement per byte that is not UTF-8: here a sequence cut short.
  EXPECT_EQ(one("SELECT description FROM teams WHERE id = '" + team + "'"),
            "d" + kReplacement + kReplacement);
  // JSON that jsonb refuses (\u0000) is kept as a string.
  EXPECT_EQ(one("SELECT jsonb_typeof(settings) || ' ' || (settings #>> '{}') FROM teams"),
            R"(string {"k": "\u0000"})");
  EXPECT_EQ(one("SELECT payload->>'name' FROM events WHERE event_type = 'team_created'"),
            "Platform " + kReplacement + kReplacement + " ok");
  EXPECT_EQ(one("SELECT full_name FROM employees WHERE id = '" + ada + "'"), "Ada" + kReplacement);
  EXPECT_EQ(one("SELECT payload->'full_name'->>'value' FROM events "
                "WHERE event_type = 'employee_hired'"),
            "Ada" + kReplacement);
  tx.commit();

  // A rebuild takes the same text.
  ASSERT_TRUE(Rebuild(OptionsFor(db, "rebuilt"), *opener, ReaderOf(f.log())).ok());
  EXPECT_EQ(Digests(db, "public"), Digests(db, "rebuilt"));
}

TEST(ProjectorTest, RebuildSwapsInAtomicallyAndReadersSeeTheOldModelMeanwhile) {
  std::string db = FreshDatabase();
  auto test = OpenTestLedger();
  FillWithRandomHistories(*test->ledger, 9, 2, 60);
  auto opener = KeyOpener(test->log().subject_keys());
  ASSERT_NO_FATAL_FAILURE(ProjectFirstEvents(db, test->log(), *opener, 10));
  pqxx::connection reader(db);
  std::vector<std::string> seen;
  Result<projections::RebuildStats> rebuilt =
      Rebuild(OptionsFor(db, "public"), *opener, ReaderOf(test->log(), 16), [&](uint64_t) {
        pqxx::work tx(reader);
        seen.push_back(tx.exec1("SELECT count(*) FROM public.events")[0].as<std::string>());
      });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  ASSERT_FALSE(seen.empty());
  for (const std::string& count : seen) EXPECT_EQ(count, "10");
  pqxx::work tx(reader);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM public.events")[0].as<uint64_t>(),
            test->log().LastGlobalSeq());
  EXPECT_EQ(tx.exec1("SELECT global_seq FROM public.projector_checkpoint")[0].as<uint64_t>(),
            test->log().LastGlobalSeq());
  EXPECT_TRUE(tx.exec("SELECT 1 FROM pg_namespace WHERE nspname IN ('public_rebuild', "
                      "'public_old')")
                  .empty());
  EXPECT_EQ(tx.exec1("SELECT max(version) FROM public.schema_migrations")[0].as<int>(),
            projections::LatestMigration());
}

// The keys and indexes of the big tables build on connections of their own;
// a failure there fails the rebuild and swaps nothing in. Here a row slipped
// into the shadow's events during the load makes its primary key impossible.
TEST(ProjectorTest, RebuildWhoseIndexBuildFailsSwapsNothingIn) {
  std::string db = FreshDatabase();
  auto test = OpenTestLedger();
  FillWithRandomHistories(*test->ledger, 13, 2, 60);
  auto opener = KeyOpener(test->log().subject_keys());
  ASSERT_NO_FATAL_FAILURE(ProjectFirstEvents(db, test->log(), *opener, 10));
  pqxx::connection saboteur(db);
  bool slipped = false;
  Result<projections::RebuildStats> rebuilt =
      Rebuild(OptionsFor(db, "public"), *opener, ReaderOf(test->log(), 16), [&](uint64_t) {
        if (std::exchange(slipped, true)) return;
        pqxx::work tx(saboteur);
        tx.exec(
            "INSERT INTO public_rebuild.events (org_id, org_seq, global_seq, event_type,"
            " event_category, recorded_at, created_at)"
            " SELECT org_id, org_seq, 0, 'x', 'x', now(), now() FROM public.events LIMIT 1");
        tx.commit();
      });
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_NE(rebuilt.status().ToString().find("events_pkey"), std::string::npos)
      << rebuilt.status().ToString();
  pqxx::work tx(saboteur);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM public.events")[0].as<int>(), 10);
  EXPECT_EQ(tx.exec1("SELECT global_seq FROM public.projector_checkpoint")[0].as<int>(), 10);
  tx.commit();

  // The next rebuild drops the half-built shadow and succeeds.
  rebuilt = Rebuild(OptionsFor(db, "public"), *opener, ReaderOf(test->log(), 16));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  pqxx::work after(saboteur);
  EXPECT_EQ(after.exec1("SELECT count(*) FROM public.events")[0].as<uint64_t>(),
            test->log().LastGlobalSeq());
}

TEST(ProjectorTest, TableDefinitionsMatchTheDdl) {
  std::string db = FreshDatabase();
  CommandFixture f;
  auto opener = KeyOpener(f.keys());
  auto projector = OpenProjector(db, "public", *opener);  // migrates
  pqxx::connection connection(db);
  pqxx::work tx(connection);
  for (const projections::TableDef& def : projections::AllTables()) {
    pqxx::result columns = tx.exec_params(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        std::string(def.name));
    std::vector<std::string> have;
    for (const auto& row : columns) have.push_back(row[0].as<std::string>());
    std::vector<std::string> want(def.columns.begin(), def.columns.end());
    EXPECT_EQ(have, want) << def.name;
  }
}

TEST(ProjectorTest, JsonThatIsNotJsonIsKeptAsAString) {
  std::string db = FreshDatabase();
  CommandFixture f;
  Uuid org = f.AddOrg();
  std::string team = NewId();
  f.Accept(f.Event(
      org, fb::CreateTeamCreatedDirect(f.fbb(), team.c_str(), "Platform", nullptr, "{not json")));
  auto opener = KeyOpener(f.keys());
  auto projector = OpenProjector(db, "public", *opener);
  ProjectAll(*projector, f.log(), 1);
  pqxx::connection connection(db);
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec1("SELECT settings #>> '{}' FROM teams WHERE id = '" + team + "'")[0]
                .as<std::string>(),
            "{not json");
}

// The four sample queries of seeds/000_*.txt, character for character.
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

constexpr const char* kSpendingQuery = R"sql(SELECT 
    s.monthly_budget_usd,
    s.current_spending_usd,
    (s.current_spending_usd / s.monthly_budget_usd * 100) as usage_pct
FROM subscriptions s
WHERE s.org_id = $1
AND s.status = 'active'
AND CURRENT_TIMESTAMP BETWEEN s.billing_period_start AND s.billing_period_end;)sql";

constexpr const char* kTeamUsageQuery = R"sql(SELECT 
    t.name as team_name,
    at.type as agent_type,
    COUNT(DISTINCT m.id) as missions_count,
    SUM(ur.cost_usd) as total_cost
FROM teams t
JOIN employees e ON e.team_id = t.id
JOIN missions m ON m.employee_id = e.id
JOIN tasks tk ON tk.mission_id = m.id
JOIN employee_agents ea ON ea.id = tk.agent_id
JOIN agent_templates at ON at.id = ea.agent_template_id
LEFT JOIN usage_records ur ON ur.employee_id = e.id
WHERE t.org_id = $1
AND m.created_at >= $2
GROUP BY t.id, t.name, at.type
ORDER BY total_cost DESC;)sql";

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

// A scripted org whose answers are known: two teams, three people, two
// agent types, three missions, usage of 4.25 USD against a 1,000 USD budget,
// one request pending and one approved.
class SampleQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = FreshDatabase();
    org_ = f_.AddOrg();
    int64_t now = NowMicros();
    int64_t day = int64_t{86'400'000'000};
    f_.Accept(f_.SubscriptionStarted(org_, NewId(), 1'000'000'000, now - day, now + 29 * day));
    platform_ = Team("Platform");
    research_ = Team("Research");
    std::string manager = f_.AddRole(org_, /*can_approve=*/true);
    alice_ = Person(platform_, "");
    bob_ = Person(research_, "");
    carol_ = Person(research_, manager);
    std::string coder = Template("coder"), reviewer = Template("reviewer");
    std::string alice_agent = Agent(alice_, coder, "alice-coder");
    bob_agent_ = Agent(bob_, reviewer, "bob-reviewer");
    std::string paused = Agent(bob_, coder, "bob-coder");
    f_.Accept(f_.AgentPaused(org_, paused));
    Mission(alice_, alice_agent);
    Mission(bob_, bob_agent_);
    Mission(bob_, bob_agent_);
    f_.Accept(f_.Usage(org_, alice_, 1'500'000));
    f_.Accept(f_.Usage(org_, alice_, 2'250'000));
    f_.Accept(f_.Usage(org_, bob_, 500'000));
    pending_ = Request(alice_, "needs a reviewer");
    std::string approved = Request(bob_, "wants a coder");
    f_.Accept(f_.Vote(org_, approved, carol_));
    opener_ = KeyOpener(f_.keys());
    projector_ = OpenProjector(db_, "public", *opener_);
    ProjectAll(*projector_, f_.log(), 3);
  }

  std::string Team(const char* name) {
    std::string id = NewId();
    f_.Accept(f_.Event(org_, fb::CreateTeamCreatedDirect(f_.fbb(), id.c_str(), name)));
    return id;
  }
  std::string Person(const std::string& team, const std::string& role) {
    std::string id = NewId();
    f_.Accept(f_.Hired(org_, id, f_.Unique("person") + "@example.com", role, team));
    return id;
  }
  std::string Template(const char* type) {
    std::string id = NewId();
    f_.Accept(f_.Event(org_, fb::CreateAgentTemplatePublishedDirect(
                                 f_.fbb(), id.c_str(), f_.Unique(type).c_str(), type, nullptr, "{}",
                                 "[]", "anthropic", "claude", false)));
    return id;
  }
  std::string Agent(const std::string& employee, const std::string& tmpl, const char* name) {
    std::string id = NewId();
    f_.Accept(
        f_.Event(org_, fb::CreateEmployeeAgentAssignedDirect(f_.fbb(), id.c_str(), employee.c_str(),
                                                             tmpl.c_str(), name, "{}")));
    return id;
  }
  void Mission(const std::string& employee, const std::string& agent) {
    std::string mission = NewId(), task = NewId();
    f_.Accept(f_.MissionStarted(org_, mission, employee));
    f_.Accept(f_.Event(org_, fb::CreateTaskCreatedDirect(f_.fbb(), task.c_str(), mission.c_str(),
                                                         agent.c_str(), "review", "{}")));
  }
  std::string Request(const std::string& employee, const char* reason) {
    std::string id = NewId();
    f_.Accept(f_.Event(org_, fb::CreateAgentRequestSubmittedDirect(
                                 f_.fbb(), id.c_str(), employee.c_str(), "new_agent", "{}",
                                 f_.Seal(employee, reason), 1)));
    return id;
  }

  pqxx::result Query(const char* sql, const std::string& first, const char* second = nullptr) {
    pqxx::connection connection(db_);
    pqxx::work tx(connection);
    return second ? tx.exec_params(sql, first, std::string(second)) : tx.exec_params(sql, first);
  }

  CommandFixture f_;
  std::string db_;
  Uuid org_;
  std::string platform_, research_, alice_, bob_, carol_, bob_agent_, pending_;
  std::unique_ptr<projections::SealedOpener> opener_;
  std::unique_ptr<Projector> projector_;
};

TEST_F(SampleQueriesTest, EmployeeAgentsWithTemplates) {
  pqxx::result rows = Query(kEmployeeAgentsQuery, bob_);
  ASSERT_EQ(rows.size(), 1u);  // the paused agent is not listed
  EXPECT_EQ(rows[0][0].as<std::string>(), bob_agent_);
  EXPECT_EQ(rows[0][1].as<std::string>(), "bob-reviewer");
  EXPECT_EQ(rows[0][2].as<std::string>(), "reviewer");
  EXPECT_EQ(rows[0][3].as<std::string>(), "active");
}

TEST_F(SampleQueriesTest, SpendingAgainstBudget) {
  pqxx::result rows = Query(kSpendingQuery, org_.ToString());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "1000.000000");
  EXPECT_EQ(rows[0][1].as<std::string>(), "4.250000");
  EXPECT_DOUBLE_EQ(rows[0][2].as<double>(), 0.425);
  // Exactly what the engine's state says.
  const State* state = projector_->StateOf(org_);
  ASSERT_NE(state, nullptr);
  ASSERT_EQ(state->subscriptions.size(), 1u);
  EXPECT_EQ(state->subscriptions.begin()->second.spending_micros, 4'250'000);
}

TEST_F(SampleQueriesTest, AgentUsagePerTeam) {
  pqxx::result rows = Query(kTeamUsageQuery, org_.ToString(), "2000-01-01 00:00:00+00");
  ASSERT_EQ(rows.size(), 2u);
  // The seed's LEFT JOIN counts each usage record once per task row.
  EXPECT_EQ(rows[0][0].as<std::string>(), "Platform");
  EXPECT_EQ(rows[0][1].as<std::string>(), "coder");
  EXPECT_EQ(rows[0][2].as<int>(), 1);
  EXPECT_EQ(rows[0][3].as<std::string>(), "3.750000");
  EXPECT_EQ(rows[1][0].as<std::string>(), "Research");
  EXPECT_EQ(rows[1][1].as<std::string>(), "reviewer");
  EXPECT_EQ(rows[1][2].as<int>(), 2);
  EXPECT_EQ(rows[1][3].as<std::string>(), "1.000000");
  // Missions started after the cut-off only.
  EXPECT_TRUE(Query(kTeamUsageQuery, org_.ToString(), "2999-01-01 00:00:00+00").empty());
}

TEST_F(SampleQueriesTest, PendingApprovals) {
  pqxx::result rows = Query(kPendingApprovalsQuery, org_.ToString());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), pending_);
  EXPECT_EQ(rows[0][1].as<std::string>(), "new_agent");
  EXPECT_EQ(rows[0][2].as<std::string>(), "Ada Lovelace");
  EXPECT_EQ(rows[0][3].as<std::string>(), "needs a reviewer");
  // And the seed's view agrees.
  pqxx::result view = Query(
      "SELECT request_id, requester, approvals_count FROM v_pending_approvals WHERE org_id = $1",
      org_.ToString());
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0][0].as<std::string>(), pending_);
  EXPECT_EQ(view[0][2].as<int>(), 0);
}

}  // namespace
}  // namespace ledger::testing
