// ledger-compare-bench: one system, one batch size, one JSON line; or the
// as-of comparison. bench/compare.sh runs it for every system and batch size
// beside ledger-bench (ledgerd and the engine in-process) and prints the
// table. Durable everywhere: RocksDB syncs each write, PostgreSQL commits
// with synchronous_commit on, Redis runs with appendfsync always.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "bench_workload.h"
#include "compare.h"

namespace ledger::bench {
namespace {

Result<IngestResult> RunIngest(const IngestOptions& options) {
  std::vector<std::string> events = MakeEvents(options.count, options.event_bytes);
  if (options.system == "raw-rocksdb") return RunRawRocks(options, events);
  if (options.system == "redis") return RunRedis(options, events);
  return RunPostgres(options, events);
}

void PrintIngest(const IngestOptions& options, const IngestResult& r) {
  Percentiles latency = PercentilesOf(r.latencies_ms);
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"in_flight\":1,\"batch\":%zu,\"event_bytes\":%zu,"
      "\"seconds\":%.3f,\"events\":%llu,\"events_per_sec\":%.0f,\"mb_per_sec\":%.2f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
      options.system.c_str(), options.clients, options.batch, options.event_bytes, r.seconds,
      static_cast<unsigned long long>(r.events), static_cast<double>(r.events) / r.seconds,
      static_cast<double>(r.bytes) / 1e6 / r.seconds, latency.p50, latency.p99, latency.p999,
      latency.max);
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  using namespace ledger::bench;
  CLI::App app{
      "ledger-compare-bench: durable ingestion of the same events into raw RocksDB, PostgreSQL\n"
      "or Redis Streams (one JSON line), or state as of T by our replay against a SQL fold.\n"
      "bench/compare.sh runs it all; see README, \"Benchmark: side by side\"."};
  app.require_subcommand(1);
  IngestOptions ingest;
  CLI::App* ingest_command = app.add_subcommand("ingest", "durable ingestion of one system");
  ingest_command->add_option("--system", ingest.system)
      ->required()
      ->check(CLI::IsMember({"raw-rocksdb", "pg-insert", "pg-multirow", "pg-copy", "redis"}));
  ingest_command->add_option("--batch", ingest.batch, "events per durable write")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{10'000}));
  ingest_command->add_option("--count", ingest.count, "events in the run")->required();
  ingest_command->add_option("--clients", ingest.clients, "connections (PostgreSQL)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  ingest_command->add_option("--event-bytes", ingest.event_bytes)->capture_default_str();
  ingest_command->add_option("--dir", ingest.dir, "raw-rocksdb: a new database directory");
  ingest_command->add_option("--pg", ingest.pg, "PostgreSQL conninfo");
  ingest_command->add_option("--redis", ingest.redis, "Redis HOST:PORT");

  AsOfOptions as_of;
  as_of.sizes = {10'000, 100'000, 1'000'000};
  CLI::App* as_of_command =
      app.add_subcommand("asof", "state as of T: our replay against a SQL fold in PostgreSQL");
  as_of_command->add_option("--sizes", as_of.sizes, "events per org")->delimiter(',');
  as_of_command->add_option("--instants", as_of.instants, "instants timed per org")
      ->capture_default_str();
  as_of_command->add_option("--pg", as_of.pg, "PostgreSQL conninfo")->required();
  as_of_command->add_option("--dir", as_of.dir, "a new directory for the ledger")->required();
  try {
    app.parse(argc, argv);
    bool needs_pg = ingest.system.rfind("pg-", 0) == 0;
    if (*ingest_command && needs_pg && ingest.pg.empty()) {
      throw CLI::ValidationError("--pg", "required for " + ingest.system);
    }
    if (*ingest_command && ingest.system == "redis" && ingest.redis.empty()) {
      throw CLI::ValidationError("--redis", "required for redis");
    }
    if (*ingest_command && ingest.system == "raw-rocksdb" && ingest.dir.empty()) {
      throw CLI::ValidationError("--dir", "required for raw-rocksdb");
    }
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  if (*as_of_command) {
    ledger::Status status = RunAsOf(as_of);
    if (!status.ok()) std::cerr << "ledger-compare-bench: " << status.ToString() << "\n";
    return status.ok() ? 0 : 1;
  }
  // Whole batches only, so every system writes the same batches.
  ingest.count =
      std::max<uint64_t>(1, (ingest.count + ingest.batch - 1) / ingest.batch) * ingest.batch;
  ledger::Result<IngestResult> result = RunIngest(ingest);
  if (!result.ok()) {
    std::cerr << "ledger-compare-bench: " << result.status().ToString() << "\n";
    return 1;
  }
  PrintIngest(ingest, *result);
  return 0;
}
