// ledger-stress: a crash loop for ledgerd and ledger-project. Runs ledgerd
// under load with the projector following it, SIGKILLs one of them at
// random (seeded) moments, restarts it, and checks after every restart that
// nothing acknowledged was lost, every signed head still holds, and the read
// models equal a fresh rebuild. Exit 0 only if every check passed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <random>

#include "crash_loop.h"
#include "ledger/tools/stop_signals.h"

namespace {

using ledger::stress::StressOptions;
using ledger::stress::StressSummary;
using ledger::stress::Target;

// The directory of this executable: ledgerd and ledger-project are built
// beside it.
std::string OwnDirectory() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? "." : self.parent_path().string();
}

void PrintSummary(const StressOptions& options, const StressSummary& s) {
  const char* verdict = s.passed    ? "PASSED"
                        : s.stopped ? "STOPPED (every check so far passed)"
                                    : "FAILED";
  std::cout << "ledger-stress " << verdict << ": seed " << options.seed << ", " << s.kills
            << " kills (" << s.server_kills << " ledgerd, " << s.projector_kills
            << " ledger-project) in " << static_cast<int>(s.seconds) << " s\n"
            << "  acknowledged: " << s.events_acknowledged << " events from " << s.commands_accepted
            << " commands (" << s.outcome_unknown << " commands with outcome unknown at a kill)\n"
            << "  checks: (a) acknowledged events in place: " << s.ack_checks << " runs, "
            << s.events_checked << " event checks; (b) signed heads extended: " << s.head_checks
            << " runs, " << s.heads_checked
            << " heads; (c) read models = fresh rebuild: " << s.model_checks << " runs";
  if (options.pg.empty()) {
    std::cout << " (no --pg: skipped)\n";
  } else {
    std::cout << "; log at global seq " << s.last_global_seq << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  StressOptions options;
  std::string target = "both";
  bool no_projector = false;
  CLI::App app{
      "ledger-stress: crash loop for ledgerd and ledger-project.\n"
      "Runs ledgerd (heads signed) under load from several clients appending realistic\n"
      "histories, with ledger-project following its feed into PostgreSQL; SIGKILLs the server\n"
      "or the projector at random (seeded) moments and restarts it. After every restart:\n"
      "  (a) every acknowledged event is in the log at its position, in order (read back\n"
      "      over the client, compared with what was acknowledged);\n"
      "  (b) every signed tree head fetched before the crash verifies and is a prefix of the\n"
      "      log now (RFC 9162 consistency proof from the restarted server's events);\n"
      "  (c) once the projector caught up, its read models equal a fresh rebuild (every\n"
      "      table, row for row).\n"
      "Exits 0 only if every check passed.\n\n"
      "  ledger-stress --pg \"host=127.0.0.1 port=5433 dbname=ledger\" --kills 10\n"
      "  ledger-stress --no-projector --kills 200 --target server"};
  std::string own = OwnDirectory();
  options.ledgerd = own + "/ledgerd";
  options.project = own + "/ledger-project";
  app.add_option("--ledgerd", options.ledgerd, "ledgerd binary")->capture_default_str();
  app.add_option("--project", options.project, "ledger-project binary")->capture_default_str();
  auto* pg = app.add_option("--pg", options.pg,
                            "libpq connection string or URL of the read-model database "
                            "(schemas <schema>_live and <schema>_fresh are dropped and made)");
  auto* skip = app.add_flag("--no-projector", no_projector,
                            "run without ledger-project and PostgreSQL: checks (a) and (b) only");
  pg->excludes(skip);
  app.add_option("--schema", options.schema, "prefix of the read-model schemas")
      ->capture_default_str();
  app.add_option("--kills", options.kills, "kills (and restarts) to run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--clients", options.clients, "client threads appending")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--seed", options.seed, "seed of the kill moments and the load; 0: random")
      ->capture_default_str();
  app.add_option("--target", target, "what to kill: server, projector or both (at random)")
      ->capture_default_str()
      ->check(CLI::IsMember({"server", "projector", "both"}));
  app.add_option("--work-dir", options.work_dir,
                 "directory for the log, keys and process logs (must hold no earlier run); "
                 "default: a fresh one under /tmp, removed if every check passed");
  app.add_flag("--keep", options.keep, "keep the default work directory even on success");
  app.add_option("--run-min-ms", options.run_min_ms, "least load before a kill")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--run-max-ms", options.run_max_ms, "most load before a kill")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--rate", options.rate, "commands per second per client (0: unthrottled)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--batch-max", options.batch_max, "commands per Append: 1..N at random")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--in-flight", options.in_flight, "Appends in flight per client")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--models-every", options.models_every,
                 "check the read models after every Nth kill (and at the end)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--lose-wal-tail", options.lose_wal_tail,
                 "to test the checks themselves: after each ledgerd kill, cut the last BYTES off "
                 "the newest RocksDB WAL file (db/*.log) before the restart, as a disk that lost "
                 "acknowledged writes would; the run must then FAIL (0: off)")
      ->capture_default_str()
      ->type_name("BYTES");
  CLI11_PARSE(app, argc, argv);

  if (options.pg.empty() && !no_projector) {
    std::cerr << "error: give --pg CONNINFO (the projector's database) or --no-projector\n";
    return 2;
  }
  options.target = target == "server"      ? Target::kServer
                   : target == "projector" ? Target::kProjector
                                           : Target::kBoth;
  if (no_projector && options.target != Target::kServer) {
    if (target == "projector") {
      std::cerr << "error: --target projector needs --pg\n";
      return 2;
    }
    options.target = Target::kServer;
  }
  if (options.run_max_ms < options.run_min_ms) {
    std::cerr << "error: --run-max-ms is below --run-min-ms\n";
    return 2;
  }
  for (const std::string& binary : {options.ledgerd, options.project}) {
    if (access(binary.c_str(), X_OK) != 0 && (binary == options.ledgerd || !no_projector)) {
      std::cerr << "error: cannot run " << binary << " (give --ledgerd / --project)\n";
      return 2;
    }
  }
  if (options.seed == 0) options.seed = std::random_device{}() | 1;
  ledger::tools::OnStopSignal([](int signal) {
    std::cerr << "ledger-stress: signal " << signal << ": stopping after this kill" << std::endl;
    ledger::stress::stop_requested = true;
  });
  StressSummary summary = ledger::stress::RunCrashLoop(options);
  PrintSummary(options, summary);
  return summary.passed ? 0 : 1;
}
