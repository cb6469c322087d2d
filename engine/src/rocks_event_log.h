// EventLog on RocksDB. Column families (grammar in schemas/README.md):
//   events        org:16 org_seq:be64      -> event record (record.h)
//   global        first_global_seq:be64    -> run of one org's events in one batch
//   tree          org:16 level:u8 index:be64 -> stored Merkle node (tree_reader.h)
//   orgs          org:16                   -> org state (org_state.h)
//   subject_keys  subject:16               -> wrapped data key (subject_key_store.h)
//   directory     text key                 -> checksummed value (decide.h)
//   snapshots     org:16 version:be64      -> checksummed ledger.state.OrgState
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ledger/event_log.h"
#include "org_state.h"
#include "parallel_for.h"
#include "record.h"
#include "subject_key_store.h"

namespace ledger {

// The RocksDB options the log runs with; the raw-RocksDB benchmark uses the
// same so that its comparison is fair.
rocksdb::Options LogRocksOptions();

class RocksEventLog final : public EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> Open(const LogOptions& options);
  ~RocksEventLog() override;

  using EventLog::Append;
  Result<std::vector<Position>> Append(std::span<const std::string_view> events,
                                       const AppendOptions& options) override;
  Result<std::optional<std::string>> GetDirectory(std::string_view key) const override;
  Status PutSnapshot(const Uuid& org, const Snapshot& snapshot) override;
  Result<bool> VisitSnapshotAtOrBefore(const Uuid& org, uint64_t max_version,
                                       const SnapshotVisitor& visit) const override;
  using EventLog::SharedSnapshotAtOrBefore;
  Result<std::optional<SharedSnapshot>> SharedSnapshotAtOrBefore(
      const Uuid& org, uint64_t max_version, const SnapshotFound& found,
      SnapshotCheck check) const override;
  Result<uint64_t> SnapshotVersionAtOrBefore(const Uuid& org, uint64_t max_version) const override;
  Status ReadOrg(const Uuid& org, uint64_t from_seq, size_t max_events,
                 std::vector<StoredEvent>* out) const override;
  Status ScanOrg(const Uuid& org, uint64_t from_seq, uint64_t to_seq,
                 const std::function<Status(const StoredEvent&)>& visit) const override;
  Status ReadGlobal(uint64_t from_global_seq, size_t max_events,
                    std::vector<StoredEvent>* out) const override;
  Result<StoredEvent> Get(const Uuid& org, uint64_t org_seq) const override;
  Result<uint64_t> OrgSeqAsOf(const Uuid& org, int64_t recorded_at) const override;
  Result<TreeHead> Head(const Uuid& org) const override;
  Result<TreeHead> HeadAt(const Uuid& org, uint64_t size) const override;
  Result<Digest> SubtreeHash(const Uuid& org, uint64_t begin, uint64_t end) const override;
  Status VerifyOrg(const Uuid& org) const override;
  Result<std::vector<Uuid>> Orgs() const override;
  uint64_t LastGlobalSeq() const override { return last_global_seq_.load(); }
  Status ProbeStorage(size_t bytes) const override;
  Status Reopen() override;
  SubjectKeys& subject_keys() override {
    if (subject_keys_) return *subject_keys_;
    return *missing_keys_;
  }

 private:
  enum Column {
    kDefault,
    kEvents,
    kGlobal,
    kTree,
    kOrgs,
    kSubjectKeys,
    kDirectory,
    kSnapshots,
    kColumnCount
  };
  // One org's slice of a batch being built.
  struct OrgRun {
    Uuid org;
    OrgState state;                     // staged: becomes current after the write
    std::vector<size_t> event_indexes;  // into the Append input, in order
  };

  explicit RocksEventLog(const LogOptions& options);
  // Finds the newest snapshot of `org` at or before max_version by its mark
  // (rocks_event_log_aside.cc) and calls `found` with its version and stored
  // size, and a null `stored`. A snapshot written before marks existed has
  // none: the seek then lands on the snapshot itself and reads it, and
  // `stored` points to its stored value (checksum and state), valid only
  // during the call. Returns whether there was one. The size is a hint: 0
  // if the mark is damaged.
  using SnapshotSeen = std::function<Status(uint64_t version, uint64_t stored_bytes,
                                            const std::string_view* stored)>;
  Result<bool> SeekSnapshot(const Uuid& org, uint64_t max_version, const SnapshotSeen& found) const;
  // The stored value (checksum and state) of the org's snapshot at `version`,
  // pinned where RocksDB read it (a blob's own buffer: no copy).
  Status ReadSnapshot(const Uuid& org, uint64_t version, rocksdb::PinnableSlice* stored) const;
  Status OpenDatabase();
  Status OpenSubjectKeys();
  // Flushes (a clean close) if asked, then closes; safe if already closed.
  void CloseDatabase(bool flush);
  Status LoadLastGlobalSeq();
  // The org's committed state (size 0 if the org has no events yet).
  Result<OrgState> LoadOrgState(const Uuid& org) const;
  // Append's steps, in order. REQUIRES: append_mutex_ held.
  Status CheckEvents(std::span<const std::string_view> events);
  Status GroupByOrg(size_t event_count, std::vector<OrgRun>* runs);
  void AssignPositions(std::vector<OrgRun>& runs, int64_t now, std::vector<Position>* positions);
  void EncodePrefixes(std::span<const std::string_view> events,
                      const std::vector<Position>& positions);
  void AddRun(std::span<const std::string_view> events, OrgRun& run,
              const std::vector<Position>& positions, rocksdb::WriteBatch* batch);
  Status ReadRun(std::string_view index_value, uint64_t run_first_global, uint64_t from_global_seq,
                 size_t max_events, std::vector<StoredEvent>* out) const;

  LogOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> columns_;
  std::unique_ptr<SubjectKeyStore> subject_keys_;
  // A read-only log opened without its master key: every Seal or Open fails.
  std::unique_ptr<SubjectKeys> missing_keys_;
  std::mutex append_mutex_;  // enforces the one-writer contract
  // Per-event results of the current Append, kept to reuse their memory.
  // Guarded by append_mutex_.
  std::vector<Uuid> event_orgs_;
  std::vector<Status> event_checks_;
  std::vector<record::Prefix> prefixes_;
  ParallelFor parallel_;
  std::atomic<uint64_t> last_global_seq_{0};
  // Committed org states. Guarded by state_mutex_; bounded by kOrgCacheMax.
  mutable std::mutex state_mutex_;
  mutable std::unordered_map<Uuid, OrgState, UuidHash> org_states_;
};

}  // namespace ledger
