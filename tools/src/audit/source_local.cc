// AuditSource on a RocksDB directory, opened read-only: the engine's own
// reads, tree and snapshots, none of its write path.
#include <filesystem>

#include "ledger/ledger.h"
#include "source_backends.h"

namespace ledger::audit {
namespace {

class LocalSource final : public AuditSource {
 public:
  explicit LocalSource(std::unique_ptr<EventLog> log) : log_(std::move(log)) {}

  Result<std::vector<Uuid>> Orgs() override { return log_->Orgs(); }

  Result<TreeHead> Head(const Uuid& org, uint64_t size) override {
    return size == 0 ? log_->Head(org) : log_->HeadAt(org, size);
  }

  Status Scan(const Uuid& org, uint64_t from_seq, uint64_t to_seq,
              const EventVisitor& visit) override {
    return log_->ScanOrg(org, from_seq, to_seq, visit);
  }

  Result<Digest> SubtreeHash(const Uuid& org, uint64_t begin, uint64_t end) override {
    return log_->SubtreeHash(org, begin, end);
  }

  Result<State> StateAt(const Uuid& org, uint64_t version) override {
    Result<TreeHead> head = log_->Head(org);
    if (!head.ok()) return head.status();
    return StateFromLog(*log_, org, version);
  }

  Result<uint64_t> VersionAsOf(const Uuid& org, int64_t recorded_at) override {
    return ledger::VersionAsOf(*log_, org, recorded_at);
  }

  Result<SignedHead> SignedHeadAt(const Uuid& org, uint64_t size) override {
    if (!key_) {
      return Status::FailedPrecondition(
          "no signing key: pass --key SECRET_KEY_FILE (made by `ledger keygen`)");
    }
    Result<TreeHead> head = Head(org, size);
    if (!head.ok()) return head.status();
    return SignHead(*key_, org, *head, NowMicros());
  }

  void SetSigningKey(const SigningKey& key) override { key_ = key; }

  Result<std::vector<std::optional<std::string>>> OpenSealed(
      std::span<const SealedValue> values) override {
    std::vector<std::optional<std::string>> opened;
    flatbuffers::FlatBufferBuilder builder;
    for (const SealedValue& value : values) {
      builder.Clear();
      builder.Finish(value.Build(builder));
      Result<std::optional<std::string>> plain =
          log_->subject_keys().Open(*flatbuffers::GetRoot<fb::Sealed>(builder.GetBufferPointer()));
      if (!plain.ok()) return plain.status();
      opened.push_back(std::move(plain).value());
    }
    return opened;
  }

 private:
  std::unique_ptr<EventLog> log_;
  std::optional<SigningKey> key_;
};

}  // namespace

Result<std::unique_ptr<AuditSource>> OpenLocalSource(const SourceFlags& flags) {
  std::error_code error;
  if (!std::filesystem::is_directory(flags.db, error)) {
    return Status::NotFound("no ledger at " + flags.db + ": not a directory");
  }
  LogOptions options;
  options.path = flags.db;
  options.master_key_path = flags.master_key.empty() ? flags.db + ".master-key" : flags.master_key;
  options.create_if_missing = false;
  options.create_master_key = false;
  options.read_only = true;
  Result<std::unique_ptr<EventLog>> log = EventLog::Open(options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<AuditSource>(new LocalSource(std::move(log).value()));
}

}  // namespace ledger::audit
