#include "rocks_event_log.h"

#include <rocksdb/table.h>

#include <algorithm>
#include <chrono>

#include "checksum.h"
#include "coding.h"
#include "keys.h"
#include "ledger/limits.h"
#include "record.h"
#include "tree_reader.h"

namespace ledger {
namespace {

constexpr const char* kColumnNames[] = {"default", "events", "global",
                                        "tree",    "orgs",   "subject_keys"};
constexpr const char* kFormatKey = "ledger.format";
constexpr const char* kFormatVersion = "1";  // never change: on disk

Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return Status::Ok();
  return Status::IoError(what + ": " + status.ToString());
}

std::string EncodeGlobalRun(const Uuid& org, uint64_t first_org_seq, uint32_t count) {
  std::string value;
  checksum::Begin(&value);
  value.append(org.AsBytes());
  coding::PutFixed64(&value, first_org_seq);
  coding::PutFixed32(&value, count);
  checksum::Seal(&value);
  return value;
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
  return options;
}

Result<std::unique_ptr<EventLog>> RocksEventLog::Open(const LogOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("no database path given");
  std::unique_ptr<RocksEventLog> log(new RocksEventLog(options));
  LEDGER_RETURN_IF_ERROR(log->OpenDatabase());
  LEDGER_RETURN_IF_ERROR(log->LoadLastGlobalSeq());
  Result<std::unique_ptr<SubjectKeyStore>> keys =
      SubjectKeyStore::Open(log->db_.get(), log->columns_[kSubjectKeys], options.master_key_path,
                            options.create_master_key);
  if (!keys.ok()) return keys.status();
  log->subject_keys_ = std::move(keys).value();
  return std::unique_ptr<EventLog>(std::move(log));
}

Result<std::unique_ptr<EventLog>> EventLog::Open(const LogOptions& options) {
  return RocksEventLog::Open(options);
}

Status RocksEventLog::OpenDatabase() {
  rocksdb::Options options = LogRocksOptions();
  options.create_if_missing = options_.create_if_missing;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kColumnNames) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
  }
  rocksdb::DB* raw = nullptr;
  LEDGER_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(options, options_.path, descriptors, &columns_, &raw),
                "open " + options_.path));
  db_.reset(raw);
  std::string format;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), columns_[kDefault], kFormatKey, &format);
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
  subject_keys_.reset();
  for (rocksdb::ColumnFamilyHandle* column : columns_) db_->DestroyColumnFamilyHandle(column);
  if (db_) db_->Close().PermitUncheckedError();
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

int64_t RocksEventLog::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

Status RocksEventLog::GroupByOrg(std::span<const std::string_view> events,
                                 std::vector<OrgRun>* runs) {
  std::unordered_map<Uuid, size_t, UuidHash> run_of_org;
  for (size_t i = 0; i < events.size(); ++i) {
    Uuid org;
    Status checked = record::CheckEvent(events[i], &org);
    if (!checked.ok()) return checked.WithContext("event #" + std::to_string(i));
    auto [slot, inserted] = run_of_org.try_emplace(org, runs->size());
    if (inserted) {
      Result<OrgState> state = LoadOrgState(org);
      if (!state.ok()) return state.status();
      runs->push_back(OrgRun{org, std::move(state).value(), {}});
    }
    (*runs)[slot->second].event_indexes.push_back(i);
  }
  return Status::Ok();
}

void RocksEventLog::AddRun(std::span<const std::string_view> events, OrgRun& run, int64_t now,
                           uint64_t* next_global_seq, rocksdb::WriteBatch* batch,
                           std::vector<Position>* positions) {
  OrgState& state = run.state;
  batch->Put(columns_[kGlobal], keys::Global(*next_global_seq),
             EncodeGlobalRun(run.org, state.tree.size() + 1,
                             static_cast<uint32_t>(run.event_indexes.size())));
  std::string body;
  std::vector<CompletedNode> completed;
  for (size_t index : run.event_indexes) {
    Position& position = (*positions)[index];
    position.org = run.org;
    position.org_seq = state.tree.size() + 1;
    position.global_seq = (*next_global_seq)++;
    position.recorded_at = std::max(now, state.last_recorded_at + 1);
    state.last_recorded_at = position.recorded_at;

    body.clear();
    record::EncodeBody(position, events[index], &body);
    Digest leaf = LeafHash(body);
    batch->Put(columns_[kEvents], keys::Event(run.org, position.org_seq),
               record::EncodeValue(leaf, body));
    completed.clear();
    state.tree.Append(leaf, &completed);
    for (const CompletedNode& node : completed) {
      if (node.level < limits::kStoredNodeLevelMin) continue;
      batch->Put(columns_[kTree], keys::TreeNode(run.org, node.level, node.index),
                 EncodeTreeNode(node.hash));
    }
  }
  batch->Put(columns_[kOrgs], run.org.AsBytes(), EncodeOrgState(state));
}

Result<std::vector<Position>> RocksEventLog::Append(std::span<const std::string_view> events) {
  std::lock_guard writer(append_mutex_);
  if (events.size() > limits::kBatchEventsMax) {
    return Status::LimitExceeded("batch of " + std::to_string(events.size()) +
                                 " events exceeds the limit of " +
                                 std::to_string(limits::kBatchEventsMax));
  }
  std::vector<OrgRun> runs;
  LEDGER_RETURN_IF_ERROR(GroupByOrg(events, &runs));

  rocksdb::WriteBatch batch;
  std::vector<Position> positions(events.size());
  uint64_t next_global_seq = last_global_seq_ + 1;
  int64_t now = Now();
  for (OrgRun& run : runs) AddRun(events, run, now, &next_global_seq, &batch, &positions);
  std::vector<Uuid> new_keys;
  subject_keys_->AddPendingTo(&batch, &new_keys);

  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  LEDGER_RETURN_IF_ERROR(FromRocks(db_->Write(write_options, &batch), "append"));

  subject_keys_->MarkPersisted(new_keys);
  last_global_seq_ = next_global_seq - 1;
  std::lock_guard lock(state_mutex_);
  if (org_states_.size() + runs.size() > limits::kOrgStateCacheMax) org_states_.clear();
  for (OrgRun& run : runs) org_states_[run.org] = std::move(run.state);
  return positions;
}

}  // namespace ledger
