// ledger-audit-bench: what an auditor waits for (issue 6), on one generated
// org per size, built through the write model (fsync off: this measures the
// reads, not ingestion):
//
//   verify   `ledger verify --db D --org O`: checksums, every leaf hash,
//            stored tree nodes and the root; events/s and MB/s of the
//            hashed bytes.
//   as-of    `ledger replay --db D --org O --at T` at random instants, the
//            whole command (process start, read-only open, snapshot plus
//            replay, JSON printing): p50/p99 ms; and the state
//            reconstruction alone in-process (AuditSource::StateAt).
//   export   `ledger export --db D --org O --format jsonl`: events/s and MB/s
//            of output.
//
// Every figure comes from the real binaries on a real RocksDB directory.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "ledger/audit/instant.h"
#include "ledger/audit/source.h"
#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"

namespace ledger {
namespace {

using bench::Clock;
using bench::Seconds;

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

[[noreturn]] void Die(const std::string& what, const Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

struct Org {
  Uuid id;
  uint64_t events = 0;
  uint64_t hashed_bytes = 0;  // sum of stored bodies: what verification hashes
  int64_t first_at = 0;
  int64_t last_at = 0;
};

Org BuildOrg(Ledger& ledger, uint64_t events) {
  auto history = tools::GenerateHistory(bench::SizedHistory(events), ledger.log().subject_keys());
  if (!history.ok()) Die("generate", history.status());
  std::vector<Command> batch;
  for (size_t start = 0; start < history->events.size(); start += 1000) {
    batch.clear();
    size_t end = std::min(history->events.size(), start + 1000);
    for (size_t i = start; i < end; ++i) batch.push_back({history->events[i], std::nullopt});
    for (const CommandResult& result : ledger.Submit(batch)) {
      if (!result.status.ok()) Die("submit", result.status);
    }
  }
  ledger.WaitForSnapshots();
  Org org;
  org.id = history->orgs.front();
  org.events = ledger.log().Head(org.id)->size;
  Status scanned = ledger.log().ScanOrg(org.id, 1, org.events, [&](const StoredEvent& event) {
    org.hashed_bytes += event.body.size();
    if (org.first_at == 0) org.first_at = event.position.recorded_at;
    org.last_at = event.position.recorded_at;
    return Status::Ok();
  });
  if (!scanned.ok()) Die("scan", scanned);
  return org;
}

// Runs a shell command; exits the bench if it fails (a figure from a failed
// run would be a lie).
double TimedRun(const std::string& command) {
  auto start = Clock::now();
  int status = std::system(command.c_str());
  double seconds = Seconds(start);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "failed (%d): %s\n", status, command.c_str());
    std::exit(1);
  }
  return seconds;
}

void Measure(const std::string& cli, const std::string& db, const Org& org, int samples) {
  const std::string source = " --db " + db + " --org " + org.id.ToString();
  const double mb = org.hashed_bytes / 1e6;

  double verify = TimedRun(cli + " verify" + source + " > /dev/null");

  std::string out = db + ".export.jsonl";
  double exported = TimedRun(cli + " export" + source + " --format jsonl --out " + out);
  double out_mb = std::filesystem::file_size(out) / 1e6;
  std::filesystem::remove(out);

  std::mt19937_64 random(org.events);
  auto instant = [&] {
    return org.first_at + static_cast<int64_t>(random() % (org.last_at - org.first_at + 1));
  };
  std::vector<double> cli_ms;
  for (int i = 0; i < samples; ++i) {
    cli_ms.push_back(1000 * TimedRun(cli + " replay" + source + " --at " +
                                     audit::FormatInstant(instant()) + " > /dev/null"));
  }
  audit::SourceFlags flags;
  flags.db = db;
  auto opened = audit::AuditSource::Open(flags);
  if (!opened.ok()) Die("open", opened.status());
  std::vector<double> state_ms;
  for (int i = 0; i < samples * 5; ++i) {
    audit::Instant at;
    at.recorded_at = instant();
    at.text = audit::FormatInstant(at.recorded_at);
    auto start = Clock::now();
    Result<uint64_t> version = audit::ResolveVersion(**opened, org.id, at);
    if (!version.ok()) Die("resolve", version.status());
    Result<State> state = (*opened)->StateAt(org.id, *version);
    if (!state.ok()) Die("state", state.status());
    state_ms.push_back(1000 * Seconds(start));
  }
  std::printf("| %9llu | %7.1f | %9.0f | %6.1f | %9.0f | %6.1f | %7.1f | %7.1f | %7.1f | %7.1f |\n",
              static_cast<unsigned long long>(org.events), mb, org.events / verify, mb / verify,
              org.events / exported, out_mb / exported, Percentile(cli_ms, 0.5),
              Percentile(cli_ms, 0.99), Percentile(state_ms, 0.5), Percentile(state_ms, 0.99));
  std::fflush(stdout);
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  using namespace ledger;
  std::vector<uint64_t> sizes = {10'000, 100'000, 1'000'000};
  std::string cli = LEDGER_CLI_BINARY;
  int samples = 20;
  std::string keep_dir;  // --dir: build there and keep it, for profiling
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      sizes = {2'000, 20'000};
      samples = 5;
    } else if (arg.rfind("--sizes=", 0) == 0) {
      sizes.clear();
      for (size_t at = 8; at < arg.size();) {
        size_t comma = arg.find(',', at);
        sizes.push_back(std::stoull(arg.substr(at, comma - at)));
        at = comma == std::string::npos ? arg.size() : comma + 1;
      }
    } else if (arg.rfind("--dir=", 0) == 0) {
      keep_dir = arg.substr(6);
    } else if (arg.rfind("--ledger=", 0) == 0) {
      cli = arg.substr(9);
    } else {
      std::fprintf(
          stderr,
          "usage: ledger-audit-bench [--quick] [--sizes=N,N,...] [--dir=PATH] [--ledger=PATH]\n"
          "Times `ledger verify`, `ledger export` and `ledger replay` on one\n"
          "generated org per size (default 10k, 100k and 1M events); --dir keeps the log.\n");
      return 2;
    }
  }
  std::filesystem::path dir = keep_dir.empty()
                                  ? std::filesystem::temp_directory_path() /
                                        ("ledger-audit-bench-" + std::to_string(::getpid()))
                                  : std::filesystem::path(keep_dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "db").string();
  std::vector<Org> orgs;
  {
    LedgerOptions options;
    options.log.path = db;
    options.log.master_key_path = db + ".master-key";
    options.log.sync = false;
    auto ledger = Ledger::Open(options);
    if (!ledger.ok()) Die("open", ledger.status());
    for (uint64_t size : sizes) {
      auto start = Clock::now();
      orgs.push_back(BuildOrg(**ledger, size));
      std::fprintf(stderr, "built an org of %llu events in %.1f s\n",
                   static_cast<unsigned long long>(orgs.back().events), Seconds(start));
    }
  }
  std::printf(
      "| events    | MB      | verify/s  | MB/s   | export/s  | MB/s   | replay  | replay  "
      "| state   | state   |\n");
  std::printf(
      "|           | hashed  | events    | hashed | events    | jsonl  | p50 ms  | p99 ms  "
      "| p50 ms  | p99 ms  |\n");
  std::printf(
      "|-----------|---------|-----------|--------|-----------|--------|---------|---------"
      "|---------|---------|\n");
  for (const Org& org : orgs) Measure(cli, db, org, samples);
  if (keep_dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
