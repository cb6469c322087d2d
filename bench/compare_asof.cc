// As of T: one org's state summary rebuilt by our replay (Ledger::StateAsOf:
// newest snapshot plus the events after it, and a full replay from the first
// event) against the same history stored in PostgreSQL as an events table
// (the event bytes plus the columns the fold needs, extracted from each
// event's own fields) and folded with SQL. Both must give the same summary
// before any time is reported.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <random>

#include "compare.h"
#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"

namespace ledger::bench {
namespace {

// What both sides compute as of T: employees, missions and tasks by their
// latest status, usage records and their total cost.
struct Summary {
  int64_t employees = 0, missions_running = 0, missions_completed = 0, missions_failed = 0;
  int64_t tasks_pending = 0, tasks_running = 0, tasks_completed = 0, tasks_failed = 0;
  int64_t usage_records = 0, spending_micros = 0;
  bool operator==(const Summary&) const = default;
  std::string Json() const {
    char text[512];
    std::snprintf(text, sizeof text,
                  "{\"employees\":%lld,\"missions\":[%lld,%lld,%lld],\"tasks\":[%lld,%lld,%lld,"
                  "%lld],\"usage_records\":%lld,\"spending_micros\":%lld}",
                  (long long)employees, (long long)missions_running, (long long)missions_completed,
                  (long long)missions_failed, (long long)tasks_pending, (long long)tasks_running,
                  (long long)tasks_completed, (long long)tasks_failed, (long long)usage_records,
                  (long long)spending_micros);
    return text;
  }
};

Summary SummaryOf(const State& state) {
  using RS = state::RunStatus;
  Summary s;
  s.employees = static_cast<int64_t>(state.employees.size());
  for (const auto& [id, employee] : state.employees) s.spending_micros += employee.spending_micros;
  for (const auto& [id, mission] : state.missions) {
    s.missions_running += mission.status == RS::Running;
    s.missions_completed += mission.status == RS::Completed;
    s.missions_failed += mission.status == RS::Failed;
  }
  for (const auto& [id, task] : state.tasks) {
    s.tasks_pending += task.status == RS::Pending;
    s.tasks_running += task.status == RS::Running;
    s.tasks_completed += task.status == RS::Completed;
    s.tasks_failed += task.status == RS::Failed;
  }
  s.usage_records = static_cast<int64_t>(state.usage_records);
  return s;
}

// The SQL fold: the latest event of each mission and task decides its
// status, as Apply does; employees and usage are counted and summed.
constexpr char kFoldSql[] = R"(
WITH e AS (SELECT event_type, entity_id, org_seq, cost_micros FROM asof_events
           WHERE org_id = $1 AND recorded_at <= $2),
missions AS (SELECT DISTINCT ON (entity_id) event_type FROM e
             WHERE event_type IN ('MissionStarted', 'MissionCompleted', 'MissionFailed')
             ORDER BY entity_id, org_seq DESC),
tasks AS (SELECT DISTINCT ON (entity_id) event_type FROM e
          WHERE event_type IN ('TaskCreated', 'TaskStarted', 'TaskCompleted', 'TaskFailed',
                               'TaskRetried')
          ORDER BY entity_id, org_seq DESC)
SELECT
  (SELECT count(DISTINCT entity_id) FROM e WHERE event_type IN ('EmployeeHired', 'EmployeeInvited')),
  (SELECT count(*) FILTER (WHERE event_type = 'MissionStarted') FROM missions),
  (SELECT count(*) FILTER (WHERE event_type = 'MissionCompleted') FROM missions),
  (SELECT count(*) FILTER (WHERE event_type = 'MissionFailed') FROM missions),
  (SELECT count(*) FILTER (WHERE event_type IN ('TaskCreated', 'TaskRetried')) FROM tasks),
  (SELECT count(*) FILTER (WHERE event_type = 'TaskStarted') FROM tasks),
  (SELECT count(*) FILTER (WHERE event_type = 'TaskCompleted') FROM tasks),
  (SELECT count(*) FILTER (WHERE event_type = 'TaskFailed') FROM tasks),
  (SELECT count(*) FROM e WHERE event_type = 'UsageRecorded'),
  (SELECT coalesce(sum(cost_micros), 0) FROM e WHERE event_type = 'UsageRecorded')
)";

Summary FoldInPostgres(pqxx::connection& connection, const Uuid& org, int64_t t) {
  pqxx::nontransaction tx(connection);
  pqxx::row row = tx.exec_prepared1("fold", org.ToString(), t);
  Summary s;
  int64_t* fields[] = {&s.employees,       &s.missions_running, &s.missions_completed,
                       &s.missions_failed, &s.tasks_pending,    &s.tasks_running,
                       &s.tasks_completed, &s.tasks_failed,     &s.usage_records,
                       &s.spending_micros};
  for (size_t i = 0; i < std::size(fields); ++i)
    *fields[i] = row[static_cast<int>(i)].as<int64_t>();
  return s;
}

// The id of the entity an event is about, and its cost, from its own fields.
std::pair<std::string, int64_t> EntityOf(const fb::Event& e) {
  auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
  switch (e.payload_type()) {
    case fb::Payload::EmployeeHired:
      return {str(e.payload_as_EmployeeHired()->employee_id()), 0};
    case fb::Payload::EmployeeInvited:
      return {str(e.payload_as_EmployeeInvited()->employee_id()), 0};
    case fb::Payload::MissionStarted:
      return {str(e.payload_as_MissionStarted()->mission_id()), 0};
    case fb::Payload::MissionCompleted:
      return {str(e.payload_as_MissionCompleted()->mission_id()), 0};
    case fb::Payload::MissionFailed:
      return {str(e.payload_as_MissionFailed()->mission_id()), 0};
    case fb::Payload::TaskCreated:
      return {str(e.payload_as_TaskCreated()->task_id()), 0};
    case fb::Payload::TaskStarted:
      return {str(e.payload_as_TaskStarted()->task_id()), 0};
    case fb::Payload::TaskCompleted:
      return {str(e.payload_as_TaskCompleted()->task_id()), 0};
    case fb::Payload::TaskFailed:
      return {str(e.payload_as_TaskFailed()->task_id()), 0};
    case fb::Payload::TaskRetried:
      return {str(e.payload_as_TaskRetried()->task_id()), 0};
    case fb::Payload::UsageRecorded: {
      const fb::UsageRecorded* usage = e.payload_as_UsageRecorded();
      return {str(usage->usage_id()), usage->cost_micros()};
    }
    default:
      return {"", 0};
  }
}

void CreateTable(pqxx::connection& connection) {
  pqxx::work tx(connection);
  tx.exec("SET LOCAL client_min_messages TO warning");
  tx.exec("DROP TABLE IF EXISTS asof_events");
  tx.exec(
      "CREATE TABLE asof_events (org_id uuid NOT NULL, org_seq bigint NOT NULL, "
      "recorded_at bigint NOT NULL, event_type text NOT NULL, entity_id text, "
      "cost_micros bigint NOT NULL, body bytea NOT NULL, PRIMARY KEY (org_id, org_seq))");
  tx.exec("CREATE INDEX asof_events_org_time ON asof_events (org_id, recorded_at)");
  tx.commit();
}

// COPYs the org's stored events (their hashed bytes) into asof_events.
Status CopyOrg(pqxx::connection& connection, EventLog& log, const Uuid& org, uint64_t events) {
  static constexpr char kDigits[] = "0123456789abcdef";
  constexpr size_t kChunk = 50'000;
  std::vector<StoredEvent> chunk;
  std::string line;
  for (uint64_t next = 1; next <= events; next += kChunk) {
    chunk.clear();
    LEDGER_RETURN_IF_ERROR(log.ReadOrg(org, next, kChunk, &chunk));
    pqxx::work tx(connection);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    std::vector<std::string> names = {"org_id",    "org_seq",     "recorded_at", "event_type",
                                      "entity_id", "cost_micros", "body"};
    pqxx::tablewriter writer(tx, "asof_events", names.begin(), names.end());
    for (const StoredEvent& stored : chunk) {
      const fb::Event& event = *stored.event();
      auto [entity, cost] = EntityOf(event);
      line = org.ToString() + '\t' + std::to_string(stored.position.org_seq) + '\t' +
             std::to_string(stored.position.recorded_at) + '\t' +
             fb::EnumNamePayload(event.payload_type()) + '\t' + (entity.empty() ? "\\N" : entity) +
             '\t' + std::to_string(cost) + "\t\\\\x";
      for (unsigned char byte : stored.event_bytes()) {
        line.push_back(kDigits[byte >> 4]);
        line.push_back(kDigits[byte & 15]);
      }
      writer.write_raw_line(line);
    }
    writer.complete();
#pragma GCC diagnostic pop
    tx.commit();
  }
  pqxx::nontransaction tx(connection);
  tx.exec("ANALYZE asof_events");
  return Status::Ok();
}

struct Org {
  Uuid id;
  uint64_t events = 0;
  int64_t first_at = 0, last_at = 0;
};

// About `events` events in one org (as ledger-state-bench sizes them),
// through the write model with fsync off: this measures queries.
Result<Org> BuildOrg(Ledger& ledger, uint64_t events) {
  Result<tools::GeneratedHistory> history =
      tools::GenerateHistory(SizedHistory(events), ledger.log().subject_keys());
  if (!history.ok()) return history.status();
  std::vector<Command> batch;
  for (size_t start = 0; start < history->events.size(); start += 1000) {
    batch.clear();
    for (size_t i = start; i < std::min(history->events.size(), start + 1000); ++i) {
      batch.push_back({std::move(history->events[i]), std::nullopt});
    }
    for (const CommandResult& result : ledger.Submit(batch)) {
      if (!result.status.ok()) return result.status;
    }
  }
  ledger.WaitForSnapshots();
  Org org;
  org.id = history->orgs.front();
  org.events = ledger.log().Head(org.id)->size;
  org.first_at = ledger.log().Get(org.id, 1)->position.recorded_at;
  org.last_at = ledger.log().Get(org.id, org.events)->position.recorded_at;
  return org;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

Status CompareOrg(Ledger& ledger, pqxx::connection& connection, const Org& org, int instants,
                  double load_seconds) {
  std::mt19937_64 random(org.events);
  std::vector<double> ours, full, sql;
  // A full replay of 1M events takes seconds: time it at fewer instants.
  int full_instants = org.events > 200'000 ? std::min(instants, 2) : instants;
  std::string summary;
  for (int i = 0; i < instants; ++i) {
    int64_t t0 = org.first_at + static_cast<int64_t>(random() % (org.last_at - org.first_at + 1));
    // T is the recorded time of the last event StateAsOf(t0) includes (the
    // derived events a command brought come a microsecond after it), so
    // "recorded_at <= T" selects exactly the same events in SQL.
    Result<uint64_t> version = ledger.log().OrgSeqAsOf(org.id, t0);
    if (!version.ok()) return version.status();
    int64_t t = ledger.log().Get(org.id, *version)->position.recorded_at;
    Clock::time_point start = Clock::now();
    Result<State> state = ledger.StateAsOf(org.id, t);
    if (!state.ok()) return state.status();
    Summary mine = SummaryOf(*state);
    ours.push_back(MillisSince(start));
    if (i < full_instants) {
      start = Clock::now();
      State replayed;
      replayed.org = org.id;
      LEDGER_RETURN_IF_ERROR(ReplayInto(ledger.log(), *version, &replayed));
      if (!(SummaryOf(replayed) == mine)) return Status::Internal("full replay disagrees");
      full.push_back(MillisSince(start));
    }
    start = Clock::now();
    Summary theirs = FoldInPostgres(connection, org.id, t);
    sql.push_back(MillisSince(start));
    if (!(theirs == mine)) {
      return Status::Internal("as of " + std::to_string(t) + " replay gives " + mine.Json() +
                              ", SQL gives " + theirs.Json());
    }
    summary = mine.Json();
  }
  std::printf(
      "{\"events\":%llu,\"instants\":%d,\"ours_ms\":%.3f,\"ours_full_replay_ms\":%.3f,"
      "\"postgres_ms\":%.3f,\"postgres_load_s\":%.2f,\"agree\":true,\"last_summary\":%s}\n",
      (unsigned long long)org.events, instants, Median(ours), Median(full), Median(sql),
      load_seconds, summary.c_str());
  std::fflush(stdout);
  return Status::Ok();
}

}  // namespace

Status RunAsOf(const AsOfOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.dir, error);
  if (error) return Status::IoError("cannot create " + options.dir + ": " + error.message());
  LedgerOptions ledger_options;
  ledger_options.log.path = options.dir + "/db";
  ledger_options.log.master_key_path = options.dir + "/master-key";
  ledger_options.log.sync = false;
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(ledger_options);
  if (!ledger.ok()) return ledger.status();
  try {
    pqxx::connection connection(options.pg);
    CreateTable(connection);
    connection.prepare("fold", kFoldSql);
    for (uint64_t size : options.sizes) {
      Result<Org> org = BuildOrg(**ledger, size);
      if (!org.ok()) return org.status();
      Clock::time_point start = Clock::now();
      LEDGER_RETURN_IF_ERROR(CopyOrg(connection, (*ledger)->log(), org->id, org->events));
      double load_seconds = MillisSince(start) / 1000;
      LEDGER_RETURN_IF_ERROR(
          CompareOrg(**ledger, connection, *org, options.instants, load_seconds));
    }
  } catch (const std::exception& e) {
    return Status::IoError(std::string("PostgreSQL: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace ledger::bench
