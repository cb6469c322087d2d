// The write path of RocksEventLog. One Append is one RocksDB WriteBatch and
// one synced write. Per-event CPU work (verification, leaf hash, checksum)
// is independent between events and runs on both cores for large batches;
// everything that orders events (sequences, the Merkle frontier) runs on the
// writer alone.
#include <rocksdb/slice.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>

#include "checksum.h"
#include "coding.h"
#include "keys.h"
#include "ledger/limits.h"
#include "rocks_event_log.h"
#include "tree_reader.h"

namespace ledger {
namespace {

// Below this many events a batch is encoded on the writer alone: waking the
// helper costs about as much as a few dozen events' hashing.
constexpr size_t kParallelEventsMin = 64;

size_t HelperThreads() {
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::min<size_t>(cores - 1, 3);
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

RocksEventLog::RocksEventLog(const LogOptions& options)
    : options_(options), parallel_(HelperThreads()) {}

Status RocksEventLog::CheckEvents(std::span<const std::string_view> events) {
  event_orgs_.resize(events.size());
  event_checks_.resize(events.size());
  parallel_.Run(events.size(), kParallelEventsMin, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      event_checks_[i] = record::CheckEvent(events[i], &event_orgs_[i]);
    }
  });
  for (size_t i = 0; i < events.size(); ++i) {
    if (!event_checks_[i].ok()) return event_checks_[i].WithContext("event #" + std::to_string(i));
  }
  return Status::Ok();
}

Status RocksEventLog::GroupByOrg(size_t event_count, std::vector<OrgRun>* runs) {
  std::unordered_map<Uuid, size_t, UuidHash> run_of_org;
  for (size_t i = 0; i < event_count; ++i) {
    const Uuid& org = event_orgs_[i];
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

void RocksEventLog::AssignPositions(std::vector<OrgRun>& runs, int64_t now,
                                    std::vector<Position>* positions) {
  uint64_t global_seq = last_global_seq_ + 1;
  for (OrgRun& run : runs) {
    uint64_t org_seq = run.state.tree.size() + 1;
    for (size_t index : run.event_indexes) {
      Position& position = (*positions)[index];
      position.org = run.org;
      position.org_seq = org_seq++;
      position.global_seq = global_seq++;
      // Strictly increasing per org even if the wall clock steps back.
      position.recorded_at = std::max(now, run.state.last_recorded_at + 1);
      run.state.last_recorded_at = position.recorded_at;
    }
  }
}

void RocksEventLog::EncodePrefixes(std::span<const std::string_view> events,
                                   const std::vector<Position>& positions) {
  prefixes_.resize(events.size());
  parallel_.Run(events.size(), kParallelEventsMin, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      record::EncodePrefix(positions[i], events[i], &prefixes_[i]);
  });
}

void RocksEventLog::AddRun(std::span<const std::string_view> events, OrgRun& run,
                           const std::vector<Position>& positions, rocksdb::WriteBatch* batch) {
  const Position& first = positions[run.event_indexes.front()];
  batch->Put(
      columns_[kGlobal], keys::Global(first.global_seq),
      EncodeGlobalRun(run.org, first.org_seq, static_cast<uint32_t>(run.event_indexes.size())));
  std::string key = keys::Event(run.org, 0);
  std::vector<CompletedNode> completed;
  for (size_t index : run.event_indexes) {
    const record::Prefix& prefix = prefixes_[index];
    keys::SetEventSeq(&key, positions[index].org_seq);
    rocksdb::Slice key_slice(key);
    rocksdb::Slice value_parts[] = {{prefix.bytes.data(), prefix.bytes.size()},
                                    {events[index].data(), events[index].size()}};
    batch->Put(columns_[kEvents], rocksdb::SliceParts(&key_slice, 1),
               rocksdb::SliceParts(value_parts, 2));
    completed.clear();
    run.state.tree.Append(prefix.leaf_hash, &completed);
    for (const CompletedNode& node : completed) {
      if (node.level < limits::kStoredNodeLevelMin) continue;
      batch->Put(columns_[kTree], keys::TreeNode(run.org, node.level, node.index),
                 EncodeTreeNode(node.hash));
    }
  }
  batch->Put(columns_[kOrgs], run.org.AsBytes(), EncodeOrgState(run.state));
}

Result<std::vector<Position>> RocksEventLog::Append(std::span<const std::string_view> events,
                                                    const AppendOptions& options) {
  std::span<const DirectoryEntry> directory = options.directory;
  std::lock_guard writer(append_mutex_);
  if (events.size() > limits::kBatchEventsMax) {
    return Status::LimitExceeded("batch of " + std::to_string(events.size()) +
                                 " events exceeds the limit of " +
                                 std::to_string(limits::kBatchEventsMax));
  }
  if (events.empty() && directory.empty()) return std::vector<Position>();
  LEDGER_RETURN_IF_ERROR(CheckEvents(events));
  std::vector<OrgRun> runs;
  LEDGER_RETURN_IF_ERROR(GroupByOrg(events.size(), &runs));
  std::vector<Position> positions(events.size());
  AssignPositions(runs, options.now != 0 ? options.now : options_.Now(), &positions);
  EncodePrefixes(events, positions);

  // Reserve the whole batch: growing a multi-megabyte buffer by doubling
  // would copy it several times.
  size_t event_bytes = 0;
  for (std::string_view event : events) event_bytes += event.size();
  rocksdb::WriteBatch batch(event_bytes + events.size() * (record::kPrefixBytes + 48));
  for (OrgRun& run : runs) AddRun(events, run, positions, &batch);
  for (const DirectoryEntry& entry : directory) {
    std::string value;
    checksum::Begin(&value);
    value.append(entry.value);
    checksum::Seal(&value);
    batch.Put(columns_[kDirectory], entry.key, value);
  }
  std::vector<Uuid> new_keys;
  subject_keys_->AddPendingTo(&batch, &new_keys);
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  rocksdb::Status written = db_->Write(write_options, &batch);
  if (!written.ok()) return Status::IoError("append: " + written.ToString());

  subject_keys_->MarkPersisted(new_keys);
  last_global_seq_ += events.size();
  std::lock_guard lock(state_mutex_);
  if (org_states_.size() + runs.size() > limits::kOrgStateCacheMax) org_states_.clear();
  for (OrgRun& run : runs) org_states_[run.org] = std::move(run.state);
  return positions;
}

}  // namespace ledger
