#include "sequencer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ledger::server {
namespace {

// Backoff between recovery attempts: the first soon, since a transient fault
// clears quickly; at most one a second, so a long outage costs one storage
// probe a second and recovery follows within a second of it ending.
constexpr int64_t kRecoveryDelayMinMs = 10;
constexpr int64_t kRecoveryDelayMaxMs = 1000;
// The recovery probe writes twice the failed group (its events, their index
// entries and tree nodes), up to this.
constexpr size_t kProbeBytesMax = 64 << 20;

bool IsStorageFailure(const Status& status) {
  return status.code() == Code::kIoError || status.code() == Code::kCorruption;
}

}  // namespace

Sequencer::Sequencer(Ledger* ledger, const ServerLimits& limits, Metrics* metrics,
                     CommitListener on_commit)
    : ledger_(ledger), limits_(limits), metrics_(metrics), on_commit_(std::move(on_commit)) {
  thread_ = std::thread([this] { Run(); });
}

Sequencer::~Sequencer() { Drain(); }

bool Sequencer::Fits(size_t commands) const {
  // An empty queue takes any job, so one larger than the bound still runs.
  return queue_.empty() || queued_commands_ + commands <= limits_.sequencer_queue_commands;
}

bool Sequencer::Push(AppendJob job, std::function<void()> on_queued) {
  std::unique_lock lock(mutex_);
  size_t commands = job.commands.size();
  if (!parked_.empty() || !Fits(commands)) {
    parked_.push_back({std::move(job), std::move(on_queued)});
    return false;
  }
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(job));
  queued_commands_ += commands;
  metrics_->QueueDepth(queued_commands_);
  lock.unlock();
  if (was_empty) wake_.notify_one();
  return true;
}

void Sequencer::AdmitParked(std::vector<std::function<void()>>* notify) {
  while (!parked_.empty() && Fits(parked_.front().job.commands.size())) {
    Parked& next = parked_.front();
    queued_commands_ += next.job.commands.size();
    queue_.push_back(std::move(next.job));
    notify->push_back(std::move(next.on_queued));
    parked_.pop_front();
  }
}

void Sequencer::Drain() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool Sequencer::healthy() const {
  std::lock_guard lock(mutex_);
  return healthy_;
}

std::shared_lock<std::shared_mutex> Sequencer::ReadLog() const {
  std::shared_lock gate(log_gate_);
  if (!log_open_) gate.unlock();
  return gate;
}

void Sequencer::Run() {
  std::vector<AppendJob> group;
  std::vector<std::function<void()>> notify;
  for (;;) {
    bool healthy = true;
    bool recover = false;
    {
      std::unique_lock lock(mutex_);
      auto ready = [&] { return !queue_.empty() || stopping_; };
      if (healthy_) {
        wake_.wait(lock, ready);
      } else {
        wake_.wait_until(lock, next_recovery_, ready);
      }
      if (queue_.empty() && stopping_) return;  // nothing queued or parked is left
      // Every job waiting now joins this group, up to the group bound.
      size_t commands = 0;
      while (!queue_.empty() && (group.empty() || commands + queue_.front().commands.size() <=
                                                      limits_.max_group_commands)) {
        commands += queue_.front().commands.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_commands_ -= commands;
      AdmitParked(&notify);
      metrics_->QueueDepth(queued_commands_);
      healthy = healthy_;
      recover = !healthy_ && !stopping_ && std::chrono::steady_clock::now() >= next_recovery_;
    }
    for (auto& resume : notify) resume();
    notify.clear();
    if (!group.empty() && healthy) Commit(group);
    if (!group.empty() && !healthy) {
      FailGroup(group,
                "the log's storage is failing; appends are refused until it recovers (reads "
                "still work); nothing of this request was appended");
    }
    group.clear();
    if (recover) Recover();
  }
}

void Sequencer::FailGroup(std::vector<AppendJob>& group, const std::string& why) {
  for (AppendJob& job : group) job.done({}, why);
}

bool Sequencer::Recover() {
  // Probe first: while storage still fails, the old log keeps serving reads.
  Status status = ledger_->log().ProbeStorage(probe_bytes_);
  if (status.ok()) {
    ledger_->WaitForSnapshots();  // outside the gate: it may take a while
    std::unique_lock gate(log_gate_);
    status = ledger_->Recover();
    log_open_ = status.ok();
  }
  std::unique_lock lock(mutex_);
  if (!status.ok()) {
    recovery_delay_ms_ = std::min(recovery_delay_ms_ * 2, kRecoveryDelayMaxMs);
    next_recovery_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(recovery_delay_ms_);
    spdlog::warn("log recovery failed ({}); next attempt in {} ms", status.ToString(),
                 recovery_delay_ms_);
    return false;
  }
  spdlog::info("storage is healthy again: log reopened at global seq {}; accepting appends",
               ledger_->log().LastGlobalSeq());
  healthy_ = true;
  recovered_at_ = std::chrono::steady_clock::now();
  metrics_->LogHealthy(true);
  lock.unlock();
  // The reopened log may hold the failed group (its outcome was unknown):
  // subscribers read again.
  on_commit_();
  return true;
}

void Sequencer::Commit(std::vector<AppendJob>& group) {
  std::vector<Command> commands;
  size_t total = 0;
  for (const AppendJob& job : group) total += job.commands.size();
  commands.reserve(total);
  for (AppendJob& job : group) {
    for (Command& command : job.commands) commands.push_back(std::move(command));
  }
  SubmitTiming timing;
  std::vector<CommandResult> results = ledger_->Submit(commands, &timing);
  metrics_->GroupCommitted(group.size(), results, timing);
  auto failure = std::find_if(results.begin(), results.end(), [](const CommandResult& result) {
    return IsStorageFailure(result.status);
  });
  if (failure != results.end()) {
    // No job of the group is acknowledged, not even one whose own result is
    // fine: its rejections were decided against commands that did not
    // commit, and an earlier chunk's success is no longer provable to it.
    spdlog::error(
        "group commit of {} commands failed ({}); refusing appends until storage "
        "recovers",
        total, failure->status.ToString());
    // A nearly full disk may take a small probe and then fail the same
    // group again: probe for room for this one, so that the log is not
    // reopened (its WAL replayed) only to fail once more.
    size_t group_bytes = 0;
    for (const Command& command : commands) group_bytes += command.event.size();
    probe_bytes_ = std::min(2 * group_bytes, kProbeBytesMax);
    {
      std::lock_guard lock(mutex_);
      healthy_ = false;
      // Failing again soon after a recovery: the storage flaps, so the
      // backoff goes on growing instead of starting over at 10 ms.
      auto now = std::chrono::steady_clock::now();
      bool flapping = now - recovered_at_ < std::chrono::milliseconds(kRecoveryDelayMaxMs);
      recovery_delay_ms_ =
          flapping ? std::min(recovery_delay_ms_ * 2, kRecoveryDelayMaxMs) : kRecoveryDelayMinMs;
      next_recovery_ = now + std::chrono::milliseconds(recovery_delay_ms_);
    }
    metrics_->LogHealthy(false);
    FailGroup(group, "the log's storage failed during this append (" + failure->status.ToString() +
                         "); it is not acknowledged and may or may not be recorded: retry with "
                         "the same idempotency keys once appends are accepted again");
    on_commit_();
    return;
  }
  size_t next = 0;
  for (AppendJob& job : group) {
    size_t count = job.commands.size();
    std::vector<CommandResult> mine(std::make_move_iterator(results.begin() + next),
                                    std::make_move_iterator(results.begin() + next + count));
    next += count;
    job.done(std::move(mine), std::nullopt);
  }
  on_commit_();
}

}  // namespace ledger::server
