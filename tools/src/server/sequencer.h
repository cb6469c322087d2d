// The sequencer: the one thread that owns the write model (DESIGN.md,
// decision 4). Connections hand it append jobs; it takes every job waiting
// when a group starts (up to a command bound), decides them all in one
// Ledger::Submit (one WriteBatch, one fsync) and only then completes each job.
//
// The queue is bounded in commands. A job that does not fit is parked (at
// most one per connection, since a connection stops reading while its job is
// parked) and moves into the queue as groups drain it; its connection learns
// through `on_queued` and resumes reading. So a full queue pushes back on the
// sockets instead of growing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/server/limits.h"
#include "metrics.h"

namespace ledger::server {

struct AppendJob {
  std::vector<Command> commands;
  // Called on the sequencer thread after the group's synced write, with one
  // result per command. Must be quick: it only hands the results over.
  std::function<void(std::vector<CommandResult>)> done;
};

class Sequencer {
 public:
  // Called on the sequencer thread after each group commit.
  using CommitListener = std::function<void()>;

  Sequencer(Ledger* ledger, const ServerLimits& limits, Metrics* metrics, CommitListener on_commit);
  ~Sequencer();  // Drain()

  // Queues the job and returns true, or parks it and returns false; then
  // `on_queued` is called (on the sequencer thread) once it is queued.
  // REQUIRES: job.commands.size() <= limits.max_commands_per_request.
  bool Push(AppendJob job, std::function<void()> on_queued);

  // Commits every queued and parked job, then stops the thread. Callers
  // must stop pushing first. Idempotent.
  void Drain();

  // False once a group's write failed: the log cannot be trusted to accept
  // more until the server restarts (issue: reopen in place).
  bool healthy() const;

 private:
  struct Parked {
    AppendJob job;
    std::function<void()> on_queued;
  };

  void Run();
  // Moves parked jobs into the queue while they fit. REQUIRES: mutex_.
  void AdmitParked(std::vector<std::function<void()>>* notify);
  bool Fits(size_t commands) const;  // REQUIRES: mutex_
  void Commit(std::vector<AppendJob>& group);

  Ledger* ledger_;
  const ServerLimits limits_;
  Metrics* metrics_;
  CommitListener on_commit_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<AppendJob> queue_;
  size_t queued_commands_ = 0;
  std::deque<Parked> parked_;
  bool stopping_ = false;
  bool healthy_ = true;
  std::thread thread_;
};

}  // namespace ledger::server
