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

// A snapshot is stored under its org and version, and beside it a mark: the
// same key and one byte more, so that the mark sorts right after its
// snapshot, whose size it holds. Seeking among marks finds the snapshot a
// query wants without reading any snapshot (a RocksDB iterator reads the
// value, tens of MB, of every entry it lands on); the snapshot is then read
// once, by key, straight into the buffer the state keeps.
std::string SnapshotKey(const Uuid& org, uint64_t version) { return keys::Event(org, version); }

std::string MarkKey(const Uuid& org, uint64_t version) {
  std::string key = SnapshotKey(org, version);
  key.push_back('\0');
  return key;
}

Status DamagedSnapshot(const Uuid& org) {
  return Status::Corruption("snapshot of org " + org.ToString() + " fails its checksum");
}

// The value carries its own checksum (checked by the callers, and the
// state's version inside it must match the key's): RocksDB's CRC32C of the
// blob took 29% of an as-of query's samples at 1M events.
rocksdb::ReadOptions SnapshotReadOptions() {
  rocksdb::ReadOptions options;
  options.verify_checksums = false;
  return options;
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
  std::string size;
  coding::PutFixed64(&size, value.size());
  rocksdb::WriteBatch batch;
  rocksdb::Status added =
      batch.Put(columns_[kSnapshots], SnapshotKey(org, snapshot.version), value);
  if (added.ok()) added = batch.Put(columns_[kSnapshots], MarkKey(org, snapshot.version), size);
  if (!added.ok()) return Status::IoError("snapshot: " + added.ToString());
  // The snapshot thread writes as the one writer too: never alongside an
  // Append (RocksDB would merge the two into one write group, handing
  // batches between threads in ways ThreadSanitizer cannot see) nor during
  // a Reopen, which closes the database.
  std::lock_guard writer(append_mutex_);
  rocksdb::Status written = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!written.ok()) return Status::IoError("snapshot: " + written.ToString());
  return Status::Ok();
}

Result<bool> RocksEventLog::SeekSnapshot(const Uuid& org, uint64_t max_version,
                                         const SnapshotSeen& found) const {
  // Bound the scan to this org: otherwise SeekForPrev may land on another
  // org's snapshot and read its (large) value just to reject it.
  std::string lower = SnapshotKey(org, 0);
  rocksdb::Slice lower_bound(lower);
  rocksdb::ReadOptions options = SnapshotReadOptions();
  options.iterate_lower_bound = &lower_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, columns_[kSnapshots]));
  it->SeekForPrev(MarkKey(org, max_version));
  if (!it->status().ok()) return Status::IoError("snapshot: " + it->status().ToString());
  if (!it->Valid() || !it->key().starts_with(rocksdb::Slice(org.AsBytes().data(), 16))) {
    return false;
  }
  std::string_view key = it->key().ToStringView();
  if (key.size() != keys::kEventKeyBytes && key.size() != keys::kEventKeyBytes + 1) {
    return Status::Corruption("snapshot key of org " + org.ToString() + " is damaged");
  }
  uint64_t version = coding::GetFixed64BigEndian(key.substr(keys::kOrgBytes));
  std::string_view value = it->value().ToStringView();
  if (key.size() == keys::kEventKeyBytes) {
    LEDGER_RETURN_IF_ERROR(found(version, value.size(), &value));  // no mark: read already
    return true;
  }
  // The size is only a hint (whether to read the events after the snapshot
  // aside): a damaged one still leads to the snapshot, which is checked.
  uint64_t size = value.size() == 8 ? coding::GetFixed64(value) : 0;
  LEDGER_RETURN_IF_ERROR(found(version, size, nullptr));
  return true;
}

// Not from the seek's point-in-time view: snapshots are never deleted, so a
// marked one cannot go between the two reads (pruning them would need one
// RocksDB snapshot for both).
Status RocksEventLog::ReadSnapshot(const Uuid& org, uint64_t version,
                                   rocksdb::PinnableSlice* stored) const {
  rocksdb::Status read =
      db_->Get(SnapshotReadOptions(), columns_[kSnapshots], SnapshotKey(org, version), stored);
  if (read.IsNotFound()) {
    return Status::Corruption("snapshot of org " + org.ToString() + " at " +
                              std::to_string(version) + " is marked but missing");
  }
  if (!read.ok()) return Status::IoError("snapshot: " + read.ToString());
  return Status::Ok();
}

Result<bool> RocksEventLog::VisitSnapshotAtOrBefore(const Uuid& org, uint64_t max_version,
                                                    const SnapshotVisitor& visit) const {
  auto check_and_visit = [&](uint64_t version, uint64_t, const std::string_view* stored) {
    rocksdb::PinnableSlice read;
    if (!stored) LEDGER_RETURN_IF_ERROR(ReadSnapshot(org, version, &read));
    std::optional<std::string_view> payload =
        checksum::Open(stored ? *stored : read.ToStringView());
    if (!payload) return DamagedSnapshot(org);
    // FlatBuffers reads scalars in place, so the state must be 8-byte
    // aligned. A large value's buffer is (heap memory, then the 8-byte
    // checksum), but a small state kept inline in a table block or the
    // memtable may sit at any address: that one is copied.
    std::string aligned;
    std::string_view state = *payload;
    if (reinterpret_cast<uintptr_t>(state.data()) % alignof(uint64_t) != 0) {
      aligned.assign(state);
      state = aligned;
    }
    visit(version, state);
    return Status::Ok();
  };
  return SeekSnapshot(org, max_version, check_and_visit);
}

namespace {

// An 8-byte-aligned copy of a stored snapshot's state, checked as it is
// copied (FlatBuffers reads scalars in place).
Result<SharedSnapshot> CopyAligned(const Uuid& org, uint64_t version, std::string_view stored) {
  if (stored.size() < checksum::kBytes) return DamagedSnapshot(org);
  size_t size = stored.size() - checksum::kBytes;
  // Not zeroed first: every byte is copied over.
  std::shared_ptr<uint64_t[]> words = std::make_shared_for_overwrite<uint64_t[]>(size / 8 + 1);
  char* bytes = reinterpret_cast<char*>(words.get());
  if (!checksum::CopyOpen(stored, bytes)) return DamagedSnapshot(org);
  return SharedSnapshot{version, std::string_view(bytes, size), std::move(words), std::nullopt};
}

// Above this size a snapshot is a blob (min_blob_size is 4096), read into
// a buffer of its own.
constexpr size_t kKeepPinnedFromBytes = 64 << 10;

}  // namespace

bool SharedSnapshot::Intact() const {
  return !unchecked_sum || checksum::Of(state) == *unchecked_sum;
}

Result<std::optional<SharedSnapshot>> RocksEventLog::SharedSnapshotAtOrBefore(
    const Uuid& org, uint64_t max_version, const SnapshotFound& found, SnapshotCheck check) const {
  std::optional<SharedSnapshot> snapshot;
  Result<bool> seen = SeekSnapshot(
      org, max_version, [&](uint64_t version, uint64_t bytes, const std::string_view* stored) {
        if (found) found(version, bytes);
        // Read by key, and kept where RocksDB read it: a blob's value is
        // read into a buffer of its own, which the state then keeps (copying
        // it out cost 2 ms per 15 MB), and the check reads it in place.
        std::shared_ptr<rocksdb::PinnableSlice> read;
        if (!stored) {
          read = std::make_shared<rocksdb::PinnableSlice>();
          LEDGER_RETURN_IF_ERROR(ReadSnapshot(org, version, read.get()));
        }
        std::string_view value = stored ? *stored : read->ToStringView();
        if (value.size() < checksum::kBytes) return DamagedSnapshot(org);
        std::string_view state = value.substr(checksum::kBytes);
        // Copied (and checked as it is copied): an unmarked snapshot's bytes,
        // which belong to the seek's iterator; a small one, which may be
        // pinned in a block of the block cache that the state should not
        // hold; and one not 8-byte aligned (a large buffer is heap memory, so
        // its state, after the 8-byte checksum, is).
        if (read == nullptr || value.size() < kKeepPinnedFromBytes ||
            reinterpret_cast<uintptr_t>(state.data()) % alignof(uint64_t) != 0) {
          Result<SharedSnapshot> copy = CopyAligned(org, version, value);
          if (!copy.ok()) return copy.status();
          snapshot = std::move(copy).value();
          return Status::Ok();
        }
        SharedSnapshot read_one{version, state, std::move(read), coding::GetFixed64(value)};
        if (check == SnapshotCheck::kOnRead) {
          if (!read_one.Intact()) return DamagedSnapshot(org);
          read_one.unchecked_sum.reset();
        }
        snapshot = std::move(read_one);
        return Status::Ok();
      });
  if (!seen.ok()) return seen.status();
  return snapshot;
}

Result<uint64_t> RocksEventLog::SnapshotVersionAtOrBefore(const Uuid& org,
                                                          uint64_t max_version) const {
  uint64_t found = 0;
  Result<bool> seen =
      SeekSnapshot(org, max_version, [&found](uint64_t version, uint64_t, const std::string_view*) {
        found = version;
        return Status::Ok();
      });
  if (!seen.ok()) return seen.status();
  return found;
}

}  // namespace ledger
