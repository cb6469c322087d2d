// ledger-project: keeps the PostgreSQL read models (projections/sql) from
// the ledger's global feed, exactly once. See projections/README.md.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "feeds.h"
#include "ledger/tools/stop_signals.h"

namespace ledger::project {
std::atomic<bool> stop_requested{false};
}

namespace {

using ledger::project::Flags;

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "ledger-project: keeps the PostgreSQL read models from the ledger's global feed.\n"
      "Each batch's rows commit with the projector's checkpoint in one transaction, so a\n"
      "restart resumes where it stopped and no event counts twice.\n\n"
      "  ledger-project --db PATH --pg CONNINFO             catch up from a log directory\n"
      "  ledger-project --db PATH --pg CONNINFO --rebuild   rebuild from scratch (shadow\n"
      "                                                     schema, swapped in atomically)\n"
      "  ledger-project --connect HOST:PORT --token T --pg CONNINFO   follow ledgerd live"};
  app.add_option("--pg", flags.projector.conninfo,
                 "libpq connection string of the read-model database, e.g. "
                 "\"host=127.0.0.1 port=5432 dbname=ledger user=ledger\"")
      ->required();
  app.add_option("--schema", flags.projector.schema,
                 "schema holding the read models (created if missing)")
      ->capture_default_str();
  auto* db = app.add_option("--db", flags.db,
                            "RocksDB directory of the log (ledgerd must not be running on it)");
  app.add_option("--master-key", flags.master_key,
                 "master key file that opens personal fields; default: <db>.master-key");
  auto* connect = app.add_option("--connect", flags.connect,
                                 "ledgerd address HOST:PORT: follow its global feed live");
  app.add_option("--token", flags.token, "admin token for --connect (ledger token create --admin)");
  app.add_flag("--rebuild", flags.rebuild,
               "rebuild every read model from the whole log (with --db)");
  app.add_flag("--follow", flags.follow, "with --db: keep polling the log for new events");
  app.add_flag("--until-caught-up", flags.until_caught_up,
               "with --connect: exit once everything stored when it started is projected");
  app.add_option("--batch-events", flags.batch_events, "events per transaction at most (with --db)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  db->excludes(connect);
  connect->excludes(db);
  CLI11_PARSE(app, argc, argv);

  // Logs go to stderr: stdout carries only the closing summary line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("ledger-project"));
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ ledger-project: %v");
  if (flags.db.empty() && flags.connect.empty()) {
    std::cerr << "error: give --db PATH (a log directory) or --connect HOST:PORT (ledgerd)\n";
    return 2;
  }
  if (flags.rebuild && flags.db.empty()) {
    std::cerr << "error: --rebuild reads a log directory: give --db PATH\n";
    return 2;
  }
  if (!flags.connect.empty() && flags.token.empty()) {
    std::cerr << "error: --connect needs --token (an admin token: the global feed spans orgs)\n";
    return 2;
  }
  ledger::tools::OnStopSignal([](int signal) {
    spdlog::info("signal {}: finishing the batch in hand", signal);
    ledger::project::stop_requested = true;
  });
  // A signal also ends the retrying while PostgreSQL is away.
  flags.projector.cancelled = [] { return ledger::project::stop_requested.load(); };
  return flags.db.empty() ? ledger::project::RunFromServer(flags)
                          : ledger::project::RunFromDb(flags);
}
