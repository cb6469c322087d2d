// Spreads a loop over the calling thread and a few helper threads. The writer
// uses it for per-event CPU work (FlatBuffer verification, leaf hashes,
// checksums) that is independent between events; the log itself still has
// one writer. One Run at a time (the caller is the single writer).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace ledger {

// For std::async work that only speeds a query up: a thread of its own, or,
// when none can be started (libstdc++ then falls back instead of throwing),
// run by the caller at get().
inline constexpr std::launch kThreadElseDeferred = std::launch::async | std::launch::deferred;

class ParallelFor {
 public:
  // `helpers` threads beside the caller; 0 runs everything inline.
  explicit ParallelFor(size_t helpers);
  ~ParallelFor();
  ParallelFor(const ParallelFor&) = delete;
  ParallelFor& operator=(const ParallelFor&) = delete;

  // Calls fn(begin, end) on disjoint chunks covering [0, count) and returns
  // when all are done. Below `inline_below` items, runs on the caller only:
  // waking a helper costs more than a few events' work.
  void Run(size_t count, size_t inline_below, const std::function<void(size_t, size_t)>& fn);

 private:
  void HelperLoop(size_t chunk);
  void RunChunk(size_t chunk);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t job_count_ = 0;
  size_t generation_ = 0;
  size_t pending_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ledger
