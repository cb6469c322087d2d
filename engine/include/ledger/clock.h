// The wall clock in the log's unit: microseconds since the Unix epoch, as
// recorded_at, token lifetimes and signed heads count time.
#pragma once

#include <chrono>
#include <cstdint>

namespace ledger {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ledger
