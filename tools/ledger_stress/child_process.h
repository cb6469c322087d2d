// A child process of ledger-stress (ledgerd, ledger-project) whose stdout and
// stderr are appended to a log file, so one file holds every run of it.
//
// The child is asked to die with ledger-stress (PR_SET_PDEATHSIG), so a
// crash, a SIGKILL or a ctest timeout of the stress tool leaves no server
// behind. REQUIRES: Start is called from a thread that lives as long as the
// child should (the signal follows the thread that forked, not the process):
// the crash loop's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace ledger::stress {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Kills (SIGKILL) and reaps a child still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // REQUIRES: not running.
  Status Start(const std::vector<std::string>& argv, const std::string& log_path);
  // Sends `signal` and waits up to `timeout` for the exit, then SIGKILLs.
  // Returns the exit code, or 128 + the signal that ended it.
  int Stop(int signal, std::chrono::milliseconds timeout);
  // The exit code (128 + signal) once it has exited by itself; nullopt
  // while it runs.
  std::optional<int> Exited();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  int code_ = -1;
};

// The last `lines` lines of a log file, for error messages.
std::string LogTail(const std::string& path, int lines = 15);

}  // namespace ledger::stress
