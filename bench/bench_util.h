// Small pieces the query benchmarks share (ledger-state-bench,
// ledger-audit-bench, ledger-compare-bench asof): timing, and the size of
// the one-org histories they query.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "ledger/tools/history_generator.h"

namespace ledger::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

inline double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One org of about `events` events from the history generator. A mission is
// 5 events plus its tasks' usage records, so employees x missions x (5 +
// usage_per_task) is about `events`; the ratio of usage to missions sets how
// fast the org's state grows (usage dominates, as in a real org).
inline tools::HistoryOptions SizedHistory(uint64_t events, int usage_per_task = 20) {
  tools::HistoryOptions options;
  options.orgs = 1;
  options.usage_per_task = usage_per_task;
  options.employees_per_org = static_cast<int>(std::clamp<uint64_t>(events / 1000, 8, 1000));
  options.missions_per_employee = static_cast<int>(
      std::max<uint64_t>(1, events / (5 + usage_per_task) / options.employees_per_org));
  options.seed = events;
  return options;
}

}  // namespace ledger::bench
