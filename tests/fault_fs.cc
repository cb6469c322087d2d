#include "fault_fs.h"

#include <pthread.h>

namespace ledger::testing {
namespace {

bool EndsWith(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsTable(const std::string& name) { return EndsWith(name, ".sst") || EndsWith(name, ".blob"); }

bool OnRocksThread(const char* pool) {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return std::string(name).starts_with(pool);
}

bool Targets(FaultTarget target, const std::string& name) {
  switch (target) {
    case FaultTarget::kWal:
      return EndsWith(name, ".log");
    case FaultTarget::kTables:
      return IsTable(name);
    case FaultTarget::kFlushTables:
      return IsTable(name) && OnRocksThread("rocksdb:high");
    case FaultTarget::kCompactionTables:
      return IsTable(name) && OnRocksThread("rocksdb:low");
    case FaultTarget::kAll:
      return true;
  }
  return true;
}

// Forwards to the real file, asking the file system before each write or sync.
class FaultFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultFileSystem* fs, std::string name)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus status = fs_->Check(name_, Fault::kWriteError, data.size());
    return status.ok() ? target()->Append(data, options, debug) : status;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus status = fs_->Check(name_, Fault::kWriteError, data.size());
    return status.ok() ? target()->Append(data, options, info, debug) : status;
  }
  using FSWritableFileOwnerWrapper::PositionedAppend;
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus status = fs_->Check(name_, Fault::kWriteError, data.size());
    return status.ok() ? target()->PositionedAppend(data, offset, options, debug) : status;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus status = fs_->Check(name_, Fault::kSyncError);
    return status.ok() ? target()->Sync(options, debug) : status;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus status = fs_->Check(name_, Fault::kSyncError);
    return status.ok() ? target()->Fsync(options, debug) : status;
  }

 private:
  FaultFileSystem* fs_;
  std::string name_;
};

}  // namespace

FaultFileSystem::FaultFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()),
      env_(rocksdb::NewCompositeEnv(std::shared_ptr<rocksdb::FileSystem>(
          this, [](rocksdb::FileSystem*) {}))) {}  // the Env does not own us

void FaultFileSystem::Inject(Fault fault, FaultTarget target, uint64_t after_operations) {
  std::lock_guard lock(mutex_);
  fault_ = fault;
  target_ = target;
  skip_ = after_operations;
  space_left_.reset();
}

void FaultFileSystem::InjectSpaceLeft(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  fault_ = Fault::kNoSpace;
  target_ = FaultTarget::kAll;
  skip_ = 0;
  space_left_ = bytes;
}

rocksdb::IOStatus FaultFileSystem::Check(const std::string& name, Fault kind, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (fault_ == Fault::kNone || !Targets(target_, name)) return rocksdb::IOStatus::OK();
  if (space_left_ && kind == Fault::kWriteError) {
    if (bytes <= *space_left_) {
      *space_left_ -= bytes;
      return rocksdb::IOStatus::OK();
    }
    ++failures_;
    return rocksdb::IOStatus::NoSpace("injected: no room for " + std::to_string(bytes) +
                                      " bytes: " + name);
  }
  // Disk full fails writes; a sync of bytes already written still succeeds.
  bool write = kind == Fault::kWriteError;
  bool hit = fault_ == Fault::kSyncError ? !write : write;
  if (!hit) return rocksdb::IOStatus::OK();
  if (skip_ > 0) {
    --skip_;
    return rocksdb::IOStatus::OK();
  }
  ++failures_;
  if (fault_ == Fault::kNoSpace) return rocksdb::IOStatus::NoSpace("injected: disk full: " + name);
  return rocksdb::IOStatus::IOError("injected " + std::string(write ? "write" : "sync") +
                                    " error: " + name);
}

rocksdb::IOStatus FaultFileSystem::NewWritableFile(const std::string& name,
                                                   const rocksdb::FileOptions& options,
                                                   std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                   rocksdb::IODebugContext* debug) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = target()->NewWritableFile(name, options, &file, debug);
  if (name.find("/MANIFEST-") != std::string::npos) ++manifests_created_;
  if (status.ok()) result->reset(new FaultFile(std::move(file), this, name));
  return status;
}

rocksdb::IOStatus FaultFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* debug) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = target()->ReopenWritableFile(name, options, &file, debug);
  if (status.ok()) result->reset(new FaultFile(std::move(file), this, name));
  return status;
}

}  // namespace ledger::testing
