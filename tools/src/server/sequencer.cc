#include "sequencer.h"

#include <spdlog/spdlog.h>

namespace ledger::server {

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

void Sequencer::Run() {
  std::vector<AppendJob> group;
  std::vector<std::function<void()>> notify;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and nothing parked is left
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
    }
    for (auto& resume : notify) resume();
    notify.clear();
    Commit(group);
    group.clear();
  }
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
  bool failed = false;
  for (const CommandResult& result : results) {
    failed |= result.status.code() == Code::kIoError || result.status.code() == Code::kCorruption;
  }
  if (failed) {
    spdlog::error("group commit of {} commands failed; refusing appends from now on", total);
    std::lock_guard lock(mutex_);
    healthy_ = false;
  }
  metrics_->GroupCommitted(group.size(), results, timing);
  size_t next = 0;
  for (AppendJob& job : group) {
    size_t count = job.commands.size();
    std::vector<CommandResult> mine(std::make_move_iterator(results.begin() + next),
                                    std::make_move_iterator(results.begin() + next + count));
    next += count;
    job.done(std::move(mine));
  }
  on_commit_();
}

}  // namespace ledger::server
