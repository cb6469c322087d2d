#include "snapshot_worker.h"

#include "ledger_impl.h"

namespace ledger {
namespace {

// Memory for the states the worker keeps between snapshots.
constexpr size_t kStatesBytesMax = size_t{256} << 20;

}  // namespace

SnapshotWorker::SnapshotWorker(EventLog& log, uint64_t every)
    : log_(log), every_(every), thread_([this] { Run(); }) {}

SnapshotWorker::~SnapshotWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void SnapshotWorker::Notify(std::span<const std::pair<Uuid, uint64_t>> heads) {
  if (heads.empty()) return;
  bool was_idle;
  {
    std::lock_guard lock(mutex_);
    was_idle = pending_.empty() && !busy_;
    for (const auto& [org, version] : heads) {
      uint64_t& newest = pending_[org];
      newest = std::max(newest, version);
    }
  }
  // A busy worker looks at pending_ again before it sleeps.
  if (was_idle) wake_.notify_one();
}

void SnapshotWorker::Drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return pending_.empty() && !busy_; });
}

void SnapshotWorker::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (stop_) return;
    std::unordered_map<Uuid, uint64_t, UuidHash> batch;
    batch.swap(pending_);
    busy_ = true;
    lock.unlock();
    for (const auto& [org, version] : batch) {
      if (stop_) break;  // a closing ledger drops what is not started
      Consider(org, version);
    }
    lock.lock();
    busy_ = false;
    if (pending_.empty()) idle_.notify_all();
  }
}

void SnapshotWorker::Consider(const Uuid& org, uint64_t version) {
  auto known = last_snapshot_.find(org);
  if (known == last_snapshot_.end()) {
    Result<uint64_t> newest = log_.SnapshotVersionAtOrBefore(org, UINT64_MAX);
    known = last_snapshot_.emplace(org, newest.ok() ? *newest : 0).first;
  }
  if (version < known->second + every_) return;
  // A failure costs only replay time later: the log is unaffected.
  auto kept = states_.find(org);
  if (kept == states_.end()) {
    Result<State> loaded = LoadState(log_, org, version);
    if (!loaded.ok()) return;
    if (states_bytes_ + loaded->approx_bytes > kStatesBytesMax) {
      states_.clear();
      states_bytes_ = 0;
    }
    kept = states_.emplace(org, std::move(loaded).value()).first;
  } else {
    states_bytes_ -= kept->second.approx_bytes;
    if (!ReplayInto(log_, version, &kept->second).ok()) {
      states_.erase(kept);
      return;
    }
  }
  State& state = kept->second;
  states_bytes_ += state.approx_bytes;
  std::string packed = PackState(state);  // reads every packed entity
  // An entity dropped as damaged (lazy_by_id.h) must not go missing from a
  // snapshot that would then pass every check: the org is loaded afresh
  // next time instead.
  if (state.DroppedFromSnapshot() != 0) {
    states_bytes_ -= state.approx_bytes;
    states_.erase(kept);
    return;
  }
  if (log_.PutSnapshot(org, {state.version, std::move(packed)}).ok()) {
    known->second = state.version;
    ++written_;
  }
}

}  // namespace ledger
