// The crash loop of ledger-stress: ledgerd under load from several clients
// with ledger-project following its feed; SIGKILL of the server or of the
// projector at random (seeded) moments; a restart; then the checks:
//  (a) every acknowledged event is in the log at its position, in order;
//  (b) every signed tree head fetched before the crash is a prefix of the
//      log now (signature, consistency proof);
//  (c) once the projector caught up, the read models equal a fresh rebuild.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace ledger::stress {

enum class Target { kServer, kProjector, kBoth };

struct StressOptions {
  std::string ledgerd;  // binaries
  std::string project;
  std::string pg;  // libpq connection string; empty: no projector, no check (c)
  std::string schema = "ledger_stress";
  std::string work_dir;  // empty: a fresh directory under /tmp, removed on success
  bool keep = false;
  int kills = 10;
  int clients = 4;
  uint64_t seed = 0;
  Target target = Target::kBoth;
  int run_min_ms = 200;  // load before each kill: uniform in [min, max]
  int run_max_ms = 1200;
  double rate = 300;  // commands per second per client
  size_t batch_max = 32;
  size_t in_flight = 4;
  int models_every = 1;  // check (c) after every Nth kill (and at the end)
  // Tests the checks: after each ledgerd kill, the newest WAL loses this
  // many bytes off its end (0: off). The run must then fail.
  uint64_t lose_wal_tail = 0;
};

struct StressSummary {
  int kills = 0;
  int server_kills = 0;
  int projector_kills = 0;
  uint64_t commands_accepted = 0;
  uint64_t events_acknowledged = 0;
  uint64_t outcome_unknown = 0;
  uint64_t ack_checks = 0;      // check (a) runs
  uint64_t events_checked = 0;  // acknowledged events found where acknowledged
  uint64_t head_checks = 0;     // check (b) runs
  uint64_t heads_checked = 0;   // signed heads proven extended
  uint64_t model_checks = 0;    // check (c) runs
  uint64_t last_global_seq = 0;
  double seconds = 0;
  bool passed = false;
  bool stopped = false;  // by a signal before its last kill, every check so far passed
};

// Set by SIGINT/SIGTERM: the loop stops after the kill in hand.
extern std::atomic<bool> stop_requested;

// Runs the whole loop; progress lines and failures on stderr.
StressSummary RunCrashLoop(const StressOptions& options);

}  // namespace ledger::stress
