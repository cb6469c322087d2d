// A one-line progress counter on stderr for long runs, drawn only when
// stderr is a terminal so that logs and pipes stay clean.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <string>

namespace ledger::cli {

class Progress {
 public:
  Progress(std::string what, uint64_t total)
      : what_(std::move(what)), total_(total), shown_(isatty(STDERR_FILENO) == 1) {}
  ~Progress() {
    if (shown_ && done_ > 0) std::cerr << "\n";
  }

  void Step() {
    ++done_;
    // Every 4096 events: redrawing costs more than the work it reports.
    if (shown_ && (done_ % 4096 == 0 || done_ == total_)) {
      std::cerr << "\r" << what_ << " " << done_ << "/" << total_ << std::flush;
    }
  }

 private:
  std::string what_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool shown_;
};

}  // namespace ledger::cli
