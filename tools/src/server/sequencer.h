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
//
// Storage failures: a group whose write or fsync fails acknowledges none of
// its jobs (each gets the storage error instead of results), and the
// sequencer turns unhealthy: it decides nothing more, failing every job at
// once, and retries recovery with backoff (probe the storage, then reopen
// the log and drop the write model, which reloads from the log). Readers use
// the log under ReadLog(), so the reopen never pulls it from under them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/server/limits.h"
#include "metrics.h"

namespace ledger::server {

struct AppendJob {
  std::vector<Command> commands;
  // Called on the sequencer thread once the job is over: after its group's
  // synced write, with one result per command; or, if storage failed (the
  // group's write or fsync, or it was still failing when the job's turn
  // came), with no results and the reason. Then nothing of the job is
  // acknowledged: it may or may not be in the log. Must be quick: it only
  // hands the outcome over.
  std::function<void(std::vector<CommandResult> results,
                     std::optional<std::string> storage_failure)>
      done;
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

  // False from a failed group write until the log has been reopened.
  bool healthy() const;

  // Readers hold the returned lock while they use the ledger's log. It does
  // not own a lock while recovery has the log closed: then do not touch it.
  std::shared_lock<std::shared_mutex> ReadLog() const;

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
  void FailGroup(std::vector<AppendJob>& group, const std::string& why);
  // One recovery attempt; true once the log takes writes again.
  bool Recover();

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
  int64_t recovery_delay_ms_ = 0;  // backoff between attempts while unhealthy
  std::chrono::steady_clock::time_point next_recovery_;
  std::chrono::steady_clock::time_point recovered_at_;  // the last successful recovery
  size_t probe_bytes_ = 0;  // room the recovery probe asks for (sequencer thread)

  // Exclusive only while recovery reopens the log; see ReadLog().
  mutable std::shared_mutex log_gate_;
  bool log_open_ = true;  // written under log_gate_ held exclusively
  std::thread thread_;
};

}  // namespace ledger::server
