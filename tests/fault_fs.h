// FaultFileSystem: a RocksDB FileSystem wrapper that fails writes on demand,
// for tests of what the log and the server do when storage fails. Switched
// at run time from any thread; the failures look like a real device's: an
// I/O error, or "no space left on device".
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ledger::testing {

enum class Fault {
  kNone,
  kWriteError,  // Append fails with an I/O error (nothing is written)
  kSyncError,   // Sync/Fsync fail with an I/O error (the bytes were written)
  kNoSpace,     // Append fails with IOStatus::NoSpace (disk full)
};

// Which files a fault hits.
enum class FaultTarget {
  kWal,     // *.log
  kTables,  // *.sst and *.blob
  // Tables written by a background flush or a compaction only: RocksDB runs
  // flushes on its high-priority pool and compactions on its low one, and
  // names their threads "rocksdb:high" and "rocksdb:low".
  kFlushTables,
  kCompactionTables,
  kAll,  // every file written, MANIFEST and probes included
};

class FaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem();
  const char* Name() const override { return "FaultFileSystem"; }

  // From now on (after `after_operations` more matching operations succeed),
  // fail matching operations until Clear().
  void Inject(Fault fault, FaultTarget target = FaultTarget::kAll, uint64_t after_operations = 0);
  void Clear() { Inject(Fault::kNone); }
  // A nearly full disk: writes succeed while their bytes fit in `bytes`
  // (failed ones take none), then fail as kNoSpace; syncs succeed.
  void InjectSpaceLeft(uint64_t bytes);
  // MANIFEST files created since construction: one per open of the database.
  uint64_t manifests_created() const { return manifests_created_.load(); }
  // Operations failed since construction.
  uint64_t failures() const { return failures_.load(); }

  // An Env over this file system for LogOptions::env; it must outlive the log.
  rocksdb::Env* env() { return env_.get(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* debug) override;

  // Called by the files: the error for an operation of `kind` on `name`
  // (a write of `bytes`), or OK.
  rocksdb::IOStatus Check(const std::string& name, Fault kind, uint64_t bytes = 0);

 private:
  std::mutex mutex_;
  Fault fault_ = Fault::kNone;
  FaultTarget target_ = FaultTarget::kAll;
  uint64_t skip_ = 0;                   // matching operations still allowed before failing
  std::optional<uint64_t> space_left_;  // InjectSpaceLeft's budget
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> manifests_created_{0};
  std::unique_ptr<rocksdb::Env> env_;
};

}  // namespace ledger::testing
