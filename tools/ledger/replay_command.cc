// ledger replay: an org's whole state as of an instant (or an org
// sequence), as JSON, as tables, or written into a PostgreSQL schema with
// the read models' DDL.
#include <iostream>
#include <nlohmann/json.hpp>

#include "audit_flags.h"
#include "commands.h"
#include "ledger/audit/entities.h"
#include "replay_postgres.h"
#include "replay_table.h"

namespace ledger::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ReplayFlags {
  audit::SourceFlags source;
  std::string org;
  std::string at;
  std::string format = "json";
  PostgresTarget postgres;
};

int PrintJson(const State& state, const audit::Instant& at, audit::AuditSource& source) {
  std::unique_ptr<audit::StatePrinter> printer = PrinterFor(source);
  if (!printer) return 1;
  Json as_of = {
      {"org", state.org.ToString()},
      {"version", state.version},
      {"recorded_at", state.version == 0 ? Json() : Json(audit::FormatInstant(state.recorded_at))},
      {"at", at.text}};
  Json document = {{"as_of", std::move(as_of)},
                   {"state", Json::parse(printer->StateJson(state, -1))}};
  std::cout << document.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  return 0;
}

int IntoPostgres(const ReplayFlags& flags, const State& state, audit::AuditSource& source) {
  Result<uint64_t> rows = ReplayIntoPostgres(flags.postgres, state, source);
  if (!rows.ok()) return Fail(rows.status().message());
  std::cout << "org " << state.org.ToString() << " at version " << state.version << " ("
            << (state.version == 0 ? "-" : audit::FormatInstant(state.recorded_at))
            << ") written to schema " << flags.postgres.schema << ": " << *rows << " rows\n";
  return 0;
}

int RunReplay(const ReplayFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  std::optional<audit::Instant> at = ParseAt(flags.at);
  if (!at) return 1;
  std::unique_ptr<audit::AuditSource> source = OpenSource(flags.source);
  if (!source) return 1;
  std::optional<uint64_t> version = VersionAt(*source, org, *at);
  if (!version) return 1;
  std::optional<State> state = StateAt(*source, org, *version);
  if (!state) return 1;
  if (!flags.postgres.conninfo.empty()) return IntoPostgres(flags, *state, *source);
  if (flags.format == "table") {
    PrintStateTables(*state, std::cout);
    return 0;
  }
  return PrintJson(*state, *at, *source);
}

}  // namespace

void AddReplayCommand(CLI::App& app) {
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* command = app.add_subcommand(
      "replay",
      "Reconstruct an org's whole state as of an instant: employees, teams, roles, agents, "
      "policies, MCP configs, requests and approvals, missions, tasks, spending against budget");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  command
      ->add_option("--at", flags->at,
                   "ISO-8601 time (2026-03-01T12:00:00Z, 2026-03-01) or an org sequence number: "
                   "the state with every event recorded by then")
      ->required();
  command->add_option("--format", flags->format, "json (default; the complete state) or table")
      ->check(CLI::IsMember({"json", "table"}));
  CLI::Option* into =
      command->add_option("--into-postgres", flags->postgres.conninfo,
                          "write the state into PostgreSQL (libpq URL or connection string) with "
                          "the read models' tables, instead of printing it");
  CLI::Option* schema = command->add_option("--schema", flags->postgres.schema,
                                            "with --into-postgres: the schema to create and fill");
  CLI::Option* replace =
      command->add_flag("--replace", flags->postgres.replace,
                        "with --into-postgres: replace the schema if it exists and is not empty");
  into->needs(schema);
  schema->needs(into);
  replace->needs(into);
  command->final_callback([flags] { throw CLI::RuntimeError(RunReplay(*flags)); });
}

}  // namespace ledger::cli
