// ledger-state-bench: what the command layer and state queries cost.
//
//   validate+apply  Decide + Apply per command, in memory (no log I/O), over
//                   a generated org history.
//   replay          full replay of one org from RocksDB (read, verify, Apply)
//                   on one core, and Apply alone over events already in memory.
//   as-of           StateAsOf latency at random instants for orgs of 1k, 100k
//                   and 1M events, with snapshots (every --snapshot-every
//                   events) and without (replay from the first event).
//
// Targets (issue 3): replay >= 1M events/s on one core; as-of p50 < 20 ms at
// 1M events, flat as history grows.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_util.h"
#include "decide.h"
#include "ledger/apply.h"
#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"

namespace ledger {
namespace {

using bench::Clock;
using bench::Seconds;

// Unpacks of the final state timed, for a median (--unpack-repeats).
int unpack_repeats = 9;

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

struct Org {
  Uuid id;
  uint64_t events = 0;
  int64_t first_at = 0;
  int64_t last_at = 0;
};

// Lookups over one ledger's directory, for timing Decide outside Submit.
class BenchLookups final : public Lookups {
 public:
  explicit BenchLookups(EventLog& log) : log_(log) {}
  std::optional<Uuid> OrgWithSlug(std::string_view) override { return std::nullopt; }
  std::optional<TemplateListing> FindTemplate(const Uuid&) override { return std::nullopt; }
  bool IsForgotten(const Uuid& subject) override {
    return log_.subject_keys().IsForgotten(subject);
  }
  std::optional<std::string> Open(const fb::Sealed& sealed) override {
    auto opened = log_.subject_keys().Open(sealed);
    return opened.ok() ? *opened : std::nullopt;
  }

 private:
  EventLog& log_;
};

// LLM calls recorded per task: usage dominates a real org's history, and
// the ratio of usage to missions sets how fast the org's state grows.
int usage_per_task = 20;

// Builds an org of about `events` events through the write model (fsync off:
// this measures queries, not ingestion).
Org BuildOrg(Ledger& ledger, uint64_t events, std::vector<std::string>* commands_out) {
  auto history = tools::GenerateHistory(bench::SizedHistory(events, usage_per_task),
                                        ledger.log().subject_keys());
  if (!history.ok()) {
    std::fprintf(stderr, "generate: %s\n", history.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<Command> batch;
  for (size_t start = 0; start < history->events.size(); start += 1000) {
    batch.clear();
    size_t end = std::min(history->events.size(), start + 1000);
    for (size_t i = start; i < end; ++i) batch.push_back({history->events[i], std::nullopt});
    for (const CommandResult& result : ledger.Submit(batch)) {
      if (!result.status.ok()) {
        std::fprintf(stderr, "submit: %s\n", result.status.ToString().c_str());
        std::exit(1);
      }
    }
  }
  ledger.WaitForSnapshots();
  Org org;
  org.id = history->orgs.front();
  org.events = ledger.log().Head(org.id)->size;
  org.first_at = ledger.log().Get(org.id, 1)->position.recorded_at;
  org.last_at = ledger.log().Get(org.id, org.events)->position.recorded_at;
  if (commands_out) *commands_out = std::move(history->events);
  return org;
}

void ValidateAndApply(Ledger& ledger, const Org& org, const std::vector<std::string>& commands) {
  // Decide each command against the state just before it, then apply it:
  // exactly the write model's per-command work, minus the append.
  State state;
  state.org = org.id;
  BenchLookups lookups(ledger.log());
  int64_t now = org.first_at;
  auto start = Clock::now();
  size_t rejected = 0;
  for (const std::string& bytes : commands) {
    const fb::Event& event = *flatbuffers::GetRoot<fb::Event>(bytes.data());
    Decision decision;
    if (Decide(state, event, lookups, &decision)) {
      ++rejected;
      continue;
    }
    Apply(state, event, {org.id, state.version + 1, 0, ++now});
    for (const std::string& derived : decision.derived) {
      Apply(state, *flatbuffers::GetRoot<fb::Event>(derived.data()),
            {org.id, state.version + 1, 0, ++now});
    }
  }
  double seconds = Seconds(start);
  std::printf("validate+apply: %zu commands in %.3f s = %.2f us/command (%.0f commands/s)%s\n",
              commands.size(), seconds, seconds * 1e6 / commands.size(), commands.size() / seconds,
              rejected ? " [some rejected!]" : "");
}

void Replay(Ledger& ledger, const Org& org) {
  // Best of three: RocksDB may still be compacting what was just written.
  double best = 0;
  std::string runs;
  for (int run = 0; run < 3; ++run) {
    State state;
    state.org = org.id;
    auto start = Clock::now();
    Status replayed = ReplayInto(ledger.log(), org.events, &state);
    double seconds = Seconds(start);
    if (!replayed.ok()) std::fprintf(stderr, "replay: %s\n", replayed.ToString().c_str());
    double rate = org.events / seconds / 1e6;
    best = std::max(best, rate);
    char text[32];
    std::snprintf(text, sizeof text, "%s%.2f", run ? ", " : "", rate);
    runs += text;
  }
  std::printf(
      "replay from RocksDB (read + verify + apply, 1 core): %llu events, best %.2f M events/s"
      " (runs: %s)\n",
      static_cast<unsigned long long>(org.events), best, runs.c_str());

  std::vector<StoredEvent> events;
  for (uint64_t next = 1; next <= org.events; next += 100'000) {
    if (!ledger.log().ReadOrg(org.id, next, 100'000, &events).ok()) break;
  }
  State applied;
  applied.org = org.id;
  auto start = Clock::now();
  for (const StoredEvent& event : events) Apply(applied, *event.event(), event.position);
  double seconds = Seconds(start);
  std::printf("apply only (events in memory): %.2f M events/s\n", events.size() / seconds / 1e6);
  start = Clock::now();
  std::string packed = PackState(applied);
  double pack_ms = Seconds(start) * 1000;
  // One unpack is a noisy sample on a shared machine: the median of several,
  // each state destroyed outside its timing, as a query's would be. Missions
  // and tasks stay packed until used, so "all" also walks both lists, which
  // unpacks every one of them: what a caller that reads the whole state pays.
  std::vector<double> unpack_ms, unpack_all_ms;
  bool unpacked_ok = true;
  for (int i = 0; i < unpack_repeats; ++i) {
    start = Clock::now();
    Result<State> unpacked = UnpackState(packed);
    unpack_ms.push_back(Seconds(start) * 1000);
    unpacked_ok = unpacked_ok && unpacked.ok();
    if (!unpacked.ok()) continue;
    start = Clock::now();
    Result<State> all = UnpackState(packed);
    size_t walked = 0;
    if (all.ok()) {
      for (const auto& entry : all->missions) walked += !entry.second.id.empty();
      for (const auto& entry : all->tasks) walked += !entry.second.id.empty();
    }
    unpack_all_ms.push_back(Seconds(start) * 1000);
    unpacked_ok =
        unpacked_ok && all.ok() && walked == applied.missions.size() + applied.tasks.size();
  }
  std::sort(unpack_ms.begin(), unpack_ms.end());
  std::sort(unpack_all_ms.begin(), unpack_all_ms.end());
  std::printf(
      "state of the org: %zu employees, %zu missions, %zu tasks; snapshot %.1f MB, "
      "pack %.1f ms, unpack %.1f ms (median of %d, min %.1f), unpack and walk every mission "
      "and task %.1f ms%s\n",
      applied.employees.size(), applied.missions.size(), applied.tasks.size(), packed.size() / 1e6,
      pack_ms, unpack_ms[unpack_ms.size() / 2], unpack_repeats, unpack_ms.front(),
      unpack_all_ms.empty() ? 0.0 : unpack_all_ms[unpack_all_ms.size() / 2],
      unpacked_ok ? "" : " [unpack failed]");
}

void AsOf(Ledger& ledger, const Org& org, int samples) {
  std::mt19937_64 random(org.events);
  std::vector<double> with, without;
  for (int i = 0; i < samples; ++i) {
    int64_t t = org.first_at + static_cast<int64_t>(random() % (org.last_at - org.first_at + 1));
    auto start = Clock::now();
    Result<State> state = ledger.StateAsOf(org.id, t);
    with.push_back(Seconds(start) * 1000);
    if (!state.ok()) std::fprintf(stderr, "as-of: %s\n", state.status().ToString().c_str());
  }
  int slow_samples = org.events > 200'000 ? 5 : samples;
  for (int i = 0; i < slow_samples; ++i) {
    int64_t t = org.first_at + static_cast<int64_t>(random() % (org.last_at - org.first_at + 1));
    auto start = Clock::now();
    Result<uint64_t> version = ledger.log().OrgSeqAsOf(org.id, t);
    State state;
    state.org = org.id;
    if (version.ok()) (void)ReplayInto(ledger.log(), *version, &state);
    without.push_back(Seconds(start) * 1000);
  }
  std::printf("| %9llu | %8.2f | %8.2f | %11.2f | %11.2f |\n",
              static_cast<unsigned long long>(org.events), Percentile(with, 0.5),
              Percentile(with, 0.99), Percentile(without, 0.5), Percentile(without, 0.99));
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  using namespace ledger;
  std::vector<uint64_t> sizes = {1'000, 100'000, 1'000'000};
  uint64_t snapshot_every = limits::kSnapshotEveryDefault;
  int as_of_samples = 100;  // more for a profile of the as-of path
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      sizes = {1'000, 20'000};
    } else if (arg.rfind("--sizes=", 0) == 0) {
      sizes.clear();
      for (size_t at = 8; at < arg.size();) {
        size_t comma = arg.find(',', at);
        sizes.push_back(std::stoull(arg.substr(at, comma - at)));
        at = comma == std::string::npos ? arg.size() : comma + 1;
      }
    } else if (arg.rfind("--usage-per-task=", 0) == 0) {
      usage_per_task = std::stoi(arg.substr(17));
    } else if (arg.rfind("--snapshot-every=", 0) == 0) {
      snapshot_every = std::stoull(arg.substr(17));
    } else if (arg.rfind("--as-of-samples=", 0) == 0) {
      as_of_samples = std::max(1, std::stoi(arg.substr(16)));
    } else if (arg.rfind("--unpack-repeats=", 0) == 0) {
      unpack_repeats = std::max(1, std::stoi(arg.substr(17)));
    } else {
      std::fprintf(stderr,
                   "usage: ledger-state-bench [--quick] [--sizes=N,N,...] [--usage-per-task=N] "
                   "[--snapshot-every=N] [--as-of-samples=N] [--unpack-repeats=N]\n");
      return 2;
    }
  }
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ledger-state-bench-" + std::to_string(::getpid()));
  std::vector<Org> orgs;
  LedgerOptions options;
  options.log.path = (dir / "db").string();
  options.log.master_key_path = (dir / "master-key").string();
  options.log.sync = false;
  options.snapshot_every = snapshot_every;
  std::filesystem::create_directories(dir);
  {
    auto ledger = Ledger::Open(options);
    if (!ledger.ok()) {
      std::fprintf(stderr, "open: %s\n", ledger.status().ToString().c_str());
      return 1;
    }
    for (uint64_t size : sizes) {
      auto start = std::chrono::steady_clock::now();
      std::vector<std::string> commands;
      orgs.push_back(
          BuildOrg(**ledger, size, size == sizes[sizes.size() / 2] ? &commands : nullptr));
      std::printf("built an org of %llu events through Submit in %.1f s\n",
                  static_cast<unsigned long long>(orgs.back().events), Seconds(start));
      if (!commands.empty()) ValidateAndApply(**ledger, orgs.back(), commands);
    }
    Replay(**ledger, orgs.back());
    std::printf("\nas-of latency, ms (snapshot every %llu events; %d usage events per task):\n",
                static_cast<unsigned long long>(snapshot_every), usage_per_task);
    std::printf("| %9s | %8s | %8s | %11s | %11s |\n", "events", "p50", "p99", "no-snap p50",
                "no-snap p99");
    std::printf("|-----------|----------|----------|-------------|-------------|\n");
    std::fflush(stdout);
    for (const Org& org : orgs) AsOf(**ledger, org, as_of_samples);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
