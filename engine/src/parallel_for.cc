#include "parallel_for.h"

namespace ledger {

ParallelFor::ParallelFor(size_t helpers) {
  for (size_t i = 0; i < helpers; ++i) threads_.emplace_back([this, i] { HelperLoop(i + 1); });
}

ParallelFor::~ParallelFor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void ParallelFor::RunChunk(size_t chunk) {
  size_t chunks = threads_.size() + 1;
  size_t begin = job_count_ * chunk / chunks;
  size_t end = job_count_ * (chunk + 1) / chunks;
  if (begin < end) (*job_)(begin, end);
}

void ParallelFor::Run(size_t count, size_t inline_below,
                      const std::function<void(size_t, size_t)>& fn) {
  if (threads_.empty() || count < inline_below) {
    if (count > 0) fn(0, count);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    job_count_ = count;
    pending_ = threads_.size();
    ++generation_;
  }
  wake_.notify_all();
  RunChunk(0);
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ParallelFor::HelperLoop(size_t chunk) {
  size_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    RunChunk(chunk);
    std::lock_guard lock(mutex_);
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace ledger
