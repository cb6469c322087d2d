// ledger-bench: durable ingestion load against ledgerd over loopback TCP (or
// against the engine in-process, for the same batches), printing events/s,
// MB/s and acknowledgement latency percentiles.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "bench_workload.h"
#include "ledger/client/client.h"
#include "ledger/ledger.h"

namespace ledger::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string connect;
  std::string token;
  std::string db;  // in-process mode
  int connections = 4;
  int in_flight = 8;
  int client_threads = 1;  // shared by the connections; 0: a thread per connection
  size_t batch = 100;
  size_t event_bytes = 256;
  int orgs = 0;  // 0: one per connection
  double duration = 10;
  double warmup = 1;
  uint64_t count = 0;  // events; 0: run for --duration
  double rate = 0;     // events/s offered at a fixed pace; 0: as fast as acknowledged
  bool json = false;
  std::string latencies_file;  // write every request's latency (ms), one a line
};

struct Report {
  std::string mode;
  uint64_t events = 0, requests = 0, rejected = 0, errors = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  Percentiles latency;
  std::vector<double> latencies_ms;  // every measured request, for --latencies
  std::string first_error;
};

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

size_t BytesOf(const std::vector<Command>& commands) {
  size_t bytes = 0;
  for (const Command& command : commands) bytes += command.event.size();
  return bytes;
}

// The measurement: requests completing in [start, end) count; the rest is
// warm-up and drain.
struct Window {
  Clock::time_point start, end;
  bool Contains(Clock::time_point t) const { return t >= start && t < end; }
};

// One connection's load: keeps `in_flight` Appends outstanding, each a batch
// from a pool built before the run (so the client spends its CPU on the
// protocol, not on building events).
class Driver {
 public:
  Driver(client::Client* client, std::vector<std::vector<Command>> pool, int in_flight)
      : client_(client), pool_(std::move(pool)), in_flight_(in_flight), bytes_(BytesOf(pool_[0])) {}

  void Start(const Window* window, std::atomic<uint64_t>* budget) {
    window_ = window;
    budget_ = budget;
    for (int i = 0; i < in_flight_; ++i) Issue();
  }
  // Paced mode: the pacer calls this at each request's scheduled time;
  // latency counts from that time, so a slow server cannot hide its queue.
  void StartPaced(const Window* window) {
    window_ = window;
    paced_ = true;
  }
  void IssueAt(Clock::time_point scheduled) { Send(scheduled); }
  void Stop() { stopping_ = true; }
  void WaitIdle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return outstanding_ == 0; });
  }
  void AddTo(Report* report) const {
    report->events += events_;
    report->requests += requests_;
    report->rejected += rejected_;
    report->errors += errors_;
    report->bytes += requests_ * bytes_;
    if (report->first_error.empty()) report->first_error = first_error_;
  }
  const std::vector<double>& latencies() const { return latencies_; }

 private:
  void Issue() {
    if (stopping_ || paced_ || !Claim(pool_[0].size())) return;
    Send(Clock::now());
  }

  // Takes one request's events from the shared --count budget; false once it
  // is spent. The last request may overshoot it: every request is a full
  // batch. (A plain fetch_sub would wrap below zero and never stop.)
  bool Claim(uint64_t size) {
    if (budget_ == nullptr) return true;
    uint64_t left = budget_->load();
    do {
      if (left == 0) return false;
    } while (!budget_->compare_exchange_weak(left, left > size ? left - size : 0));
    return true;
  }

  void Send(Clock::time_point sent) {
    {
      std::lock_guard lock(mutex_);
      ++outstanding_;
    }
    client_->AppendAsync(
        pool_[next_++ % pool_.size()],
        [this, sent](Result<std::vector<CommandResult>> results) { Done(sent, results); });
  }

  // Client thread.
  void Done(Clock::time_point sent, const Result<std::vector<CommandResult>>& results) {
    Clock::time_point now = Clock::now();
    if (window_->Contains(now)) {
      latencies_.push_back(Millis(now - sent));
      ++requests_;
      if (!results.ok()) {
        ++errors_;
        if (first_error_.empty()) first_error_ = results.status().ToString();
      } else {
        for (const CommandResult& result : *results) {
          if (result.status.ok()) {
            events_ += result.event_count;
          } else {
            ++rejected_;
            if (first_error_.empty()) first_error_ = result.status.ToString();
          }
        }
      }
    }
    Issue();
    std::lock_guard lock(mutex_);
    if (--outstanding_ == 0) idle_.notify_all();
  }

  client::Client* client_;
  std::vector<std::vector<Command>> pool_;
  int in_flight_;
  size_t bytes_;
  std::atomic<size_t> next_{0};  // Start and the client thread both issue
  const Window* window_ = nullptr;
  std::atomic<uint64_t>* budget_ = nullptr;
  std::atomic<bool> stopping_{false};
  bool paced_ = false;
  std::mutex mutex_;
  std::condition_variable idle_;
  int outstanding_ = 0;
  uint64_t events_ = 0, requests_ = 0, rejected_ = 0, errors_ = 0;
  std::string first_error_;
  std::vector<double> latencies_;
};

constexpr size_t kPoolBatches = 16;

std::vector<std::vector<Command>> Pool(const Workload& workload, size_t org_index, size_t batch) {
  std::vector<std::vector<Command>> pool;
  for (size_t i = 0; i < kPoolBatches; ++i) pool.push_back(workload.Batch(org_index, batch));
  return pool;
}

Window MakeWindow(const Flags& flags) {
  Window window;
  window.start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(flags.count ? 0 : flags.warmup));
  window.end = flags.count ? Clock::time_point::max()
                           : window.start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(flags.duration));
  return window;
}

Result<Report> RunOverSocket(const Flags& flags) {
  client::ClientOptions options;
  LEDGER_RETURN_IF_ERROR(client::ParseAddress(flags.connect, &options));
  options.token = flags.token;
  options.client_name = "ledger-bench";
  std::vector<std::shared_ptr<client::IoThread>> threads;
  for (int i = 0; i < flags.client_threads; ++i) {
    threads.push_back(std::make_shared<client::IoThread>());
  }
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int i = 0; i < flags.connections; ++i) {
    if (!threads.empty()) options.io_thread = threads[i % threads.size()];
    Result<std::unique_ptr<client::Client>> connected = client::Client::Connect(options);
    if (!connected.ok()) return connected.status();
    clients.push_back(std::move(connected).value());
  }
  std::vector<Uuid> orgs;
  if (std::optional<Uuid> own = clients[0]->session().org) {
    orgs.push_back(*own);  // an org token: all load goes to its org
  } else {
    int count = flags.orgs > 0 ? flags.orgs : flags.connections;
    for (int i = 0; i < count; ++i) orgs.push_back(Uuid::Random());
  }
  Workload workload(orgs, {.event_bytes = flags.event_bytes});
  // An org that exists already (a rerun) rejects its creation: fine.
  Result<std::vector<CommandResult>> setup = clients[0]->Append(workload.Setup());
  if (!setup.ok()) return setup.status();

  std::vector<std::unique_ptr<Driver>> drivers;
  for (int i = 0; i < flags.connections; ++i) {
    drivers.push_back(std::make_unique<Driver>(clients[i].get(), Pool(workload, i, flags.batch),
                                               flags.in_flight));
  }
  std::atomic<uint64_t> budget{flags.count};
  Window window = MakeWindow(flags);
  Clock::time_point began = Clock::now();
  if (flags.rate > 0) {
    // Open loop: one request every batch/rate seconds, round robin.
    for (auto& driver : drivers) driver->StartPaced(&window);
    auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(flags.batch) / flags.rate));
    Clock::time_point next = began;
    uint64_t offered = 0;
    for (size_t n = 0; next < window.end && (!flags.count || offered < flags.count);
         ++n, next += interval, offered += flags.batch) {
      std::this_thread::sleep_until(next);
      drivers[n % drivers.size()]->IssueAt(next);
    }
  } else {
    for (auto& driver : drivers) driver->Start(&window, flags.count ? &budget : nullptr);
    // With --count the drivers stop by themselves once the budget is spent
    // (WaitIdle below waits for that); stopping them here would end the run
    // after the first window of requests.
    if (!flags.count) std::this_thread::sleep_until(window.end);
  }
  if (!flags.count) {
    for (auto& driver : drivers) driver->Stop();
  }
  for (auto& driver : drivers) driver->WaitIdle();
  Report report;
  report.mode = "ledgerd";
  report.seconds =
      flags.count ? std::chrono::duration<double>(Clock::now() - began).count() : flags.duration;
  std::vector<double> latencies;
  for (auto& driver : drivers) {
    driver->AddTo(&report);
    latencies.insert(latencies.end(), driver->latencies().begin(), driver->latencies().end());
  }
  report.latency = PercentilesOf(latencies);
  report.latencies_ms = std::move(latencies);
  return report;
}

// The engine alone: the same batches through Ledger::Submit, one at a time.
Result<Report> RunInProcess(const Flags& flags) {
  LedgerOptions options;
  options.log.path = flags.db;
  options.log.master_key_path = flags.db + ".master-key";
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  if (!ledger.ok()) return ledger.status();
  std::vector<Uuid> orgs;
  for (int i = 0; i < (flags.orgs > 0 ? flags.orgs : flags.connections); ++i) {
    orgs.push_back(Uuid::Random());
  }
  Workload workload(orgs, {.event_bytes = flags.event_bytes});
  (void)(*ledger)->Submit(workload.Setup());
  std::vector<std::vector<std::vector<Command>>> pools;
  for (size_t i = 0; i < orgs.size(); ++i) pools.push_back(Pool(workload, i, flags.batch));
  Report report;
  report.mode = "in-process";
  std::vector<double> latencies;
  Window window = MakeWindow(flags);
  Clock::time_point began = Clock::now();
  for (size_t i = 0;; ++i) {
    Clock::time_point sent = Clock::now();
    if (sent >= window.end || (flags.count && report.events >= flags.count)) break;
    const std::vector<Command>& batch = pools[i % pools.size()][(i / pools.size()) % kPoolBatches];
    std::vector<CommandResult> results = (*ledger)->Submit(batch);
    Clock::time_point now = Clock::now();
    if (!window.Contains(now)) continue;
    latencies.push_back(Millis(now - sent));
    ++report.requests;
    report.bytes += BytesOf(batch);
    for (const CommandResult& result : results) {
      result.status.ok() ? report.events += result.event_count : ++report.rejected;
    }
  }
  report.seconds =
      flags.count ? std::chrono::duration<double>(Clock::now() - began).count() : flags.duration;
  report.latency = PercentilesOf(latencies);
  report.latencies_ms = std::move(latencies);
  return report;
}

void Print(const Flags& flags, const Report& r) {
  double rate = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
  double mb = r.seconds > 0 ? static_cast<double>(r.bytes) / 1e6 / r.seconds : 0;
  if (flags.json) {
    std::printf(
        "{\"mode\":\"%s\",\"connections\":%d,\"in_flight\":%d,\"batch\":%zu,\"event_bytes\":%zu,"
        "\"seconds\":%.3f,\"events\":%llu,\"requests\":%llu,\"events_per_sec\":%.0f,"
        "\"mb_per_sec\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
        "\"rejected\":%llu,\"errors\":%llu}\n",
        r.mode.c_str(), flags.connections, flags.in_flight, flags.batch, flags.event_bytes,
        r.seconds, static_cast<unsigned long long>(r.events),
        static_cast<unsigned long long>(r.requests), rate, mb, r.latency.p50, r.latency.p99,
        r.latency.p999, r.latency.max, static_cast<unsigned long long>(r.rejected),
        static_cast<unsigned long long>(r.errors));
    return;
  }
  std::printf(
      "ledger-bench (%s): %d connections x %d in flight, %zu commands/request, "
      "%zu-byte events, %.1f s\n",
      r.mode.c_str(), flags.connections, flags.in_flight, flags.batch, flags.event_bytes,
      r.seconds);
  std::printf("  events/s      %12.0f\n  MB/s          %12.1f\n  requests/s    %12.0f\n", rate, mb,
              static_cast<double>(r.requests) / r.seconds);
  std::printf("  ack latency   p50 %.3f ms   p99 %.3f ms   p99.9 %.3f ms   max %.3f ms\n",
              r.latency.p50, r.latency.p99, r.latency.p999, r.latency.max);
  std::printf("  rejected %llu   errors %llu\n", static_cast<unsigned long long>(r.rejected),
              static_cast<unsigned long long>(r.errors));
  if (!r.first_error.empty()) std::printf("  first error: %s\n", r.first_error.c_str());
}

bool WriteLatencies(const std::string& path, const std::vector<double>& latencies_ms) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return false;
  for (double ms : latencies_ms) std::fprintf(file, "%.4f\n", ms);
  return std::fclose(file) == 0;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  using ledger::bench::Flags;
  Flags flags;
  if (const char* token = std::getenv("LEDGER_TOKEN")) flags.token = token;
  CLI::App app{
      "ledger-bench: durable ingestion load for ledgerd. Each connection keeps --in-flight\n"
      "Append requests of --batch commands outstanding; an acknowledgement means fsynced.\n"
      "With --db instead of --connect it drives the engine in-process with the same batches."};
  auto* connect = app.add_option("--connect", flags.connect, "ledgerd HOST:PORT");
  auto* db = app.add_option("--db", flags.db, "in-process mode: a new RocksDB directory");
  connect->excludes(db);
  app.add_option("--token", flags.token, "admin or org token (default: $LEDGER_TOKEN)");
  app.add_option("--connections", flags.connections, "client connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--in-flight", flags.in_flight, "requests outstanding per connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--client-threads", flags.client_threads,
                 "threads running the connections' I/O, shared round-robin (0: one per "
                 "connection)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  app.add_option("--batch", flags.batch, "commands per request")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, ledger::limits::kCommandsMax));
  app.add_option("--event-bytes", flags.event_bytes, "approximate bytes per event")
      ->capture_default_str()
      ->check(CLI::Range(size_t{64}, size_t{1} << 20));
  app.add_option("--orgs", flags.orgs,
                 "orgs to spread the load over (default: one per connection)");
  app.add_option("--duration", flags.duration, "seconds measured (after --warmup)")
      ->capture_default_str();
  app.add_option("--warmup", flags.warmup, "seconds run before measuring")->capture_default_str();
  app.add_option("--count", flags.count, "send this many events instead of running --duration");
  app.add_option("--rate", flags.rate,
                 "offer this many events/s at a fixed pace (open loop; latency counted from "
                 "each request's scheduled time); default: as fast as acknowledged");
  app.add_flag("--json", flags.json, "print one JSON object");
  app.add_option("--latencies", flags.latencies_file,
                 "write each measured request's latency in ms to this file, one a line");
  try {
    app.parse(argc, argv);
    if (flags.connect.empty() && flags.db.empty()) {
      throw CLI::ValidationError("--connect or --db", "one of them is required");
    }
    if (!flags.connect.empty() && flags.token.empty()) {
      throw CLI::ValidationError("--token", "required with --connect (or set LEDGER_TOKEN)");
    }
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  ledger::Result<ledger::bench::Report> report = flags.connect.empty()
                                                     ? ledger::bench::RunInProcess(flags)
                                                     : ledger::bench::RunOverSocket(flags);
  if (!report.ok()) {
    std::cerr << "ledger-bench: " << report.status().ToString() << "\n";
    return 1;
  }
  ledger::bench::Print(flags, *report);
  if (!flags.latencies_file.empty() &&
      !ledger::bench::WriteLatencies(flags.latencies_file, report->latencies_ms)) {
    std::cerr << "ledger-bench: cannot write " << flags.latencies_file << "\n";
    return 1;
  }
  return report->errors == 0 ? 0 : 1;
}
