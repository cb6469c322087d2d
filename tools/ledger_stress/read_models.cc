#include "read_models.h"

#include <pqxx/pqxx>

#include "ledger/projections/projector.h"
#include "ledger/projections/tables.h"

namespace ledger::stress {

ReadModels::ReadModels(std::string conninfo, std::string live_schema, std::string rebuild_schema)
    : conninfo_(std::move(conninfo)),
      live_(std::move(live_schema)),
      rebuild_(std::move(rebuild_schema)) {}

ReadModels::~ReadModels() = default;

Status ReadModels::Run(const std::string& what,
                       const std::function<void(pqxx::connection&)>& work) {
  try {
    if (!connection_) connection_ = std::make_unique<pqxx::connection>(conninfo_);
    work(*connection_);
    return Status::Ok();
  } catch (const std::exception& e) {
    connection_.reset();  // reconnect next time
    return Status::Unavailable(what + ": " + e.what());
  }
}

Status ReadModels::Reset() {
  return Run("dropping the stress schemas", [&](pqxx::connection& connection) {
    pqxx::work tx(connection);
    // Rebuild leaves <schema>_rebuild (its shadow) and <schema>_old behind
    // only when interrupted; drop them too.
    for (const std::string& schema : {live_, rebuild_}) {
      for (const char* suffix : {"", "_rebuild", "_old"}) {
        tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema + suffix) + " CASCADE");
      }
    }
    tx.commit();
  });
}

Result<uint64_t> ReadModels::Checkpoint(const std::string& schema) {
  uint64_t checkpoint = 0;
  Status status = Run("reading the checkpoint of " + schema, [&](pqxx::connection& connection) {
    pqxx::work tx(connection);
    pqxx::result exists = tx.exec_params(
        "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'projector_checkpoint'",
        schema);
    if (exists.empty()) return;
    checkpoint =
        tx.exec1("SELECT global_seq FROM " + tx.quote_name(schema) + ".projector_checkpoint")[0]
            .as<uint64_t>();
  });
  if (!status.ok()) return status;
  return checkpoint;
}

Result<uint64_t> ReadModels::LiveCheckpoint() { return Checkpoint(live_); }

Result<std::map<std::string, std::string>> ReadModels::Digests(const std::string& schema) {
  std::map<std::string, std::string> digests;
  Status status = Run("reading the tables of " + schema, [&](pqxx::connection& connection) {
    pqxx::work tx(connection);
    for (const projections::TableDef& def : projections::AllTables()) {
      // Row hashes, sorted, hashed again: order-independent, and small
      // enough to aggregate even for the events table's payloads.
      std::string table = tx.quote_name(schema) + "." + tx.quote_name(std::string(def.name));
      pqxx::row row = tx.exec1(
          "SELECT count(*)::text || '|' || coalesce(md5(string_agg(h, '' ORDER BY h)), '') "
          "FROM (SELECT md5(x::text) AS h FROM " +
          table + " x) hashes");
      digests[std::string(def.name)] = row[0].as<std::string>();
    }
  });
  if (!status.ok()) return status;
  return digests;
}

Status ReadModels::RebuildAndCompare(EventLog& log, uint64_t last_global_seq,
                                     ReadModelCounts* counts) {
  projections::ProjectorOptions options;
  options.conninfo = conninfo_;
  options.schema = rebuild_;
  options.give_up_after = std::chrono::milliseconds(30'000);
  std::unique_ptr<projections::SealedOpener> opener = projections::KeyOpener(log.subject_keys());
  Result<projections::RebuildStats> rebuilt = projections::Rebuild(
      options, *opener, [&](uint64_t from, std::vector<StoredEvent>* out) -> Status {
        if (from > last_global_seq) return Status::Ok();  // empty: the end
        return log.ReadGlobal(from, std::min<uint64_t>(4096, last_global_seq - from + 1), out);
      });
  if (!rebuilt.ok()) return rebuilt.status().WithContext("rebuild");
  Result<uint64_t> rebuilt_checkpoint = Checkpoint(rebuild_);
  if (!rebuilt_checkpoint.ok()) return rebuilt_checkpoint.status();
  if (*rebuilt_checkpoint != last_global_seq) {
    return Status::Internal("the rebuild holds global seq " + std::to_string(*rebuilt_checkpoint) +
                            ", the live models " + std::to_string(last_global_seq));
  }
  Result<std::map<std::string, std::string>> live = Digests(live_);
  if (!live.ok()) return live.status();
  Result<std::map<std::string, std::string>> fresh = Digests(rebuild_);
  if (!fresh.ok()) return fresh.status();
  for (const auto& [table, digest] : *live) {
    const std::string& other = (*fresh)[table];
    if (digest != other) {
      return Status::Tampered(
          "read model " + table + " differs from a fresh rebuild at global seq " +
          std::to_string(last_global_seq) + ": live " + digest + ", rebuilt " + other +
          " (rows|digest); compare schemas " + live_ + " and " + rebuild_);
    }
    ++counts->tables;
    counts->rows += std::stoull(digest.substr(0, digest.find('|')));
  }
  counts->events = rebuilt->events;
  return Status::Ok();
}

}  // namespace ledger::stress
