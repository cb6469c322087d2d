#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "feeds.h"

namespace ledger::project {
namespace {
double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

ProgressLine::ProgressLine(std::string verb)
    : verb_(std::move(verb)), terminal_(isatty(STDERR_FILENO) == 1), started_(Now()) {}

void ProgressLine::Update(uint64_t done) {
  double now = Now();
  double interval = terminal_ ? 0.2 : 10.0;
  if (now - last_drawn_ < interval) return;
  last_drawn_ = now;
  double rate = done / std::max(now - started_, 1e-9);
  if (terminal_) {
    std::fprintf(stderr, "\r%s %llu events (%.0f/s)   ", verb_.c_str(),
                 static_cast<unsigned long long>(done), rate);
  } else {
    spdlog::info("{} {} events ({:.0f}/s)", verb_, done, rate);
  }
}

void ProgressLine::Finish() {
  if (terminal_ && last_drawn_ != 0) std::fprintf(stderr, "\n");
}

int Fail(const Status& status) {
  std::cerr << "error: " << status.ToString() << "\n";
  return 1;
}

}  // namespace ledger::project
