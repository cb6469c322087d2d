// The two processes a stress run kills: ledgerd (on one loopback port for
// the whole run, so clients and the projector reconnect to it) and
// ledger-project following its global feed. Output goes to ledgerd.log and
// ledger-project.log in the work directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "child_process.h"
#include "crash_loop.h"

namespace ledger::stress {

class Services {
 public:
  Services(const StressOptions& options, std::string dir, std::string token)
      : options_(options), dir_(std::move(dir)), token_(std::move(token)) {}

  std::string db() const { return dir_ + "/db"; }
  std::string key_file() const { return dir_ + "/signing.key"; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string live_schema() const { return options_.schema + "_live"; }
  std::string ledgerd_log() const { return dir_ + "/ledgerd.log"; }
  std::string project_log() const { return dir_ + "/ledger-project.log"; }

  // Starts ledgerd and waits until it serves: on a free port the first
  // time, on the same port after that.
  Status StartLedgerd();
  Status StartProjector();
  // SIGKILL, reaped. Fails if the process had already exited by itself.
  Status KillLedgerd() { return Kill(ledgerd_, "ledgerd", ledgerd_log()); }
  Status KillProjector() { return Kill(projector_, "ledger-project", project_log()); }
  // An error if ledger-project exited (it should run until stopped).
  Status ProjectorRunning();
  // SIGTERM to both: each must exit 0 (ledgerd acknowledges what it
  // accepted; the projector finishes its batch).
  Status StopAll();

 private:
  Status Kill(ChildProcess& child, const std::string& name, const std::string& log);

  const StressOptions& options_;
  std::string dir_, token_;
  uint16_t port_ = 0;
  ChildProcess ledgerd_, projector_;
};

}  // namespace ledger::stress
