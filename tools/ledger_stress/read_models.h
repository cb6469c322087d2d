// Check (c): the read models the live projector keeps in PostgreSQL equal a
// fresh rebuild of the same log (projections::Rebuild, the code behind
// `ledger-project --rebuild`), table for table and row for row.
//
// The rebuild reads the log through a read-only RocksDB view of ledgerd's
// directory (safe while ledgerd runs), up to the global sequence the live
// projector has reached, into a schema of its own in the same database.
// This file is the stress tool's one adapter over libpqxx.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <pqxx/connection>
#include <string>

#include "ledger/event_log.h"
#include "ledger/status.h"

namespace ledger::stress {

struct ReadModelCounts {
  uint64_t tables = 0;
  uint64_t rows = 0;  // over every table of the live schema
  uint64_t events = 0;
};

class ReadModels {
 public:
  ReadModels(std::string conninfo, std::string live_schema, std::string rebuild_schema);
  ~ReadModels();

  // Drops both schemas (and what a rebuild leaves beside them) so that a
  // run starts from an empty read model.
  Status Reset();
  // The global sequence the live models hold (0 before the projector made
  // its schema).
  Result<uint64_t> LiveCheckpoint();
  // Rebuilds the rebuild schema from `log` (global seq 1..last_global_seq)
  // and compares every table with the live schema's.
  // REQUIRES: LiveCheckpoint() == last_global_seq, and the log holds it.
  Status RebuildAndCompare(EventLog& log, uint64_t last_global_seq, ReadModelCounts* counts);

 private:
  // table -> "rows|digest of the sorted row hashes"
  Result<std::map<std::string, std::string>> Digests(const std::string& schema);
  Result<uint64_t> Checkpoint(const std::string& schema);
  Status Run(const std::string& what, const std::function<void(pqxx::connection&)>& work);

  std::string conninfo_, live_, rebuild_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace ledger::stress
