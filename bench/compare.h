// ledger-compare-bench: the pieces bench/compare.sh runs side by side. Each
// ingest run feeds one system the same generated events (the ledger-bench
// workload: OrganizationSettingsChanged FlatBuffers of --event-bytes) in
// batches, durably, and reports events/s, MB/s and per-batch latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_util.h"
#include "ledger/status.h"

namespace ledger::bench {

struct IngestOptions {
  std::string system;  // raw-rocksdb, pg-insert, pg-multirow, pg-copy, redis
  size_t batch = 100;  // events per write / transaction / pipeline round
  uint64_t count = 0;  // events in the run (a multiple of batch)
  int clients = 1;     // concurrent connections (PostgreSQL single-row INSERT)
  std::string dir;     // raw-rocksdb: a new database directory
  std::string pg;      // libpq conninfo
  std::string redis;   // HOST:PORT
  size_t event_bytes = 256;
};

struct IngestResult {
  uint64_t events = 0;
  uint64_t bytes = 0;  // event bytes stored (the FlatBuffers, not envelopes)
  double seconds = 0;
  std::vector<double> latencies_ms;  // one per batch
};

// The events every system stores: the ledger-bench workload over 4 orgs.
std::vector<std::string> MakeEvents(uint64_t count, size_t event_bytes);

// The columns PostgreSQL and Redis store beside the event bytes.
struct EventEnvelope {
  std::string event_id, org_id, event_type;
};
EventEnvelope EnvelopeOf(const std::string& event);

Result<IngestResult> RunRawRocks(const IngestOptions& options,
                                 const std::vector<std::string>& events);
Result<IngestResult> RunPostgres(const IngestOptions& options,
                                 const std::vector<std::string>& events);
Result<IngestResult> RunRedis(const IngestOptions& options, const std::vector<std::string>& events);

struct AsOfOptions {
  std::vector<uint64_t> sizes;  // events per org
  int instants = 5;             // as-of instants timed per org
  std::string pg;
  std::string dir;  // the ledger's directory
};
// Prints one JSON object per org size on stdout.
Status RunAsOf(const AsOfOptions& options);

}  // namespace ledger::bench
