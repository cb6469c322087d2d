// Where ledger-project reads the global feed: a RocksDB log directory, or a
// ledgerd subscription.
#pragma once

#include <atomic>
#include <string>

#include "ledger/projections/projector.h"

namespace ledger::project {

struct Flags {
  projections::ProjectorOptions projector;
  std::string db;
  std::string master_key;
  std::string connect;
  std::string token;
  bool rebuild = false;
  bool follow = false;
  bool until_caught_up = false;
  size_t batch_events = 10'000;
  std::string log_level = "info";
};

// Set by SIGINT/SIGTERM: finish the batch in hand, then exit.
extern std::atomic<bool> stop_requested;

int RunFromDb(const Flags& flags);
int RunFromServer(const Flags& flags);

// Prints "error: ..." to stderr and returns the exit code 1.
int Fail(const Status& status);

// "projected 120,000 events (48,000/s)": redrawn on a terminal, logged every
// 10 s otherwise.
class ProgressLine {
 public:
  explicit ProgressLine(std::string verb);
  void Update(uint64_t done);
  void Finish();

 private:
  std::string verb_;
  bool terminal_;
  double started_;
  double last_drawn_ = 0;
};

}  // namespace ledger::project
