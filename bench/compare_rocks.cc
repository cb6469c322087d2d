// Raw RocksDB: the same event bytes under the log's key shape (org, org_seq),
// one WriteBatch and one synced write per batch, with the engine's options.
// No record header, Merkle nodes, global index or org state: the floor our
// storage cannot beat.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_map>

#include "compare.h"
#include "keys.h"
#include "rocks_event_log.h"

namespace ledger::bench {

Result<IngestResult> RunRawRocks(const IngestOptions& options,
                                 const std::vector<std::string>& events) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(LogRocksOptions(), options.dir, &raw);
  if (!opened.ok()) return Status::IoError(opened.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  // Keys are the org ids the events carry; sequences count per org.
  std::vector<Uuid> orgs;
  for (const std::string& event : events) {
    std::optional<Uuid> org = Uuid::Parse(EnvelopeOf(event).org_id);
    if (!org) return Status::InvalidArgument("event without an org id");
    orgs.push_back(*org);
  }
  rocksdb::WriteOptions synced;
  synced.sync = true;
  IngestResult result;
  std::unordered_map<Uuid, uint64_t, UuidHash> next_seq;
  Clock::time_point start = Clock::now();
  for (size_t first = 0; first < events.size(); first += options.batch) {
    Clock::time_point sent = Clock::now();
    size_t end = std::min(events.size(), first + options.batch);
    rocksdb::WriteBatch batch;
    for (size_t i = first; i < end; ++i) {
      batch.Put(keys::Event(orgs[i], ++next_seq[orgs[i]]), events[i]);
      result.bytes += events[i].size();
    }
    rocksdb::Status written = db->Write(synced, &batch);
    if (!written.ok()) return Status::IoError(written.ToString());
    result.latencies_ms.push_back(MillisSince(sent));
    result.events += end - first;
  }
  result.seconds = MillisSince(start) / 1000;
  (void)db->Close();
  return result;
}

}  // namespace ledger::bench
