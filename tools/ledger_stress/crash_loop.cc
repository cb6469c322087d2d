#include "crash_loop.h"

#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "ack_check.h"
#include "heads.h"
#include "ledger/audit/signed_head.h"
#include "ledger/audit/source.h"
#include "ledger/server/tokens.h"
#include "read_models.h"
#include "services.h"
#include "workload.h"

namespace ledger::stress {

std::atomic<bool> stop_requested{false};

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long the projector may take to catch up with a paused load: it
// replays its whole state after a restart, on a loaded 2-core machine.
constexpr milliseconds kCatchUpTimeout{120'000};
// Older heads re-proven after each server restart, besides the heads
// fetched since the last one (all of them are re-proven at the end).
constexpr size_t kOlderHeadsPerCheck = 16;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// "12,345"
std::string Count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A disk that lost acknowledged writes, planted for --lose-wal-tail: RocksDB
// replays its WAL up to the cut on open and keeps what lies before it, so the
// server comes back without the newest events and only the checks can tell.
Status LoseWalTail(const std::string& db, uint64_t bytes) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path newest;
  uint64_t newest_number = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(db, error)) {
    std::string stem = entry.path().stem().string();
    if (entry.path().extension() != ".log" || stem.empty() ||
        stem.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    // Numbers outgrow the zero padding: compare them, not the names.
    uint64_t number = std::stoull(stem);
    if (newest.empty() || number > newest_number) {
      newest = entry.path();
      newest_number = number;
    }
  }
  if (error) return Status::Internal("--lose-wal-tail: listing " + db + ": " + error.message());
  if (newest.empty()) return Status::Internal("--lose-wal-tail: no WAL file (*.log) in " + db);
  uintmax_t before = fs::file_size(newest, error);
  uintmax_t after = before > bytes ? before - bytes : 0;
  if (!error) fs::resize_file(newest, after, error);
  if (error) {
    return Status::Internal("--lose-wal-tail: cutting " + newest.string() + ": " + error.message());
  }
  std::cerr << "lose-wal-tail: cut " << Count(before - after) << " bytes off " << newest.string()
            << " (" << Count(before) << " -> " << Count(after) << " bytes)" << std::endl;
  return Status::Ok();
}

class CrashLoop {
 public:
  CrashLoop(const StressOptions& options, std::string dir)
      : options_(options), dir_(std::move(dir)), random_(options.seed) {}

  Status Run(StressSummary* summary) {
    summary_ = summary;
    LEDGER_RETURN_IF_ERROR(SetUp());
    for (int kill = 1; kill <= options_.kills && !stop_requested; ++kill) {
      LEDGER_RETURN_IF_ERROR(Cycle(kill));
    }
    return FinalChecks();
  }

  // Stops the load and the processes; an unclean stop is an error.
  Status TearDown() {
    if (sampler_) sampler_->Stop();
    if (workload_) {
      workload_->Stop();
      const WorkloadCounts& counts = workload_->counts();
      summary_->commands_accepted = counts.commands_accepted;
      summary_->events_acknowledged = counts.events_acknowledged;
      summary_->outcome_unknown = counts.outcome_unknown;
    }
    checker_.reset();
    return services_ ? services_->StopAll() : Status::Ok();
  }

 private:
  Status SetUp() {
    Result<audit::SigningKey> key = audit::GenerateKeyFile(dir_ + "/signing.key");
    if (!key.ok()) return key.status();
    key_ = key->public_key;
    auto tokens = server::TokenStore::Open(server::TokenStorePath(dir_ + "/db"));
    if (!tokens.ok()) return tokens.status();
    server::TokenSpec admin;
    admin.admin = true;
    admin.note = "ledger-stress";
    Result<std::string> token = (*tokens)->Create(admin);
    if (!token.ok()) return token.status();
    token_ = *token;
    services_ = std::make_unique<Services>(options_, dir_, token_);
    LEDGER_RETURN_IF_ERROR(services_->StartLedgerd());
    if (!options_.pg.empty()) {
      models_ = std::make_unique<ReadModels>(options_.pg, services_->live_schema(),
                                             options_.schema + "_fresh");
      LEDGER_RETURN_IF_ERROR(models_->Reset());
      LEDGER_RETURN_IF_ERROR(services_->StartProjector());
    }
    client::ClientOptions client_options = ClientOptions("ledger-stress checker");
    Result<std::unique_ptr<client::Client>> checker = client::Client::Connect(client_options);
    if (!checker.ok()) return checker.status();
    checker_ = std::move(checker).value();
    WorkloadOptions load{
        services_->address(), token_,       options_.clients, options_.seed, options_.batch_max,
        options_.in_flight,   options_.rate};
    workload_ = std::make_unique<Workload>(load, &acks_);
    LEDGER_RETURN_IF_ERROR(workload_->Start());
    sampler_ = std::make_unique<HeadSampler>(&acks_, key_, options_.seed + 1);
    return sampler_->Start(ClientOptions("ledger-stress heads"), milliseconds(20));
  }

  client::ClientOptions ClientOptions(const std::string& name) {
    client::ClientOptions client_options;
    (void)client::ParseAddress(services_->address(), &client_options);
    client_options.token = token_;
    client_options.client_name = name;
    return client_options;
  }

  bool KillsServer() {
    switch (options_.target) {
      case Target::kServer:
        return true;
      case Target::kProjector:
        return false;
      case Target::kBoth:
        return random_() % 2 == 0;
    }
    return true;
  }

  // Sleeps about `ms` in short steps, so a signal is seen quickly.
  static void Sleep(int ms) {
    auto until = Clock::now() + milliseconds(ms);
    while (Clock::now() < until && !stop_requested) std::this_thread::sleep_for(milliseconds(5));
  }
  int Uniform(int low, int high) {
    return low + static_cast<int>(random_() % static_cast<uint64_t>(high - low + 1));
  }

  Status Cycle(int kill) {
    bool server = KillsServer();
    int run_ms = Uniform(options_.run_min_ms, options_.run_max_ms);
    uint64_t acked_before = acks_.events();
    Sleep(run_ms);
    auto started = Clock::now();
    if (server) {
      LEDGER_RETURN_IF_ERROR(services_->KillLedgerd());
      if (options_.lose_wal_tail > 0) {
        LEDGER_RETURN_IF_ERROR(LoseWalTail(services_->db(), options_.lose_wal_tail));
      }
      LEDGER_RETURN_IF_ERROR(services_->StartLedgerd());
      ++summary_->server_kills;
    } else {
      LEDGER_RETURN_IF_ERROR(services_->KillProjector());
      LEDGER_RETURN_IF_ERROR(services_->StartProjector());
      ++summary_->projector_kills;
    }
    double restart_ms = SecondsSince(started) * 1000;
    ++summary_->kills;
    // The clients reconnect and go on for a moment: the restarted process
    // resumes under load, then the checks see a log that stands still.
    Sleep(Uniform(50, 300));
    workload_->Pause();
    std::ostringstream line;
    line << "kill " << kill << "/" << options_.kills << ": "
         << (server ? "ledgerd" : "ledger-project") << " after " << run_ms << " ms, back in "
         << static_cast<int>(restart_ms) << " ms | acked +" << Count(acks_.events() - acked_before)
         << " (" << Count(acks_.events()) << ")";
    LEDGER_RETURN_IF_ERROR(Checks(acks_.TakeTouchedOrgs(), TakeHeadsToCheck(),
                                  kill % options_.models_every == 0 || kill == options_.kills,
                                  &line));
    line << std::fixed << std::setprecision(1) << " | " << SecondsSince(started) << " s";
    std::cerr << line.str() << std::endl;
    workload_->Resume();
    return Status::Ok();
  }

  // The heads fetched since the last check and a sample of older ones.
  std::vector<audit::SignedHead> TakeHeadsToCheck() {
    std::vector<audit::SignedHead> heads = sampler_->TakeHeads();
    std::vector<audit::SignedHead> older = sampler_->NewestPerOrg();
    for (size_t i = 0; i < kOlderHeadsPerCheck && !older.empty(); ++i) {
      heads.push_back(older[random_() % older.size()]);
    }
    return heads;
  }

  Status Checks(const std::vector<Uuid>& orgs, const std::vector<audit::SignedHead>& heads,
                bool models, std::ostringstream* line) {
    std::vector<std::string> load_errors = workload_->TakeErrors();
    if (!load_errors.empty()) return Status::Internal(load_errors.front());
    std::vector<std::string> head_errors = sampler_->TakeErrors();
    if (!head_errors.empty()) return Status::Tampered(head_errors.front());
    AckCheckCounts acked;
    LEDGER_RETURN_IF_ERROR(CheckAcknowledged(*checker_, acks_, orgs, &acked).WithContext("(a)"));
    ++summary_->ack_checks;
    summary_->events_checked += acked.acknowledged_checked;
    *line << " | (a) " << acked.orgs << " orgs read, " << Count(acked.acknowledged_checked)
          << " acked in place";
    uint64_t proven = 0;
    audit::SourceFlags source_flags;
    source_flags.connect = services_->address();
    source_flags.token = token_;
    Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(source_flags);
    if (!source.ok()) return source.status();
    LEDGER_RETURN_IF_ERROR(CheckHeadsExtended(**source, heads, key_, &proven).WithContext("(b)"));
    ++summary_->head_checks;
    summary_->heads_checked += proven;
    *line << " | (b) " << proven << " signed heads extended";
    if (models && models_) LEDGER_RETURN_IF_ERROR(CheckModels(line).WithContext("(c)"));
    return Status::Ok();
  }

  Status CheckModels(std::ostringstream* line) {
    LogOptions log_options;
    log_options.path = services_->db();
    log_options.master_key_path = services_->db() + ".master-key";
    log_options.create_if_missing = false;
    log_options.create_master_key = false;
    log_options.read_only = true;  // beside the running ledgerd
    Result<std::unique_ptr<EventLog>> log = EventLog::Open(log_options);
    if (!log.ok()) return log.status();
    uint64_t last = (*log)->LastGlobalSeq();
    summary_->last_global_seq = last;
    auto deadline = Clock::now() + kCatchUpTimeout;
    for (;;) {
      LEDGER_RETURN_IF_ERROR(services_->ProjectorRunning());
      Result<uint64_t> checkpoint = models_->LiveCheckpoint();
      if (checkpoint.ok() && *checkpoint > last) {
        return Status::Tampered("the read models hold global seq " + std::to_string(*checkpoint) +
                                " but the log ends at " + std::to_string(last));
      }
      if (checkpoint.ok() && *checkpoint == last) break;
      if (Clock::now() > deadline) {
        return Status::Internal(
            "ledger-project did not catch up with global seq " + std::to_string(last) +
            " in 120 s (at " +
            (checkpoint.ok() ? std::to_string(*checkpoint) : checkpoint.status().ToString()) + ")");
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    ReadModelCounts counts;
    LEDGER_RETURN_IF_ERROR(models_->RebuildAndCompare(**log, last, &counts));
    ++summary_->model_checks;
    *line << " | (c) read models = rebuild at global " << Count(last) << " (" << counts.tables
          << " tables, " << Count(counts.rows) << " rows)";
    return Status::Ok();
  }

  // Every org read back, the newest head of every org proven, the models.
  Status FinalChecks() {
    workload_->Pause();
    std::ostringstream line;
    line << "final: acked " << Count(acks_.events());
    acks_.TakeTouchedOrgs();
    LEDGER_RETURN_IF_ERROR(Checks(acks_.AllOrgs(), sampler_->NewestPerOrg(), true, &line));
    std::cerr << line.str() << std::endl;
    return Status::Ok();
  }

  const StressOptions& options_;
  std::string dir_;
  std::mt19937_64 random_;
  StressSummary* summary_ = nullptr;
  audit::PublicKey key_{};
  std::string token_;
  AckLog acks_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<ReadModels> models_;
  std::unique_ptr<client::Client> checker_;
  std::unique_ptr<Workload> workload_;
  std::unique_ptr<HeadSampler> sampler_;
};

}  // namespace

StressSummary RunCrashLoop(const StressOptions& options) {
  StressSummary summary;
  auto started = Clock::now();
  std::string dir = options.work_dir;
  if (dir.empty()) {
    char pattern[] = "/tmp/ledger-stress-XXXXXX";
    if (!mkdtemp(pattern)) {
      std::cerr << "ledger-stress: cannot create a work directory under /tmp\n";
      return summary;
    }
    dir = pattern;
  } else {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (std::filesystem::exists(dir + "/db")) {
      std::cerr << "ledger-stress: " << dir << " holds an earlier run (db/): give an empty "
                << "--work-dir\n";
      return summary;
    }
  }
  std::cerr << "ledger-stress: seed " << options.seed << ", work dir " << dir << std::endl;
  Status status;
  {
    CrashLoop loop(options, dir);
    status = loop.Run(&summary);
    Status stopped = loop.TearDown();
    if (status.ok()) status = stopped;
  }
  summary.seconds = SecondsSince(started);
  summary.passed = status.ok() && !stop_requested;
  summary.stopped = status.ok() && stop_requested;
  if (!status.ok()) {
    std::cerr << "FAILED: " << status.ToString() << "\n(logs and the log directory kept in " << dir
              << ")" << std::endl;
  } else if (stop_requested) {
    std::cerr << "stopped by a signal after " << summary.kills << " kills" << std::endl;
  } else if (options.work_dir.empty() && !options.keep) {
    std::filesystem::remove_all(dir);
  }
  return summary;
}

}  // namespace ledger::stress
