// What RocksEventLog keeps beside the hashed log: the command layer's
// directory (written atomically with events) and org-state snapshots (a
// cache, written unsynced).
#include <cstdint>
#include <string>

#include "checksum.h"
#include "coding.h"
#include "keys.h"
#include "rocks_event_log.h"

namespace ledger {
namespace {

std::string SnapshotKey(const Uuid& org, uint64_t version) { return keys::Event(org, version); }

Status DamagedSnapshot(const Uuid& org) {
  return Status::Corruption("snapshot of org " + org.ToString() + " fails its checksum");
}

}  // namespace

Result<std::optional<std::string>> RocksEventLog::GetDirectory(std::string_view key) const {
  std::string value;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), columns_[kDirectory], key, &value);
  if (read.IsNotFound()) return std::optional<std::string>();
  if (!read.ok()) return Status::IoError("directory: " + read.ToString());
  std::optional<std::string_view> payload = checksum::Open(value);
  if (!payload) return Status::Corruption("directory entry checksum mismatch");
  return std::optional<std::string>(std::string(*payload));
}

Status RocksEventLog::PutSnapshot(const Uuid& org, const Snapshot& snapshot) {
  std::string value;
  value.reserve(checksum::kBytes + snapshot.state.size());
  checksum::Begin(&value);
  value.append(snapshot.state);
  checksum::Seal(&value);
  // The snapshot thread writes as the one writer too: never alongside an
  // Append (RocksDB would merge the two into one write group, handing
  // batches between threads in ways ThreadSanitizer cannot see) nor during
  // a Reopen, which closes the database.
  std::lock_guard writer(append_mutex_);
  rocksdb::Status written = db_->Put(rocksdb::WriteOptions(), columns_[kSnapshots],
                                     SnapshotKey(org, snapshot.version), value);
  if (!written.ok()) return Status::IoError("snapshot: " + written.ToString());
  return Status::Ok();
}

Result<bool> RocksEventLog::SeekSnapshot(
    const Uuid& org, uint64_t max_version,
    const std::function<void(uint64_t, std::string_view)>& found) const {
  // Bound the scan to this org: otherwise SeekForPrev may land on another
  // org's snapshot and read its (large) value just to reject it.
  std::string lower = SnapshotKey(org, 0);
  rocksdb::Slice lower_bound(lower);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  // The value carries its own checksum (checked by the callers, and the state's
  // version inside it must match the key's): RocksDB's CRC32C of the blob
  // took 29% of an as-of query's samples at 1M events.
  options.verify_checksums = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, columns_[kSnapshots]));
  it->SeekForPrev(SnapshotKey(org, max_version));
  if (!it->status().ok()) return Status::IoError("snapshot: " + it->status().ToString());
  if (!it->Valid() || !it->key().starts_with(rocksdb::Slice(org.AsBytes().data(), 16))) {
    return false;
  }
  found(coding::GetFixed64BigEndian(it->key().ToStringView().substr(keys::kOrgBytes)),
        it->value().ToStringView());
  return true;
}

Result<bool> RocksEventLog::VisitSnapshotAtOrBefore(const Uuid& org, uint64_t max_version,
                                                    const SnapshotVisitor& visit) const {
  bool damaged = false;
  Result<bool> seen = SeekSnapshot(org, max_version, [&](uint64_t version, std::string_view value) {
    std::optional<std::string_view> payload = checksum::Open(value);
    if (!payload) {
      damaged = true;
      return;
    }
    // FlatBuffers reads scalars in place, so the state must be 8-byte aligned.
    // A blob's buffer is (heap memory, then the 8-byte checksum), but a small
    // state kept inline in a table block or the memtable may sit at any
    // address: that one is copied.
    std::string aligned;
    std::string_view state = *payload;
    if (reinterpret_cast<uintptr_t>(state.data()) % alignof(uint64_t) != 0) {
      aligned.assign(state);
      state = aligned;
    }
    visit(version, state);
  });
  if (seen.ok() && damaged) return DamagedSnapshot(org);
  return seen;
}

Result<std::optional<SharedSnapshot>> RocksEventLog::SharedSnapshotAtOrBefore(
    const Uuid& org, uint64_t max_version) const {
  std::optional<SharedSnapshot> snapshot;
  bool damaged = false;
  Result<bool> seen = SeekSnapshot(org, max_version, [&](uint64_t version, std::string_view value) {
    if (value.size() < checksum::kBytes) {
      damaged = true;
      return;
    }
    // In 8-byte words: FlatBuffers reads scalars in place. Not zeroed first:
    // every byte is copied over.
    size_t size = value.size() - checksum::kBytes;
    std::shared_ptr<uint64_t[]> words = std::make_shared_for_overwrite<uint64_t[]>(size / 8 + 1);
    char* bytes = reinterpret_cast<char*>(words.get());
    if (!checksum::CopyOpen(value, bytes)) {
      damaged = true;
      return;
    }
    snapshot = SharedSnapshot{version, std::string_view(bytes, size), std::move(words)};
  });
  if (!seen.ok()) return seen.status();
  if (damaged) return DamagedSnapshot(org);
  return snapshot;
}

}  // namespace ledger
