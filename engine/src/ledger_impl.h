// Ledger's private half: the hot org states (LRU within a byte bound) and
// the Lookups the validator needs.
#pragma once

#include <list>
#include <mutex>
#include <unordered_map>

#include "decide.h"
#include "ledger/ledger.h"
#include "snapshot_worker.h"

namespace ledger {

// The org's state at min(max_version, its last event): newest snapshot at or
// before that, plus the events after it. *snapshot_version (if given) is the
// version of the snapshot used, 0 if none.
Result<State> LoadState(const EventLog& log, const Uuid& org, uint64_t max_version,
                        uint64_t* snapshot_version = nullptr);

class Ledger::Impl final : public Lookups {
 public:
  Impl(const LedgerOptions& options, std::unique_ptr<EventLog> log)
      : options_(options), log_(std::move(log)) {
    if (options_.snapshot_every > 0) {
      snapshots_ = std::make_unique<SnapshotWorker>(*log_, options_.snapshot_every);
    }
  }
  void WaitForSnapshots() {
    if (snapshots_) snapshots_->Drain();
  }

  std::vector<CommandResult> Submit(std::span<const Command> commands, SubmitTiming* timing);
  Status Recover();
  Result<State> CurrentState(const Uuid& org);
  LedgerStats stats() const;
  EventLog& log() { return *log_; }

  std::optional<Uuid> OrgWithSlug(std::string_view slug) override;
  std::optional<TemplateListing> FindTemplate(const Uuid& id) override;
  std::optional<std::string> Open(const fb::Sealed& sealed) override;
  bool IsForgotten(const Uuid& subject) override;

 private:
  struct Hot {
    State state;
    size_t accounted_bytes = 0;  // its share of hot_bytes_
    std::list<Uuid>::iterator lru;
  };
  // The org's current state, loaded if cold. REQUIRES: the submit thread.
  Result<Hot*> Load(const Uuid& org);
  void Evict(const Uuid& org);
  void EnforceBound();
  std::optional<std::string> Directory(const std::string& key);
  // Decides one command and applies its events to the hot state; appends
  // their bytes to `events` (views into `owned` or the command).
  void DecideOne(const Command& command, int64_t now, CommandResult* result);
  // Clears one chunk's work in progress.
  void ResetPending();
  // Appends the pending events of `results` (one chunk) in one synced write
  // and fills in their global positions; on failure evicts the orgs touched,
  // fails those results and returns the error.
  Status CommitPending(std::span<CommandResult> results, int64_t now, SubmitTiming* timing);

  LedgerOptions options_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<SnapshotWorker> snapshots_;  // declared after log_: stops first
  std::unordered_map<Uuid, Hot, UuidHash> hot_;
  std::list<Uuid> lru_;   // most recently used first
  size_t hot_bytes_ = 0;  // sum of accounted_bytes
  // Subjects whose key destruction failed after their event was durable.
  std::vector<Uuid> unfinished_forgets_;

  // One Submit's work in progress.
  std::vector<std::string_view> events_;
  std::list<std::string> owned_;  // derived events' bytes (stable addresses)
  std::vector<DirectoryEntry> directory_;
  std::unordered_map<std::string, std::string> pending_directory_;
  std::vector<Uuid> forget_;
  std::vector<Uuid> touched_;
  std::vector<std::pair<Uuid, uint64_t>> heads_;  // touched orgs' versions, for the snapshot worker

  mutable std::mutex stats_mutex_;
  LedgerStats stats_;
};

}  // namespace ledger
