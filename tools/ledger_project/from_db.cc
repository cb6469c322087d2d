// The feed from a RocksDB log directory: a rebuild, a catch-up, or a
// follower that polls for new events.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "feeds.h"
#include "ledger/event_log.h"

namespace ledger::project {
namespace {

Result<std::unique_ptr<EventLog>> OpenLog(const Flags& flags) {
  // RocksDB would create the directory (and LOCK, LOG) before refusing it.
  std::error_code error;
  if (!std::filesystem::is_directory(flags.db, error)) {
    return Status::NotFound("no log at " + flags.db + ": not a directory");
  }
  LogOptions options;
  options.path = flags.db;
  options.master_key_path = flags.master_key.empty() ? flags.db + ".master-key" : flags.master_key;
  options.create_if_missing = false;
  options.create_master_key = false;
  Result<std::unique_ptr<EventLog>> log = EventLog::Open(options);
  if (!log.ok() && log.status().message().find("lock") != std::string::npos) {
    return log.status().WithContext("cannot open " + flags.db +
                                    " (is ledgerd running on it? then use --connect)");
  }
  return log;
}

int Rebuild(const Flags& flags, EventLog& log, projections::SealedOpener& opener) {
  ProgressLine progress("rebuilding: folded");
  size_t batch = flags.batch_events;
  Result<projections::RebuildStats> stats = projections::Rebuild(
      flags.projector, opener,
      [&](uint64_t from, std::vector<StoredEvent>* out) {
        if (stop_requested) return Status::Unavailable("stopped by a signal; nothing swapped in");
        return log.ReadGlobal(from, batch, out);
      },
      [&](uint64_t done) { progress.Update(done); });
  progress.Finish();
  if (!stats.ok()) return Fail(stats.status());
  std::cout << "rebuilt schema " << flags.projector.schema << ": " << stats->events << " events, "
            << stats->rows << " rows in " << stats->seconds << " s ("
            << static_cast<uint64_t>(stats->events / std::max(stats->seconds, 1e-9))
            << " events/s; load " << stats->load_seconds << " s, keys, indexes and swap "
            << stats->finish_seconds << " s)\n";
  return 0;
}

}  // namespace

int RunFromDb(const Flags& flags) {
  Result<std::unique_ptr<EventLog>> log = OpenLog(flags);
  if (!log.ok()) return Fail(log.status());
  std::unique_ptr<projections::SealedOpener> opener =
      projections::KeyOpener((*log)->subject_keys());
  if (flags.rebuild) return Rebuild(flags, **log, *opener);

  Result<std::unique_ptr<projections::Projector>> projector =
      projections::Projector::Open(flags.projector, *opener);
  if (!projector.ok()) return Fail(projector.status());
  projections::Projector& p = **projector;
  spdlog::info("schema {}: checkpoint at global sequence {}; the log has {}",
               flags.projector.schema, p.checkpoint(), (*log)->LastGlobalSeq());
  ProgressLine progress("projected");
  std::vector<StoredEvent> batch;
  while (!stop_requested) {
    batch.clear();
    Status read = (*log)->ReadGlobal(p.applied() + 1, flags.batch_events, &batch);
    if (!read.ok()) return Fail(read);
    if (batch.empty()) {
      if (!flags.follow) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    Status projected = p.Project(batch);
    if (!projected.ok()) return Fail(projected);
    progress.Update(p.stats().events_written);
  }
  progress.Finish();
  std::cout << "projected " << p.stats().events_written << " events in " << p.stats().batches
            << " transactions; checkpoint " << p.checkpoint() << "\n";
  return 0;
}

}  // namespace ledger::project
