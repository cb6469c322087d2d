// SnapshotWorker: writes org snapshots on its own thread, so the sequencer
// never stalls packing a large state. It rebuilds the state it snapshots
// from the log (previous snapshot + events since) with the same Apply, which
// gives exactly the write model's state at that version.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <utility>

#include "ledger/event_log.h"
#include "ledger/state.h"

namespace ledger {

class SnapshotWorker {
 public:
  // `every`: snapshot an org once it is this many events past its last one.
  SnapshotWorker(EventLog& log, uint64_t every);
  ~SnapshotWorker();  // finishes the snapshot in progress, drops the rest

  // These orgs' logs now end at these versions (durable). Called by Submit
  // once per group with every org it touched: one lock and at most one
  // wake-up, since waking the worker per org (64 orgs in a group of 64
  // single-command requests) cost the sequencer a futex round trip each.
  void Notify(std::span<const std::pair<Uuid, uint64_t>> heads);
  // Blocks until every notified org has been considered (tests, benchmarks).
  void Drain();
  uint64_t written() const { return written_.load(); }

 private:
  void Run();
  void Consider(const Uuid& org, uint64_t version);

  EventLog& log_;
  const uint64_t every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::unordered_map<Uuid, uint64_t, UuidHash> pending_;  // org -> newest version
  bool busy_ = false;              // the worker holds a batch taken from pending_
  std::atomic<bool> stop_{false};  // written under mutex_; read in a batch without it
  // Worker thread only: each org's newest snapshot version, and the states
  // it built, kept so the next snapshot replays only the events since
  // (bounded by kStatesBytesMax; dropped wholesale past it).
  std::unordered_map<Uuid, uint64_t, UuidHash> last_snapshot_;
  std::unordered_map<Uuid, State, UuidHash> states_;
  size_t states_bytes_ = 0;
  std::atomic<uint64_t> written_{0};
  std::thread thread_;
};

}  // namespace ledger
