// The event log: an append-only, per-org Merkle-chained log in RocksDB.
//
// Guarantees:
//  - Append is atomic: every event of a call is written in one WriteBatch with
//    one synced write, or none is. When Append returns OK the events are on
//    disk (fsynced, unless Options::sync is off for benchmarks).
//  - Each org's events get consecutive org sequences from 1, strictly
//    increasing recorded_at, and extend that org's RFC 6962 Merkle tree.
//  - Every read checks each record's checksum and structure; errors name the
//    org and sequence.
// Thread safety: one thread appends at a time (the sequencer); any number of
// threads may read concurrently with it and see only committed groups.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/clock.h"
#include "ledger/merkle.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"
#include "ledger/subject_keys.h"
#include "ledger/uuid.h"

namespace rocksdb {
class Env;
}

namespace ledger {

struct LogOptions {
  std::string path;
  // 32-byte master key (64 hex chars) that wraps the per-subject data keys.
  // Keep it outside the database directory.
  std::string master_key_path;
  bool create_if_missing = true;
  // Open RocksDB's read-only instance: a static view of the log as of
  // opening, safe while another process (ledgerd) writes it. Writes fail;
  // a missing master key leaves personal fields sealed (opening them fails).
  bool read_only = false;
  // Create the master key file (mode 0600) if it does not exist.
  bool create_master_key = true;
  // fsync every Append. Turning it off breaks the durability promise: only
  // for benchmarks that say so.
  bool sync = true;
  // Microseconds since the epoch; tests inject their own. Default: system clock.
  std::function<int64_t()> clock;
  // The injected clock's reading, or the wall clock's.
  int64_t Now() const { return clock ? clock() : NowMicros(); }
  // The RocksDB environment (and so file system) to run on; null: the
  // default. Tests pass one that injects I/O faults. Not owned: it must
  // outlive the log.
  rocksdb::Env* env = nullptr;
  // Bytes of each column family's memtable; 0: the default (64 MiB). Tests
  // set a small one so that a few appends flush and compact tables.
  size_t memtable_bytes = 0;
};

// A key/value the command layer records beside events, in the same atomic
// batch: cross-org facts such as which org uses a slug (decide.h).
struct DirectoryEntry {
  std::string key;
  std::string value;
};

struct AppendOptions {
  // Written in the same atomic batch as the events.
  std::span<const DirectoryEntry> directory;
  // The commit clock for this append, in microseconds; 0: read the log's
  // clock. The command layer passes its own reading so that it can compute
  // the positions (org_seq, recorded_at = max(now, previous + 1)) before the
  // append, exactly as the log will assign them.
  int64_t now = 0;
};

// A packed org state (state.h) covering the org's events 1..version.
struct Snapshot {
  uint64_t version = 0;
  std::string state;
};

// A snapshot's state bytes held by `owner`, shared with whatever is
// unpacked from them (state.h: the lists that grow with an org's work stay packed there).
struct SharedSnapshot {
  uint64_t version = 0;
  std::string_view state;  // 8-byte aligned
  std::shared_ptr<const void> owner;
  // Set only when the reader asked to check the bytes itself
  // (SnapshotCheck::kByCaller): the XXH3-64 they must have.
  std::optional<uint64_t> unchecked_sum;

  // Whether the bytes are as written: checked on reading, or now.
  bool Intact() const;
};

// Who checks a snapshot's checksum: the read, before it returns, or the
// caller, with SharedSnapshot::Intact (on another core while it unpacks the
// bytes, which the FlatBuffers verifier makes safe whatever they hold).
enum class SnapshotCheck { kOnRead, kByCaller };

struct TreeHead {
  uint64_t size = 0;
  Digest root{};
};

class EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> Open(const LogOptions& options);
  virtual ~EventLog() = default;

  // Appends events, each a ledger.fb.Event FlatBuffer, for any number of orgs.
  // Returns their positions in input order. Nothing is written unless every
  // event verifies, names an org and the batch is within limits.
  // REQUIRES: no other thread is appending.
  virtual Result<std::vector<Position>> Append(std::span<const std::string_view> events,
                                               const AppendOptions& options) = 0;
  Result<std::vector<Position>> Append(std::span<const std::string_view> events) {
    return Append(events, AppendOptions{});
  }
  // A directory value; nullopt if the key was never written.
  virtual Result<std::optional<std::string>> GetDirectory(std::string_view key) const = 0;

  // Snapshots are a cache beside the log: written unsynced (a lost one is
  // rebuilt from events), checksummed, and never part of the hashed log.
  virtual Status PutSnapshot(const Uuid& org, const Snapshot& snapshot) = 0;
  // Calls `visit` with the newest snapshot of the org with version <=
  // max_version, its bytes valid only during the call (no copy of what can
  // be tens of MB, for a reader done with them by then). The bytes are
  // 8-byte aligned, as FlatBuffers needs. Returns
  // whether there was one. A snapshot failing its checksum
  // is an error, and is not visited.
  using SnapshotVisitor = std::function<void(uint64_t version, std::string_view state)>;
  virtual Result<bool> VisitSnapshotAtOrBefore(const Uuid& org, uint64_t max_version,
                                               const SnapshotVisitor& visit) const = 0;
  // The same snapshot, read out once and checked (unless `check` leaves that
  // to the caller); nullopt if there is none.
  // `found` hears its version and size as soon as they are known, before
  // its bytes (tens of MB for a large org) are read: a caller can start on
  // the events after it meanwhile.
  using SnapshotFound = std::function<void(uint64_t version, uint64_t bytes)>;
  virtual Result<std::optional<SharedSnapshot>> SharedSnapshotAtOrBefore(
      const Uuid& org, uint64_t max_version, const SnapshotFound& found,
      SnapshotCheck check) const = 0;
  Result<std::optional<SharedSnapshot>> SharedSnapshotAtOrBefore(
      const Uuid& org, uint64_t max_version, const SnapshotFound& found = nullptr) const {
    return SharedSnapshotAtOrBefore(org, max_version, found, SnapshotCheck::kOnRead);
  }
  // Only the version of that snapshot (0: none), without reading its bytes.
  virtual Result<uint64_t> SnapshotVersionAtOrBefore(const Uuid& org,
                                                     uint64_t max_version) const = 0;
  // The same snapshot, copied out; nullopt if there is none.
  Result<std::optional<Snapshot>> SnapshotAtOrBefore(const Uuid& org, uint64_t max_version) const {
    std::optional<Snapshot> found;
    Result<bool> visited = VisitSnapshotAtOrBefore(
        org, max_version, [&found](uint64_t version, std::string_view state) {
          found = Snapshot{version, std::string(state)};
        });
    if (!visited.ok()) return visited.status();
    return found;
  }

  // Up to max_events of one org from from_seq (1-based) on, in order.
  virtual Status ReadOrg(const Uuid& org, uint64_t from_seq, size_t max_events,
                         std::vector<StoredEvent>* out) const = 0;
  // Calls `visit` for the org's events from_seq..to_seq (inclusive; to_seq
  // past the last event means "to the end"), in order, reusing one
  // StoredEvent so long scans (replay, export) allocate nothing per event.
  // Stops at the first error, including one `visit` returns.
  virtual Status ScanOrg(const Uuid& org, uint64_t from_seq, uint64_t to_seq,
                         const std::function<Status(const StoredEvent&)>& visit) const = 0;
  // Up to max_events in global order from from_global_seq (1-based) on.
  virtual Status ReadGlobal(uint64_t from_global_seq, size_t max_events,
                            std::vector<StoredEvent>* out) const = 0;
  virtual Result<StoredEvent> Get(const Uuid& org, uint64_t org_seq) const = 0;

  // The org's last sequence recorded at or before `recorded_at` (0 if none).
  virtual Result<uint64_t> OrgSeqAsOf(const Uuid& org, int64_t recorded_at) const = 0;

  // The tree head now, and as it was when the org had `size` events.
  virtual Result<TreeHead> Head(const Uuid& org) const = 0;
  virtual Result<TreeHead> HeadAt(const Uuid& org, uint64_t size) const = 0;

  // MTH(D[begin:end]) of the org's committed tree (RFC 9162 2.1.1, leaves
  // 0-based), from stored nodes in O(log n). InvalidArgument unless
  // begin < end <= size and the range is one the RFC's recursion visits
  // (merkle_proof.h).
  virtual Result<Digest> SubtreeHash(const Uuid& org, uint64_t begin, uint64_t end) const = 0;

  // Re-reads the org's whole history: checksums, headers, leaf hashes, stored
  // tree nodes and the current root. The first failure names org and seq.
  virtual Status VerifyOrg(const Uuid& org) const = 0;

  virtual Result<std::vector<Uuid>> Orgs() const = 0;

  // Recovery after a failed Append. RocksDB stops taking writes after a
  // failed WAL write or sync and only a reopen clears that; the batch that
  // failed may or may not be in the log afterwards (a failed fsync leaves it
  // in the WAL file, which opening replays).
  //
  // Writes, syncs and deletes a file of `bytes` (at least 4 KB) beside the
  // database through the log's file system: whether storage takes writes
  // again, and room for that much.
  virtual Status ProbeStorage(size_t /*bytes*/) const {
    return Status::FailedPrecondition("this log cannot probe its storage");
  }
  // Closes and opens the database again, reloading everything cached from
  // disk. On failure the log stays closed: call nothing but Reopen.
  // REQUIRES: no other thread uses the log meanwhile.
  virtual Status Reopen() { return Status::FailedPrecondition("this log cannot reopen"); }
  virtual uint64_t LastGlobalSeq() const = 0;

  // Seals and opens personal fields (DESIGN.md decision 9). New data keys are
  // written in the same batch as the next Append.
  virtual SubjectKeys& subject_keys() = 0;
};

}  // namespace ledger
