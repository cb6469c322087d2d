// The events ledger-bench sends: per org, one OrganizationCreated, then
// OrganizationSettingsChanged commands whose settings JSON pads each event to
// the requested size. Settings changes are real commands (decided, applied,
// hashed, fsynced) that replace one field of the org's state, so a long run
// measures ingestion, not a state that grows without bound. They carry no
// personal fields, so a client can build them without the server's keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/commands.h"
#include "ledger/uuid.h"

namespace ledger::bench {

struct WorkloadOptions {
  size_t event_bytes = 256;  // approximate size of each event FlatBuffer
  uint64_t seed = 1;
};

class Workload {
 public:
  Workload(std::vector<Uuid> orgs, const WorkloadOptions& options);

  const std::vector<Uuid>& orgs() const { return orgs_; }
  // One OrganizationCreated per org.
  std::vector<Command> Setup() const;
  // `count` settings changes for org `org_index`, each with a fresh event id.
  std::vector<Command> Batch(size_t org_index, size_t count) const;

 private:
  std::vector<Uuid> orgs_;
  WorkloadOptions options_;
  std::string padding_;
};

// Latency percentiles of a sample, in milliseconds.
struct Percentiles {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};
Percentiles PercentilesOf(std::vector<double> samples_ms);

}  // namespace ledger::bench
