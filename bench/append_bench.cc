// ledger-append-bench: durable Append throughput of the event log against raw
// RocksDB writing the same event bytes with the same options and fsync.
//
// Every case opens a fresh database in its own temporary directory (under
// $TMPDIR or /tmp) and removes it afterwards. Events are built before the
// timed loop, so it measures one Append (or one raw Write) per iteration.
// After the runs it prints ours/raw per (event size, batch); the target is
// ours/raw >= 0.8 at batches of 1,000 and more, where fsync no longer hides
// the engine's own work (record encoding, Merkle hashing, extra keys).
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "keys.h"
#include "ledger/event_builder.h"
#include "ledger/event_log.h"
#include "rocks_event_log.h"

namespace {

using ledger::Uuid;

constexpr size_t kEventBytes[] = {128, 256, 1024};
constexpr size_t kBatchSizes[] = {1, 100, 1'000, 10'000};
// Batches at or above this size must reach kTargetRatio: there the fsync is
// shared by many events and the engine's own overhead shows.
constexpr size_t kTargetBatchMin = 1'000;
constexpr double kTargetRatio = 0.8;
// Events written per case: enough for stable numbers, few enough that the
// whole program stays within a few minutes on 2 cores.
constexpr int64_t kEventsPerCase = 1'000'000;
// Small batches are fsync-bound (one fsync is 0.2 ms to several ms depending
// on the disk): cap their iterations so they cannot dominate the runtime.
constexpr int64_t kIterationsMax = 1'000;

int64_t IterationsFor(size_t batch) {
  return std::min<int64_t>(kIterationsMax, kEventsPerCase / static_cast<int64_t>(batch));
}

// A fresh directory for one case; removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    std::string pattern = (base / "ledger-append-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string Sub(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// An ActivityLogged event with only its `payload` string set, to `pad`. The
// envelope alone (org and event UUIDs, actor, vtables) makes the smallest
// valid event 220 bytes, so the 128-byte class runs at that minimum.
std::string BuildEvent(ledger::EventBuilder& builder, const ledger::EnvelopeFields& envelope,
                       const std::string& pad) {
  auto payload = ledger::fb::CreateActivityLoggedDirect(
      builder.builder(), /*activity_id=*/nullptr, /*employee_id=*/nullptr,
      /*session_id=*/nullptr, /*client_name=*/nullptr, /*client_version=*/nullptr,
      /*event_type=*/nullptr, /*event_category=*/nullptr, /*content=*/0, pad.c_str());
  return builder.Finish(envelope, payload);
}

// The largest pad whose event fits in target_bytes (FlatBuffers alignment
// makes the size step unevenly, hence the search rather than a subtraction).
std::string PadFor(ledger::EventBuilder& builder, const ledger::EnvelopeFields& envelope,
                   size_t target_bytes) {
  size_t base = BuildEvent(builder, envelope, "").size();
  std::string pad(target_bytes > base ? target_bytes - base : 0, 'x');
  while (!pad.empty() && BuildEvent(builder, envelope, pad).size() > target_bytes) pad.pop_back();
  return pad;
}

// `count` events of one org, each about target_bytes, each with its own event id.
std::vector<std::string> BuildEvents(const Uuid& org, size_t target_bytes, size_t count) {
  ledger::EventBuilder builder;
  ledger::EnvelopeFields envelope;
  envelope.org = org;
  envelope.actor = {ledger::fb::ActorKind::Service, "bench"};
  std::string pad = PadFor(builder, envelope, target_bytes);
  std::vector<std::string> events;
  events.reserve(count);
  for (size_t i = 0; i < count; ++i) events.push_back(BuildEvent(builder, envelope, pad));
  return events;
}

double AverageBytes(const std::vector<std::string>& events) {
  size_t total = 0;
  for (const std::string& event : events) total += event.size();
  return static_cast<double>(total) / static_cast<double>(events.size());
}

void SetThroughput(benchmark::State& state, size_t batch, double event_bytes) {
  int64_t events = state.iterations() * static_cast<int64_t>(batch);
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(static_cast<int64_t>(static_cast<double>(events) * event_bytes));
  state.counters["event_bytes"] = event_bytes;
}

// Appends the same `batch` events every iteration: the log does not check
// event ids for uniqueness, and reusing them keeps event building untimed.
void BM_LedgerAppend(benchmark::State& state, size_t event_bytes, size_t batch) {
  ScratchDir dir;
  if (!dir.ok()) {
    state.SkipWithError("cannot create a temporary directory");
    return;
  }
  ledger::LogOptions options;  // sync = true: the durable path
  options.path = dir.Sub("db");
  options.master_key_path = dir.Sub("master.key");
  ledger::Result<std::unique_ptr<ledger::EventLog>> log = ledger::EventLog::Open(options);
  if (!log.ok()) {
    state.SkipWithError(log.status().ToString().c_str());
    return;
  }
  std::vector<std::string> events = BuildEvents(Uuid::Random(), event_bytes, batch);
  std::vector<std::string_view> views(events.begin(), events.end());

  for (auto _ : state) {
    ledger::Result<std::vector<ledger::Position>> positions = log.value()->Append(views);
    if (!positions.ok()) {
      state.SkipWithError(positions.status().ToString().c_str());
      break;
    }
  }
  SetThroughput(state, batch, AverageBytes(events));
}

// The floor the engine is measured against: the same event bytes under
// events-style keys (org:16 org_seq:be64), one synced WriteBatch per batch,
// without records, Merkle nodes, the global index or org state. The batch is
// built inside the timed loop because Append builds its own there too.
void BM_RawRocksWrite(benchmark::State& state, size_t event_bytes, size_t batch) {
  ScratchDir dir;
  if (!dir.ok()) {
    state.SkipWithError("cannot create a temporary directory");
    return;
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(ledger::LogRocksOptions(), dir.Sub("db"), &raw);
  if (!opened.ok()) {
    state.SkipWithError(opened.ToString().c_str());
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  Uuid org = Uuid::Random();
  std::vector<std::string> events = BuildEvents(org, event_bytes, batch);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  uint64_t org_seq = 0;

  for (auto _ : state) {
    rocksdb::WriteBatch write_batch;
    for (const std::string& event : events) {
      write_batch.Put(ledger::keys::Event(org, ++org_seq), event);
    }
    rocksdb::Status written = db->Write(synced, &write_batch);
    if (!written.ok()) {
      state.SkipWithError(written.ToString().c_str());
      break;
    }
  }
  SetThroughput(state, batch, AverageBytes(events));
  db->Close().PermitUncheckedError();
}

std::string CaseName(const char* side, size_t event_bytes, size_t batch) {
  return std::string(side) + "/" + std::to_string(event_bytes) + "B/batch:" + std::to_string(batch);
}

// Ours and raw side by side for every (size, batch), in table order.
void RegisterCases() {
  for (size_t bytes : kEventBytes) {
    for (size_t batch : kBatchSizes) {
      benchmark::RegisterBenchmark(CaseName("ours", bytes, batch).c_str(), BM_LedgerAppend, bytes,
                                   batch)
          ->Iterations(IterationsFor(batch))
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(CaseName("raw", bytes, batch).c_str(), BM_RawRocksWrite, bytes,
                                   batch)
          ->Iterations(IterationsFor(batch))
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

struct CaseResult {
  double events_per_second = 0;
  double event_bytes = 0;
};

// Keeps the rate and event size of every successful run, keyed by case name,
// while `Base` reports as usual.
template <typename Base>
class RecordingReporter : public Base {
 public:
  using Base::Base;

  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
    for (const benchmark::BenchmarkReporter::Run& run : runs) Record(run);
    Base::ReportRuns(runs);
  }
  const std::map<std::string, CaseResult>& results() const { return results_; }

 private:
  void Record(const benchmark::BenchmarkReporter::Run& run) {
    if (run.error_occurred || run.run_type != benchmark::BenchmarkReporter::Run::RT_Iteration) {
      return;
    }
    auto rate = run.counters.find("items_per_second");
    auto bytes = run.counters.find("event_bytes");
    if (rate == run.counters.end() || bytes == run.counters.end()) return;
    results_[run.run_name.function_name] = {rate->second, bytes->second};
  }

  std::map<std::string, CaseResult> results_;
};

const char* Verdict(size_t batch, double ratio) {
  if (batch < kTargetBatchMin) return "-";
  return ratio >= kTargetRatio ? "met" : "MISSED";
}

void PrintComparison(const std::map<std::string, CaseResult>& results, FILE* out) {
  std::fprintf(out, "\nDurable append (sync on): ours = EventLog::Append, raw = DB::Write\n");
  std::fprintf(out, "%6s %7s %7s %12s %12s %9s  %s\n", "size", "actual", "batch", "ours ev/s",
               "raw ev/s", "ours/raw", "target >= 0.80 at batch >= 1000");
  for (size_t bytes : kEventBytes) {
    for (size_t batch : kBatchSizes) {
      auto ours = results.find(CaseName("ours", bytes, batch));
      auto raw = results.find(CaseName("raw", bytes, batch));
      if (ours == results.end() || raw == results.end()) continue;
      double ratio = ours->second.events_per_second / raw->second.events_per_second;
      std::fprintf(out, "%5zuB %6.0fB %7zu %12.0f %12.0f %9.2f  %s\n", bytes,
                   ours->second.event_bytes, batch, ours->second.events_per_second,
                   raw->second.events_per_second, ratio, Verdict(batch, ratio));
    }
  }
}

// The value of --benchmark_format, read before Initialize consumes the flags.
std::string_view FormatFlag(int argc, char** argv) {
  constexpr std::string_view kFlag = "--benchmark_format=";
  std::string_view format = "console";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with(kFlag)) format = arg.substr(kFlag.size());
  }
  return format;
}

// Runs with `reporter` as the display reporter, then prints the table to
// `table_out` (stderr for machine formats, so their stdout stays parseable).
template <typename Reporter>
int RunWith(Reporter& reporter, FILE* table_out) {
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintComparison(reporter.results(), table_out);
  benchmark::Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string format(FormatFlag(argc, argv));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterCases();
  if (format == "json") {
    RecordingReporter<benchmark::JSONReporter> reporter;
    return RunWith(reporter, stderr);
  }
  if (format != "console") {
    // Other formats (csv) run as the library runs them, without the table.
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  }
  auto color = isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                     : benchmark::ConsoleReporter::OO_Tabular;
  RecordingReporter<benchmark::ConsoleReporter> reporter(color);
  return RunWith(reporter, stdout);
}
