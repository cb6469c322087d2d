#include "rocks_event_log.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/slice_transform.h>

#include <algorithm>

#include "checksum.h"
#include "coding.h"
#include "keys.h"

namespace ledger {
namespace {

constexpr const char* kColumnNames[] = {"default", "events",       "global",    "tree",
                                        "orgs",    "subject_keys", "directory", "snapshots"};
constexpr const char* kFormatKey = "ledger.format";
constexpr const char* kFormatVersion = "1";  // never change: on disk

Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return Status::Ok();
  return Status::IoError(what + ": " + status.ToString());
}

}  // namespace

rocksdb::Options LogRocksOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  // Large memtables: a group of 10,000 events is a few MB, and fewer flushes
  // keep the write path short.
  options.write_buffer_size = 64 << 20;
  options.max_write_buffer_number = 4;
  // Flushes and compactions start writing their files back every megabyte
  // (sync_file_range), not all at the final fsync: a group's WAL fsync then
  // queues behind about a megabyte of table data on the disk, not a 64 MB
  // table. At 80k events/s in requests of 100 it took the ack p99 from
  // 25-42 ms to about 10 (bench/ledgerd_bench.sh, README).
  options.bytes_per_sync = 1 << 20;
  // Flushes and the first compaction write fresh, hot data: leave it
  // uncompressed so that on a small machine background compression does not
  // take the CPU the writer needs. Older levels, where most bytes end up,
  // use LZ4.
  options.compression_per_level = {rocksdb::kNoCompression,  rocksdb::kNoCompression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression};
  // Keys of one org arrive in ascending order: remembering the last insert
  // position per org (its 16-byte prefix) makes memtable inserts cheap.
  options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(keys::kOrgBytes));
  return options;
}

namespace {

// The subject keys of a read-only log whose master key is not at hand.
class MissingKeys final : public SubjectKeys {
 public:
  explicit MissingKeys(std::string why) : why_(std::move(why)) {}
  Result<SealedValue> Seal(const Uuid&, std::string_view) override { return Unavailable(); }
  Result<std::optional<std::string>> Open(const fb::Sealed&) override { return Unavailable(); }
  Status Forget(const Uuid&) override { return Unavailable(); }
  bool IsForgotten(const Uuid&) override { return false; }

 private:
  Status Unavailable() const {
    return Status::FailedPrecondition(why_ + ": personal fields stay sealed");
  }
  std::string why_;
};

}  // namespace

Result<std::unique_ptr<EventLog>> RocksEventLog::Open(const LogOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("no database path given");
  std::unique_ptr<RocksEventLog> log(new RocksEventLog(options));
  LEDGER_RETURN_IF_ERROR(log->OpenDatabase());
  LEDGER_RETURN_IF_ERROR(log->LoadLastGlobalSeq());
  LEDGER_RETURN_IF_ERROR(log->OpenSubjectKeys());
  return std::unique_ptr<EventLog>(std::move(log));
}

Status RocksEventLog::OpenSubjectKeys() {
  Result<std::unique_ptr<SubjectKeyStore>> keys =
      SubjectKeyStore::Open(db_.get(), columns_[kSubjectKeys], options_.master_key_path,
                            options_.create_master_key && !options_.read_only);
  if (keys.ok()) {
    subject_keys_ = std::move(keys).value();
  } else if (options_.read_only && keys.status().code() == Code::kNotFound) {
    // An auditor without the master key still reads, replays and verifies
    // everything; only personal fields stay sealed.
    missing_keys_ = std::make_unique<MissingKeys>(keys.status().message());
  } else {
    return keys.status();
  }
  return Status::Ok();
}

Result<std::unique_ptr<EventLog>> EventLog::Open(const LogOptions& options) {
  return RocksEventLog::Open(options);
}

Status RocksEventLog::OpenDatabase() {
  rocksdb::Options options = LogRocksOptions();
  options.create_if_missing = options_.create_if_missing;
  if (options_.env != nullptr) options.env = options_.env;
  if (options_.memtable_bytes != 0) options.write_buffer_size = options_.memtable_bytes;
  // Compactions run niced: on a small machine they compete with the
  // sequencer for the CPU, and they can wait (flushes, which writes wait
  // for, keep their priority). Worth 7% of sustained ingestion on two cores.
  // The call only sets a flag of the Env's pool under its mutex, so every
  // open and reopen may make it again.
  options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kColumnNames) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
  }
  // Snapshots are megabytes each: keep them in blob files so that seeking
  // among snapshot keys reads small index blocks, never another org's state.
  rocksdb::ColumnFamilyOptions& snapshots = descriptors[kSnapshots].options;
  snapshots.enable_blob_files = true;
  snapshots.min_blob_size = 4096;
  snapshots.blob_compression_type = rocksdb::kNoCompression;
  rocksdb::DB* raw = nullptr;
  if (options_.read_only) {
    // Keep every table file open from the start: the writer may delete
    // compacted files later, and an open file stays readable.
    options.max_open_files = -1;
    LEDGER_RETURN_IF_ERROR(FromRocks(
        rocksdb::DB::OpenForReadOnly(options, options_.path, descriptors, &columns_, &raw),
        "open " + options_.path + " read-only"));
  } else {
    LEDGER_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(options, options_.path, descriptors, &columns_, &raw),
                  "open " + options_.path));
  }
  db_.reset(raw);
  std::string format;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), columns_[kDefault], kFormatKey, &format);
  if (read.IsNotFound() && options_.read_only) {
    return Status::NotFound(options_.path + " holds no ledger (no format marker)");
  }
  if (read.IsNotFound()) {
    rocksdb::WriteOptions synced;
    synced.sync = true;
    return FromRocks(db_->Put(synced, columns_[kDefault], kFormatKey, kFormatVersion),
                     "write format marker");
  }
  LEDGER_RETURN_IF_ERROR(FromRocks(read, "read format marker"));
  if (format != kFormatVersion) {
    return Status::FailedPrecondition(options_.path + " has log format " + format +
                                      ", this build reads format " + kFormatVersion);
  }
  return Status::Ok();
}

RocksEventLog::~RocksEventLog() {
  // A read-only instance (an auditor's) replays the WAL into memory on every
  // open: leave it empty on a clean close so that those opens stay fast.
  CloseDatabase(!options_.read_only);
}

void RocksEventLog::CloseDatabase(bool flush) {
  if (db_ && flush) db_->Flush(rocksdb::FlushOptions(), columns_).PermitUncheckedError();
  subject_keys_.reset();  // it holds the database
  for (rocksdb::ColumnFamilyHandle* column : columns_) db_->DestroyColumnFamilyHandle(column);
  columns_.clear();
  if (db_) db_->Close().PermitUncheckedError();
  db_.reset();
}

Status RocksEventLog::ProbeStorage(size_t bytes) const {
  rocksdb::Env* env = options_.env != nullptr ? options_.env : rocksdb::Env::Default();
  const std::shared_ptr<rocksdb::FileSystem>& file_system = env->GetFileSystem();
  const std::string path = options_.path + "/LEDGER-STORAGE-PROBE";
  rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  // Written and synced the way the WAL is: a full disk or a failing device
  // fails here too, and so does a disk without room for `bytes`.
  constexpr size_t kChunk = 1 << 20;
  const std::string zeros(std::min(std::max<size_t>(bytes, 4096), kChunk), '\0');
  rocksdb::IOStatus status = file_system->NewWritableFile(path, {}, &file, nullptr);
  for (size_t left = std::max<size_t>(bytes, 4096); status.ok() && left > 0;) {
    size_t chunk = std::min(left, zeros.size());
    status = file->Append(rocksdb::Slice(zeros.data(), chunk), io, nullptr);
    left -= chunk;
  }
  if (status.ok()) status = file->Sync(io, nullptr);
  if (file) {
    rocksdb::IOStatus closed = file->Close(io, nullptr);
    if (status.ok()) status = closed;
  }
  file_system->DeleteFile(path, io, nullptr).PermitUncheckedError();
  return FromRocks(status, "storage probe " + path);
}

Status RocksEventLog::Reopen() {
  if (options_.read_only) return Status::FailedPrecondition("a read-only log does not reopen");
  std::lock_guard writer(append_mutex_);
  // No flush: RocksDB refuses it after a failed write. The WAL holds
  // everything committed; opening replays it.
  CloseDatabase(false);
  {
    std::lock_guard lock(state_mutex_);
    org_states_.clear();  // reloaded from the orgs column as appends need them
  }
  LEDGER_RETURN_IF_ERROR(OpenDatabase());
  last_global_seq_ = 0;
  LEDGER_RETURN_IF_ERROR(LoadLastGlobalSeq());
  return OpenSubjectKeys();
}

Status RocksEventLog::LoadLastGlobalSeq() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), columns_[kGlobal]));
  it->SeekToLast();
  LEDGER_RETURN_IF_ERROR(FromRocks(it->status(), "read global index"));
  if (!it->Valid()) return Status::Ok();
  std::optional<std::string_view> run = checksum::Open(it->value().ToStringView());
  if (!run || run->size() != 16 + 8 + 4)
    return Status::Corruption("last global index entry is damaged");
  uint64_t first = coding::GetFixed64BigEndian(it->key().ToStringView());
  last_global_seq_ = first + coding::GetFixed32(run->substr(24)) - 1;
  return Status::Ok();
}

Result<OrgState> RocksEventLog::LoadOrgState(const Uuid& org) const {
  {
    std::lock_guard lock(state_mutex_);
    if (auto found = org_states_.find(org); found != org_states_.end()) return found->second;
  }
  OrgState state;
  std::string value;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), columns_[kOrgs], org.AsBytes(), &value);
  if (read.IsNotFound()) return state;
  LEDGER_RETURN_IF_ERROR(FromRocks(read, "read org " + org.ToString()));
  LEDGER_RETURN_IF_ERROR(DecodeOrgState(org, value, &state));
  // Not cached here: only Append fills the cache, so a reader can never put
  // back a state older than the writer's.
  return state;
}

}  // namespace ledger
