// projection-bench: what ledger-project's writes to PostgreSQL cost, in one
// run over one generated history, against the classic naive projector.
//
//   rebuild      projections::Rebuild: fold the feed, COPY into a shadow
//                schema over three connections, keys and indexes after the
//                load, swap.
//   incremental  projections::Projector, --incremental-batches events per
//                transaction (COPY, and upserts through stage tables).
//   naive        one prepared INSERT per row (upserts for entity rows), one
//                transaction per event; the same with synchronous_commit
//                off; and with --naive-batch events per transaction. Same
//                feed, same fold, same row rendering (naive_projector.h), on
//                the first --naive-events events so the run stays short.
//   breakdown    the rebuild's steps one at a time: reading the log, folding,
//                rendering, COPY formatting, PostgreSQL's COPY, index build.
//
// Target (the projection issue): rebuild >= 100,000 events/s.
//
// The input is a GenerateHistory history submitted through the write model
// into a temporary RocksDB log with fsync OFF: building the input is not
// measured, and nothing here depends on its durability. Without --pg a
// private PostgreSQL 15 is started with tools/pg.sh (server defaults: fsync
// on, synchronous_commit on) and stopped and removed at the end.
#include <stdlib.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "bench_postgres.h"
#include "ledger/ledger.h"
#include "ledger/projections/projector.h"
#include "ledger/tools/history_generator.h"
#include "ledger/tools/stop_signals.h"
#include "naive_projector.h"
#include "projection_breakdown.h"

namespace ledger::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Events per ReadGlobal: ledger-project's default --batch-events.
constexpr size_t kReadEvents = 10'000;
// Commands per Submit while building the input.
constexpr size_t kSubmitCommands = 1'000;
constexpr double kRebuildTargetEventsPerSecond = 100'000;

struct Flags {
  std::string pg;
  uint64_t events = 200'000;
  int orgs = 8;
  int employees_per_org = 50;
  int usage_per_task = 10;
  uint64_t naive_events = 20'000;
  size_t naive_batch = 1'000;
  std::vector<size_t> incremental_batches = {1'000, 10'000};
  uint64_t incremental_events = 0;  // 0: all
  bool breakdown = true;
  bool keep_schemas = false;
  bool json = false;
};

struct Measurement {
  std::string name;   // for --json
  std::string label;  // for the table
  uint64_t events = 0;
  int64_t rows = -1;  // -1: not counted
  uint64_t transactions = 0;
  double seconds = 0;
  double cpu_seconds = 0;      // this process: rendering, libpq (user + system)
  double pg_cpu_seconds = -1;  // PostgreSQL's processes; -1: not on this machine
  double load_seconds = -1;    // rebuild only: the feed's load, then the rest
  double finish_seconds = -1;
  std::string schema;
  double EventsPerSecond() const { return events / std::max(seconds, 1e-9); }
  double RowsPerSecond() const { return rows < 0 ? 0 : rows / std::max(seconds, 1e-9); }
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// PostgreSQL's CPU time when it runs on this machine; set once in Run,
// before any measurement.
std::optional<PgCpuMeter> pg_cpu_meter;

// Wall and CPU time (ours and PostgreSQL's) of one measured run.
class Timer {
 public:
  Timer()
      : wall_(Clock::now()),
        cpu_(CpuSeconds()),
        pg_cpu_(pg_cpu_meter ? pg_cpu_meter->Seconds() : 0) {}
  void Stop(Measurement* m) const {
    m->seconds = std::chrono::duration<double>(Clock::now() - wall_).count();
    m->cpu_seconds = CpuSeconds() - cpu_;
    if (pg_cpu_meter) m->pg_cpu_seconds = pg_cpu_meter->Seconds() - pg_cpu_;
  }

 private:
  Clock::time_point wall_;
  double cpu_;
  double pg_cpu_;
};

// The generated history in a temporary log, and what reads it.
class Input {
 public:
  Status Build(const Flags& flags) {
    char pattern[] = "/tmp/projection-bench-log-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return Status::IoError("mkdtemp failed");
    directory_ = pattern;
    LedgerOptions options;
    options.log.path = directory_ + "/db";
    options.log.master_key_path = directory_ + "/master-key";
    options.log.sync = false;  // input only: its durability is not what is measured
    Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
    if (!ledger.ok()) return ledger.status();
    ledger_ = std::move(ledger).value();
    auto start = Clock::now();
    Result<tools::GeneratedHistory> history =
        tools::GenerateHistory(HistoryFor(flags), ledger_->log().subject_keys());
    if (!history.ok()) return history.status();
    LEDGER_RETURN_IF_ERROR(Submit(history->events));
    ledger_->WaitForSnapshots();
    build_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
    opener_ = projections::KeyOpener(ledger_->log().subject_keys());
    return Status::Ok();
  }

  ~Input() {
    ledger_.reset();
    std::error_code ignored;
    if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
  }

  uint64_t events() const { return ledger_->log().LastGlobalSeq(); }
  double build_seconds() const { return build_seconds_; }
  projections::SealedOpener& opener() { return *opener_; }
  const std::string& directory() const { return directory_; }

  // The feed up to `limit` events (0: all), kReadEvents at a time.
  projections::FeedReader Reader(uint64_t limit = 0, size_t batch = kReadEvents) {
    return [this, limit, batch](uint64_t from, std::vector<StoredEvent>* out) {
      uint64_t last = limit ? std::min(limit, events()) : events();
      if (from > last) return Status::Ok();
      return ledger_->log().ReadGlobal(from, std::min<uint64_t>(batch, last - from + 1), out);
    };
  }

 private:
  // A mission is 5 events plus its usage; hiring and requests add about 4
  // events per employee.
  static tools::HistoryOptions HistoryFor(const Flags& flags) {
    tools::HistoryOptions options;
    options.orgs = flags.orgs;
    options.employees_per_org = flags.employees_per_org;
    options.usage_per_task = flags.usage_per_task;
    int64_t per_org = static_cast<int64_t>(flags.events / flags.orgs);
    int64_t per_employee = per_org / flags.employees_per_org - 4;
    options.missions_per_employee =
        static_cast<int>(std::max<int64_t>(1, per_employee / (5 + flags.usage_per_task)));
    options.seed = flags.events;
    return options;
  }

  Status Submit(const std::vector<std::string>& events) {
    std::vector<Command> batch;
    for (size_t start = 0; start < events.size(); start += kSubmitCommands) {
      batch.clear();
      size_t end = std::min(events.size(), start + kSubmitCommands);
      for (size_t i = start; i < end; ++i) batch.push_back({events[i], std::nullopt});
      for (const CommandResult& result : ledger_->Submit(batch)) {
        if (!result.status.ok()) return result.status.WithContext("building the input");
      }
    }
    return Status::Ok();
  }

  std::string directory_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<projections::SealedOpener> opener_;
  double build_seconds_ = 0;
};

// Every run must have written exactly its events' rows to `events`.
Status CheckEvents(const Flags& flags, const Measurement& m) {
  Result<uint64_t> rows = CountRows(flags.pg, m.schema, "events");
  if (!rows.ok()) return rows.status();
  if (*rows != m.events) {
    return Status::Internal(m.label + ": " + std::to_string(*rows) + " events rows for " +
                            std::to_string(m.events) + " events");
  }
  return Status::Ok();
}

Result<Measurement> RunRebuild(const Flags& flags, Input& input) {
  Measurement m{.name = "rebuild",
                .label = "rebuild: COPY into a shadow schema, 3 connections",
                .schema = "bench_rebuild"};
  LEDGER_RETURN_IF_ERROR(DropSchema(flags.pg, m.schema));
  projections::ProjectorOptions options;
  options.conninfo = flags.pg;
  options.schema = m.schema;
  Timer timer;
  Result<projections::RebuildStats> stats =
      projections::Rebuild(options, input.opener(), input.Reader());
  timer.Stop(&m);
  if (!stats.ok()) return stats.status();
  m.events = stats->events;
  m.rows = static_cast<int64_t>(stats->rows);
  m.load_seconds = stats->load_seconds;
  m.finish_seconds = stats->finish_seconds;
  // The shadow's tables; events twice; usage; the keys and indexes of events
  // and of usage records; entities, other indexes and checkpoint; the swap.
  m.transactions = 8;
  return m;
}

Result<Measurement> RunIncremental(const Flags& flags, Input& input, size_t batch) {
  Measurement m{.name = "incremental_" + std::to_string(batch),
                .label = "incremental Projector, " + std::to_string(batch) + " events/txn",
                .schema = "bench_incremental_" + std::to_string(batch)};
  LEDGER_RETURN_IF_ERROR(DropSchema(flags.pg, m.schema));
  projections::ProjectorOptions options;
  options.conninfo = flags.pg;
  options.schema = m.schema;
  Result<std::unique_ptr<projections::Projector>> projector =
      projections::Projector::Open(options, input.opener());
  if (!projector.ok()) return projector.status();
  projections::FeedReader read = input.Reader(flags.incremental_events, batch);
  std::vector<StoredEvent> events;
  Timer timer;
  while (true) {
    events.clear();
    LEDGER_RETURN_IF_ERROR(read((*projector)->applied() + 1, &events));
    if (events.empty()) break;
    LEDGER_RETURN_IF_ERROR((*projector)->Project(events));
  }
  timer.Stop(&m);
  m.events = (*projector)->stats().events_written;
  m.transactions = (*projector)->stats().batches;
  return m;
}

Result<Measurement> RunNaive(const Flags& flags, Input& input, size_t per_transaction,
                             bool synchronous_commit) {
  std::string per =
      per_transaction == 1 ? "1 txn/event" : "1 txn/" + std::to_string(per_transaction) + " events";
  Measurement m{
      .name =
          "naive_" + std::to_string(per_transaction) + (synchronous_commit ? "" : "_async_commit"),
      .label = "naive: INSERT per row, " + per + (synchronous_commit ? "" : ", sync commit off"),
      .schema =
          "bench_naive_" + std::to_string(per_transaction) + (synchronous_commit ? "" : "_async")};
  NaiveOptions options{.conninfo = flags.pg,
                       .schema = m.schema,
                       .events_per_transaction = per_transaction,
                       .synchronous_commit = synchronous_commit};
  Result<std::unique_ptr<NaiveProjector>> naive = NaiveProjector::Open(options, input.opener());
  if (!naive.ok()) return naive.status();
  projections::FeedReader read = input.Reader(flags.naive_events);
  std::vector<StoredEvent> events;
  uint64_t next = 1;
  Timer timer;
  while (true) {
    events.clear();
    LEDGER_RETURN_IF_ERROR(read(next, &events));
    if (events.empty()) break;
    next += events.size();
    LEDGER_RETURN_IF_ERROR((*naive)->Project(events));
  }
  LEDGER_RETURN_IF_ERROR((*naive)->Finish());
  timer.Stop(&m);
  m.events = (*naive)->stats().events;
  m.rows = static_cast<int64_t>((*naive)->stats().rows);
  m.transactions = (*naive)->stats().transactions;
  return m;
}

struct Report {
  PgSettings settings;
  uint64_t events = 0;
  double build_seconds = 0;
  std::vector<Measurement> runs;
  std::optional<Breakdown> breakdown;

  const Measurement* Find(const std::string& name) const {
    for (const Measurement& m : runs) {
      if (m.name == name) return &m;
    }
    return nullptr;
  }
  double Ratio(const std::string& ours, const std::string& theirs, bool rows = false) const {
    const Measurement* a = Find(ours);
    const Measurement* b = Find(theirs);
    if (!a || !b) return 0;
    double denominator = rows ? b->RowsPerSecond() : b->EventsPerSecond();
    return denominator > 0 ? (rows ? a->RowsPerSecond() : a->EventsPerSecond()) / denominator : 0;
  }
  bool TargetMet() const {
    const Measurement* rebuild = Find("rebuild");
    return rebuild && rebuild->EventsPerSecond() >= kRebuildTargetEventsPerSecond;
  }
};

Status Measure(const Flags& flags, Input& input, Report* report) {
  auto add = [&](Result<Measurement> m) -> Status {
    if (!m.ok()) return m.status();
    LEDGER_RETURN_IF_ERROR(CheckEvents(flags, *m));
    if (!flags.json) std::fprintf(stderr, "  done: %s\n", m->label.c_str());
    report->runs.push_back(std::move(m).value());
    return Status::Ok();
  };
  LEDGER_RETURN_IF_ERROR(add(RunRebuild(flags, input)));
  for (size_t batch : flags.incremental_batches) {
    LEDGER_RETURN_IF_ERROR(add(RunIncremental(flags, input, batch)));
  }
  LEDGER_RETURN_IF_ERROR(add(RunNaive(flags, input, 1, true)));
  LEDGER_RETURN_IF_ERROR(add(RunNaive(flags, input, 1, false)));
  LEDGER_RETURN_IF_ERROR(add(RunNaive(flags, input, flags.naive_batch, true)));
  if (flags.breakdown) {
    Result<Breakdown> breakdown =
        MeasureBreakdown(flags.pg, "bench_breakdown", input.opener(), input.Reader());
    if (!breakdown.ok()) return breakdown.status();
    report->breakdown = *breakdown;
  }
  if (!flags.keep_schemas) {
    for (const Measurement& m : report->runs)
      LEDGER_RETURN_IF_ERROR(DropSchema(flags.pg, m.schema));
  }
  return Status::Ok();
}

void PrintBreakdown(const Breakdown& b) {
  auto line = [&](const char* what, double seconds) {
    std::printf("    %-44s %7.3f s  %10.0f events/s\n", what, seconds,
                b.events / std::max(seconds, 1e-9));
  };
  std::printf(
      "\n  the rebuild's steps, each alone (%llu events, %llu rows, %.1f MB of COPY data):\n",
      static_cast<unsigned long long>(b.events), static_cast<unsigned long long>(b.rows),
      b.copy_bytes / 1e6);
  std::printf("    ours (one thread):\n");
  line("read the log (ReadGlobal)", b.read);
  line("fold (Apply)", b.fold);
  line("event rows (payload JSON, personal fields)", b.event_rows);
  line("usage rows", b.usage_rows);
  line("entity rows (final states)", b.entity_rows);
  line("COPY encoding (binary: AppendCopyTuple)", b.copy_encode);
  line("= ours in total",
       b.read + b.fold + b.event_rows + b.usage_rows + b.entity_rows + b.copy_encode);
  std::printf("    PostgreSQL (one connection, rows encoded ahead):\n");
  line("COPY events", b.copy_events);
  line("COPY usage_records", b.copy_usage);
  line("COPY entity tables", b.copy_entities);
  line("build indexes (002_indexes.sql)", b.indexes);
  line("= PostgreSQL in total", b.copy_events + b.copy_usage + b.copy_entities + b.indexes);
}

std::string Fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// What the CPU time says about the rebuild's ceiling on this machine: every
// core busy with its work, ours and PostgreSQL's, and nothing else.
void PrintCpuBound(const Measurement& rebuild) {
  if (rebuild.pg_cpu_seconds < 0 || rebuild.events == 0) return;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  double ours = rebuild.cpu_seconds / rebuild.events * 1e6;
  double pg = rebuild.pg_cpu_seconds / rebuild.events * 1e6;
  std::printf(
      "  rebuild CPU per event: ours %.1f us + PostgreSQL %.1f us = %.1f us; with %u cores "
      "fully busy that caps the rebuild at %.0f events/s\n",
      ours, pg, ours + pg, cores, cores / (ours + pg) * 1e6);
}

void PrintTable(const Flags& flags, const Report& r) {
  const PgSettings& s = r.settings;
  std::printf(
      "projection-bench: %llu events, %d orgs, %d usage records per task; PostgreSQL %s "
      "(fsync %s, synchronous_commit %s, shared_buffers %s)\n"
      "  input built in %.1f s through the write model, RocksDB sync off (not measured)\n\n",
      static_cast<unsigned long long>(r.events), flags.orgs, flags.usage_per_task,
      s.version.c_str(), s.fsync.c_str(), s.synchronous_commit.c_str(), s.shared_buffers.c_str(),
      r.build_seconds);
  std::printf("  %-53s %7s %7s %6s %7s %9s %9s %8s %8s\n", "run", "events", "rows", "txns",
              "seconds", "events/s", "rows/s", "cpu ours", "cpu pg");
  for (const Measurement& m : r.runs) {
    std::string rows = m.rows < 0 ? "-" : std::to_string(m.rows);
    std::string rows_per_second =
        m.rows < 0 ? "-" : std::to_string(static_cast<uint64_t>(m.RowsPerSecond()));
    std::string pg_cpu = m.pg_cpu_seconds < 0 ? "-" : Fixed(m.pg_cpu_seconds, 2) + "s";
    std::printf("  %-53s %7llu %7s %6llu %7.2f %9.0f %9s %7.2fs %8s\n", m.label.c_str(),
                static_cast<unsigned long long>(m.events), rows.c_str(),
                static_cast<unsigned long long>(m.transactions), m.seconds, m.EventsPerSecond(),
                rows_per_second.c_str(), m.cpu_seconds, pg_cpu.c_str());
  }
  auto ratio = [&](const std::string& what, const std::string& ours, const std::string& naive) {
    std::printf("  %-48s %6.1fx events/s  %6.1fx rows/s\n", what.c_str(), r.Ratio(ours, naive),
                r.Ratio(ours, naive, true));
  };
  std::string batched = std::to_string(flags.naive_batch);
  std::printf("\n");
  ratio("rebuild / naive (1 txn/event):", "rebuild", "naive_1");
  ratio("rebuild / naive (1 txn/event, sync commit off):", "rebuild", "naive_1_async_commit");
  ratio("rebuild / naive (1 txn/" + batched + " events):", "rebuild", "naive_" + batched);
  for (size_t batch : flags.incremental_batches) {
    std::string name = "incremental_" + std::to_string(batch);
    std::printf("  %-48s %6.1fx events/s\n",
                ("incremental " + std::to_string(batch) + "/txn / naive (1 txn/event):").c_str(),
                r.Ratio(name, "naive_1"));
  }
  const Measurement* rebuild = r.Find("rebuild");
  std::printf("\n  target: rebuild >= %.0f events/s: %s (%.0f events/s)\n",
              kRebuildTargetEventsPerSecond, r.TargetMet() ? "MET" : "MISSED",
              rebuild ? rebuild->EventsPerSecond() : 0.0);
  if (rebuild) {
    std::printf(
        "  rebuild phases: load %.2f s (fold, COPY of events and usage records), finish "
        "%.2f s (entity tables, keys and indexes on three connections, swap)\n",
        rebuild->load_seconds, rebuild->finish_seconds);
    PrintCpuBound(*rebuild);
  }
  if (r.breakdown) PrintBreakdown(*r.breakdown);
}

void PrintJson(const Flags& flags, const Report& r) {
  std::printf("{\"events\":%llu,\"orgs\":%d,\"usage_per_task\":%d,\"pg_version\":\"%s\",",
              static_cast<unsigned long long>(r.events), flags.orgs, flags.usage_per_task,
              r.settings.version.c_str());
  std::printf("\"fsync\":\"%s\",\"synchronous_commit\":\"%s\",\"build_seconds\":%.3f,\"runs\":[",
              r.settings.fsync.c_str(), r.settings.synchronous_commit.c_str(), r.build_seconds);
  for (size_t i = 0; i < r.runs.size(); ++i) {
    const Measurement& m = r.runs[i];
    std::printf(
        "%s{\"name\":\"%s\",\"events\":%llu,\"rows\":%lld,\"transactions\":%llu,"
        "\"seconds\":%.3f,\"events_per_sec\":%.0f,\"rows_per_sec\":%.0f,\"cpu_seconds\":%.3f,"
        "\"pg_cpu_seconds\":%.3f}",
        i ? "," : "", m.name.c_str(), static_cast<unsigned long long>(m.events),
        static_cast<long long>(m.rows), static_cast<unsigned long long>(m.transactions), m.seconds,
        m.EventsPerSecond(), m.RowsPerSecond(), m.cpu_seconds, m.pg_cpu_seconds);
  }
  std::string batched = "naive_" + std::to_string(flags.naive_batch);
  std::printf(
      "],\"rebuild_vs_naive_per_event\":%.2f,\"rebuild_vs_naive_async_commit\":%.2f,"
      "\"rebuild_vs_naive_batched\":%.2f,\"rebuild_target_met\":%s",
      r.Ratio("rebuild", "naive_1"), r.Ratio("rebuild", "naive_1_async_commit"),
      r.Ratio("rebuild", batched), r.TargetMet() ? "true" : "false");
  if (const Measurement* rebuild = r.Find("rebuild")) {
    std::printf(",\"rebuild_load_seconds\":%.3f,\"rebuild_finish_seconds\":%.3f",
                rebuild->load_seconds, rebuild->finish_seconds);
  }
  if (const auto& b = r.breakdown) {
    std::printf(
        ",\"breakdown_seconds\":{\"read\":%.3f,\"fold\":%.3f,\"event_rows\":%.3f,"
        "\"usage_rows\":%.3f,\"entity_rows\":%.3f,\"copy_encode\":%.3f,\"copy_events\":%.3f,"
        "\"copy_usage\":%.3f,\"copy_entities\":%.3f,\"indexes\":%.3f},\"copy_bytes\":%llu",
        b->read, b->fold, b->event_rows, b->usage_rows, b->entity_rows, b->copy_encode,
        b->copy_events, b->copy_usage, b->copy_entities, b->indexes,
        static_cast<unsigned long long>(b->copy_bytes));
  }
  std::printf("}\n");
}

// SIGINT/SIGTERM: stop the private PostgreSQL and remove the temporary log,
// then exit; the main thread may be deep in a run. The signal thread holds
// the mutex until the process is gone, so the main thread (which may fail
// meanwhile, its PostgreSQL stopping) cannot tear down what the cleanup uses.
std::mutex cleanup_mutex;
std::function<void()> cleanup_on_signal;

int Run(Flags flags) {
  std::unique_ptr<PrivatePostgres> server;
  auto input = std::make_unique<Input>();
  cleanup_on_signal = [&] {
    if (server) server->Stop();
    std::error_code ignored;
    if (!input->directory().empty()) std::filesystem::remove_all(input->directory(), ignored);
  };
  // Declared after what it cleans: forgets the references before they go.
  struct Forget {
    ~Forget() {
      std::lock_guard lock(cleanup_mutex);
      cleanup_on_signal = nullptr;
    }
  } forget;
  auto fail = [](const Status& status) {
    std::cerr << "projection-bench: " << status.ToString() << "\n";
    return 1;
  };
  if (flags.pg.empty()) {
    Result<std::unique_ptr<PrivatePostgres>> started =
        PrivatePostgres::Start(std::string(LEDGER_SOURCE_DIR) + "/tools/pg.sh");
    if (!started.ok()) return fail(started.status());
    server = std::move(started).value();
    flags.pg = server->conninfo();
    if (!flags.json)
      std::fprintf(stderr, "private PostgreSQL in %s\n", server->directory().c_str());
  }
  pg_cpu_meter = PgCpuMeter::Find(flags.pg);
  Report report;
  Result<PgSettings> settings = ReadPgSettings(flags.pg);
  if (!settings.ok()) return fail(settings.status());
  report.settings = *settings;
  if (!flags.json)
    std::fprintf(stderr, "building the input (%llu events)...\n",
                 static_cast<unsigned long long>(flags.events));
  Status built = input->Build(flags);
  if (!built.ok()) return fail(built);
  report.events = input->events();
  report.build_seconds = input->build_seconds();
  Status measured = Measure(flags, *input, &report);
  if (!measured.ok()) return fail(measured);
  flags.json ? PrintJson(flags, report) : PrintTable(flags, report);
  return 0;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  ledger::bench::Flags flags;
  CLI::App app{
      "projection-bench: ledger-project's rebuild and incremental projector against a naive\n"
      "row-by-row INSERT projector, over one generated history, in one run. Without --pg it\n"
      "starts a private PostgreSQL (tools/pg.sh) and removes it at the end."};
  app.add_option("--pg", flags.pg, "libpq conninfo of a PostgreSQL to use (schemas bench_*)");
  app.add_option("--events", flags.events, "events in the generated history (about)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1000}, uint64_t{100'000'000}));
  app.add_option("--orgs", flags.orgs, "orgs, interleaved in the feed")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--employees-per-org", flags.employees_per_org, "employees per org")
      ->capture_default_str()
      ->check(CLI::Range(2, 100'000));
  app.add_option("--usage-per-task", flags.usage_per_task, "UsageRecorded events per task")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--naive-events", flags.naive_events,
                 "events the naive projector writes (a prefix of the feed)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--naive-batch", flags.naive_batch, "events per transaction, batched naive run")
      ->capture_default_str()
      ->check(CLI::Range(size_t{2}, size_t{1'000'000}));
  app.add_option("--incremental-batches", flags.incremental_batches,
                 "events per transaction for the incremental Projector runs")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  app.add_option("--incremental-events", flags.incremental_events,
                 "events the incremental runs write (default: all)");
  app.add_flag("!--no-breakdown", flags.breakdown, "skip the rebuild's step-by-step timing");
  app.add_flag("--keep-schemas", flags.keep_schemas, "leave the bench_* schemas in place");
  app.add_flag("--json", flags.json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  ledger::tools::OnStopSignal([](int signal) {
    std::fprintf(stderr, "projection-bench: signal %d, cleaning up\n", signal);
    std::lock_guard lock(ledger::bench::cleanup_mutex);
    if (ledger::bench::cleanup_on_signal) ledger::bench::cleanup_on_signal();
    std::_Exit(128 + signal);
  });
  return ledger::bench::Run(flags);
}
