// Read paths of RocksEventLog: org ranges, the global feed, as-of lookups and
// tree heads. Every record is checked on read (record::DecodeValue).
#include <algorithm>

#include "checksum.h"
#include "coding.h"
#include "keys.h"
#include "ledger/limits.h"
#include "record.h"
#include "rocks_event_log.h"
#include "tree_reader.h"

namespace ledger {
namespace {

// Reads of at least this many events are scans (replay, export).
constexpr size_t kScanEventsMin = 1024;
constexpr size_t kScanReadahead = 2 << 20;

std::string UnknownOrg(const Uuid& org) { return "unknown org " + org.ToString(); }

}  // namespace

Status RocksEventLog::ReadOrg(const Uuid& org, uint64_t from_seq, size_t max_events,
                              std::vector<StoredEvent>* out) const {
  uint64_t first = std::max<uint64_t>(from_seq, 1);
  max_events = std::min(max_events, limits::kReadEventsMax);
  if (max_events == 0) return Status::Ok();
  return ScanOrg(org, first, first + max_events - 1, [out](const StoredEvent& event) {
    out->push_back(event);
    return Status::Ok();
  });
}

Status RocksEventLog::ScanOrg(const Uuid& org, uint64_t from_seq, uint64_t to_seq,
                              const std::function<Status(const StoredEvent&)>& visit) const {
  uint64_t seq = std::max<uint64_t>(from_seq, 1);
  if (to_seq < seq) return Status::Ok();
  // Org ranges are read front to back: read ahead in large steps rather than
  // one block per pread, and keep one-off scans of old history out of the
  // block cache.
  rocksdb::ReadOptions options;
  if (to_seq - seq + 1 >= kScanEventsMin) {
    options.readahead_size = kScanReadahead;
    options.fill_cache = false;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, columns_[kEvents]));
  StoredEvent event;
  for (it->Seek(keys::Event(org, seq)); it->Valid() && seq <= to_seq; it->Next(), ++seq) {
    std::string_view key = it->key().ToStringView();
    if (key.size() != keys::kEventKeyBytes || keys::OrgOf(key) != org) break;
    uint64_t key_seq = coding::GetFixed64BigEndian(key.substr(keys::kOrgBytes));
    if (key_seq != seq) {
      return Status::Corruption("org " + org.ToString() + " seq " + std::to_string(seq) +
                                " is missing");
    }
    LEDGER_RETURN_IF_ERROR(record::DecodeValue(org, key_seq, it->value().ToStringView(), &event));
    LEDGER_RETURN_IF_ERROR(visit(event));
  }
  if (!it->status().ok()) return Status::IoError("read org: " + it->status().ToString());
  return Status::Ok();
}

Status RocksEventLog::ReadRun(std::string_view index_value, uint64_t run_first_global,
                              uint64_t from_global_seq, size_t max_events,
                              std::vector<StoredEvent>* out) const {
  std::optional<std::string_view> run = checksum::Open(index_value);
  if (!run || run->size() != 16 + 8 + 4) {
    return Status::Corruption("global index entry " + std::to_string(run_first_global) +
                              " is damaged");
  }
  Uuid org = keys::OrgOf(*run);
  uint64_t first_org_seq = coding::GetFixed64(run->substr(16));
  uint64_t count = coding::GetFixed32(run->substr(24));
  uint64_t skip = from_global_seq > run_first_global ? from_global_seq - run_first_global : 0;
  if (skip >= count) return Status::Ok();
  size_t before = out->size();
  size_t wanted = std::min<uint64_t>(count - skip, max_events);
  LEDGER_RETURN_IF_ERROR(ReadOrg(org, first_org_seq + skip, wanted, out));
  for (size_t i = before; i < out->size(); ++i) {
    uint64_t expected = run_first_global + skip + (i - before);
    if ((*out)[i].position.global_seq != expected) {
      return Status::Corruption("org " + org.ToString() + " seq " +
                                std::to_string((*out)[i].position.org_seq) + ": global seq " +
                                std::to_string((*out)[i].position.global_seq) + ", index says " +
                                std::to_string(expected));
    }
  }
  if (out->size() - before != wanted) {
    return Status::Corruption("global seq " + std::to_string(run_first_global + skip) +
                              ": events listed by the global index are missing");
  }
  return Status::Ok();
}

Status RocksEventLog::ReadGlobal(uint64_t from_global_seq, size_t max_events,
                                 std::vector<StoredEvent>* out) const {
  uint64_t from = std::max<uint64_t>(from_global_seq, 1);
  max_events = std::min(max_events, limits::kReadEventsMax);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), columns_[kGlobal]));
  // The run holding `from` starts at or before it.
  it->SeekForPrev(keys::Global(from));
  if (!it->Valid()) it->SeekToFirst();
  size_t start = out->size();
  for (; it->Valid() && out->size() - start < max_events; it->Next()) {
    uint64_t run_first = coding::GetFixed64BigEndian(it->key().ToStringView());
    LEDGER_RETURN_IF_ERROR(ReadRun(it->value().ToStringView(), run_first, from,
                                   max_events - (out->size() - start), out));
  }
  if (!it->status().ok()) return Status::IoError("read global: " + it->status().ToString());
  return Status::Ok();
}

Result<StoredEvent> RocksEventLog::Get(const Uuid& org, uint64_t org_seq) const {
  std::string value;
  rocksdb::Status read =
      db_->Get(rocksdb::ReadOptions(), columns_[kEvents], keys::Event(org, org_seq), &value);
  if (read.IsNotFound()) {
    return Status::NotFound("org " + org.ToString() + " has no seq " + std::to_string(org_seq));
  }
  if (!read.ok()) return Status::IoError("get: " + read.ToString());
  StoredEvent event;
  LEDGER_RETURN_IF_ERROR(record::DecodeValue(org, org_seq, value, &event));
  return event;
}

Result<uint64_t> RocksEventLog::OrgSeqAsOf(const Uuid& org, int64_t recorded_at) const {
  Result<OrgState> state = LoadOrgState(org);
  if (!state.ok()) return state.status();
  if (state->tree.size() == 0) return Status::NotFound(UnknownOrg(org));
  if (state->last_recorded_at <= recorded_at) return state->tree.size();
  Result<StoredEvent> first = Get(org, 1);
  if (!first.ok()) return first.status();
  if (first->position.recorded_at > recorded_at) return 0;
  // recorded_at strictly increases with org_seq. Invariant: seq `low` was
  // recorded at or before T, seq `high` after it. Events arrive at a fairly
  // steady pace, so guessing by interpolation between the two usually lands
  // within a few events (a 1M-event org: about 5 reads, not 20); every other
  // guess halves the range instead, so bursts and pauses cost at most twice
  // a binary search.
  uint64_t low = 1, high = state->tree.size();
  int64_t low_at = first->position.recorded_at, high_at = state->last_recorded_at;
  for (bool halve = false; high - low > 1; halve = !halve) {
    uint64_t middle = low + (high - low) / 2;
    if (!halve) {
      double fraction = static_cast<double>(recorded_at - low_at) / (high_at - low_at);
      middle = low + static_cast<uint64_t>(fraction * (high - low));
      middle = std::clamp(middle, low + 1, high - 1);
    }
    Result<StoredEvent> event = Get(org, middle);
    if (!event.ok()) return event.status();
    if (event->position.recorded_at <= recorded_at) {
      low = middle;
      low_at = event->position.recorded_at;
    } else {
      high = middle;
      high_at = event->position.recorded_at;
    }
  }
  return low;
}

Result<TreeHead> RocksEventLog::Head(const Uuid& org) const {
  Result<OrgState> state = LoadOrgState(org);
  if (!state.ok()) return state.status();
  if (state->tree.size() == 0) return Status::NotFound(UnknownOrg(org));
  return TreeHead{state->tree.size(), state->tree.Root()};
}

Result<TreeHead> RocksEventLog::HeadAt(const Uuid& org, uint64_t size) const {
  Result<TreeHead> current = Head(org);
  if (!current.ok()) return current;
  if (size > current->size) {
    return Status::InvalidArgument("org " + org.ToString() + " has " +
                                   std::to_string(current->size) + " events, not " +
                                   std::to_string(size));
  }
  if (size == current->size) return current;
  if (size == 0) return TreeHead{0, EmptyTreeRoot()};
  Result<Digest> root =
      TreeReader(db_.get(), columns_[kEvents], columns_[kTree], org).SubtreeHash(0, size);
  if (!root.ok()) return root.status();
  return TreeHead{size, *root};
}

Result<Digest> RocksEventLog::SubtreeHash(const Uuid& org, uint64_t begin, uint64_t end) const {
  Result<TreeHead> current = Head(org);
  if (!current.ok()) return current.status();
  if (begin >= end || end > current->size) {
    return Status::InvalidArgument("org " + org.ToString() + " has " +
                                   std::to_string(current->size) + " events: no subtree [" +
                                   std::to_string(begin) + ", " + std::to_string(end) + ")");
  }
  return TreeReader(db_.get(), columns_[kEvents], columns_[kTree], org).SubtreeHash(begin, end);
}

Result<std::vector<Uuid>> RocksEventLog::Orgs() const {
  std::vector<Uuid> orgs;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), columns_[kOrgs]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() == keys::kOrgBytes) orgs.push_back(keys::OrgOf(it->key().ToStringView()));
  }
  if (!it->status().ok()) return Status::IoError("list orgs: " + it->status().ToString());
  return orgs;
}

}  // namespace ledger
