// A full rebuild: fold the whole feed, bulk-load a shadow schema with COPY,
// index it, and swap it in with one transaction.
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <map>
#include <optional>

#include "folder.h"
#include "ledger/projections/event_rows.h"
#include "ledger/projections/projector.h"
#include "ledger/projections/read_model.h"
#include "pg.h"

namespace ledger::projections {
namespace {

// Collects one org's rows of one table.
class VectorSink : public RowSink {
 public:
  void Put(Table, Row row) override { rows.push_back(std::move(row)); }
  void Delete(Table, const Uuid&, const std::string&) override {}
  void ClearChildren(Table, const Uuid&, const std::string&) override {}
  std::vector<Row> rows;
};

// The index migration: a rebuild applies it after the bulk load.
constexpr int kIndexMigration = 2;

std::string_view IndexMigrationSql() {
  for (const Migration& m : Migrations()) {
    if (m.version == kIndexMigration) return m.sql;
  }
  return {};
}

class Rebuilder {
 public:
  Rebuilder(const ProjectorOptions& options, SealedOpener& opener)
      : options_(options), opener_(opener) {}

  Status Run(const FeedReader& read, const Progress& progress, RebuildStats* stats) {
    auto started = std::chrono::steady_clock::now();
    shadow_ = options_.schema + "_rebuild";
    LEDGER_RETURN_IF_ERROR(Guarded("creating the shadow schema", [&] { CreateShadow(); }));
    auto since = [](std::chrono::steady_clock::time_point start) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    auto load_started = std::chrono::steady_clock::now();
    LEDGER_RETURN_IF_ERROR(LoadFeed(read, progress, stats));
    stats->load_seconds = since(load_started);
    auto finish_started = std::chrono::steady_clock::now();
    LEDGER_RETURN_IF_ERROR(Guarded("loading entity tables and indexing", [&] { Finish(stats); }));
    LEDGER_RETURN_IF_ERROR(Guarded("swapping the rebuilt schema in", [&] { Swap(); }));
    stats->finish_seconds = since(finish_started);
    stats->seconds = since(started);
    return Status::Ok();
  }

 private:
  void CreateShadow() {
    main_ = ConnectTo(options_.conninfo, shadow_);
    pqxx::work tx(*main_);
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(shadow_) + " CASCADE");
    Migrate(tx, shadow_, 1);  // tables only: indexes after the load
    // The two big tables load without their primary keys too: one sorted
    // build afterwards costs less than a B-tree insert per row (a fifth to a
    // third of COPY's time for events). The keys come back as the DDL wrote
    // them.
    for (Table table : {Table::kEvents, Table::kUsageRecords}) {
      std::string name(Def(table).name);
      pqxx::row key = tx.exec_params1(
          "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
          " WHERE conrelid = $1::regclass AND contype = 'p'",
          tx.quote_name(shadow_) + "." + tx.quote_name(name));
      dropped_keys_.push_back({name, key[0].as<std::string>(), key[1].as<std::string>()});
      tx.exec("ALTER TABLE " + tx.quote_name(name) + " DROP CONSTRAINT " +
              tx.quote_name(dropped_keys_.back().constraint));
    }
    tx.commit();
  }

  // Events stream through two connections, batch by batch in turn, and
  // usage records through a third, so PostgreSQL parses on every core while
  // this thread folds and renders: COPY of events alone is the larger part
  // of a rebuild's time.
  Status LoadFeed(const FeedReader& read, const Progress& progress, RebuildStats* stats) {
    return Guarded("loading events", [&] {
      auto second_connection = ConnectTo(options_.conninfo, shadow_);
      auto usage_connection = ConnectTo(options_.conninfo, shadow_);
      pqxx::work events_tx(*main_);
      pqxx::work second_tx(*second_connection);
      pqxx::work usage_tx(*usage_connection);
      CopyStream events(events_tx, "events", Def(Table::kEvents).columns);
      CopyStream second(second_tx, "events", Def(Table::kEvents).columns);
      CopyStream usage(usage_tx, "usage_records", Def(Table::kUsageRecords).columns);
      bool turn = false;
      std::vector<StoredEvent> batch;
      std::vector<Row> rows;
      while (true) {
        batch.clear();
        Status status = read(folder_.applied() + 1, &batch);
        if (!status.ok()) throw std::runtime_error(status.ToString());
        if (batch.empty()) break;
        for (const StoredEvent& event : batch) {
          Status folded = folder_.Fold(event, nullptr);
          if (!folded.ok()) throw std::runtime_error(folded.ToString());
          if (std::optional<Row> row = UsageRow(event)) {
            usage.Write(*row);
            ++stats->rows;
          }
        }
        RenderEvents(batch, &rows);
        CopyStream& stream = (turn = !turn) ? events : second;
        for (const Row& row : rows) stream.Write(row);
        stats->events += batch.size();
        stats->rows += batch.size();
        if (progress) progress(stats->events);
      }
      events.Complete();
      second.Complete();
      usage.Complete();
      events_tx.commit();
      second_tx.commit();
      usage_tx.commit();
    });
  }

  void RenderEvents(const std::vector<StoredEvent>& batch, std::vector<Row>* rows) {
    for (int pass = 0; pass < 2; ++pass) {
      rows->clear();
      for (const StoredEvent& event : batch) rows->push_back(EventRow(event, opener_));
      Result<bool> fetched = opener_.FetchMissing();
      if (!fetched.ok()) throw std::runtime_error(fetched.status().ToString());
      if (!*fetched) return;
    }
  }

  // The entity tables load on the main connection while each big table
  // gets its primary key and indexes on a connection of its own: index
  // builds are mostly one backend's sort, so this keeps both cores busy.
  void Finish(RebuildStats* stats) {
    // A migration that cannot be split safely runs whole on the main
    // connection (after the side connections' keys): slower, never wrong.
    std::optional<IndexStatements> split = IndexStatementsByTable(IndexMigrationSql());
    IndexStatements statements = split ? std::move(*split) : IndexStatements();
    std::vector<std::future<void>> side;
    for (const DroppedKey& key : dropped_keys_) {
      auto mine = statements.extract(key.table);
      std::vector<std::string> indexes;
      if (!mine.empty()) indexes = std::move(mine.mapped());
      side.push_back(std::async(std::launch::async, [this, key, indexes = std::move(indexes)] {
        auto connection = ConnectTo(options_.conninfo, shadow_);
        pqxx::work tx(*connection);
        tx.exec("ALTER TABLE " + tx.quote_name(key.table) + " ADD CONSTRAINT " +
                tx.quote_name(key.constraint) + " " + key.definition);
        for (const std::string& statement : indexes) tx.exec(statement);
        tx.commit();
      }));
    }
    pqxx::work tx(*main_);
    LoadEntities(tx, stats);
    for (const auto& [table, list] : statements) {
      for (const std::string& statement : list) tx.exec(statement);
    }
    if (!split) tx.exec(std::string(IndexMigrationSql()));
    tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, 'indexes')",
                   kIndexMigration);
    Migrate(tx, shadow_);  // any later migration
    tx.exec_params("UPDATE projector_checkpoint SET global_seq = $1, updated_at = now()",
                   static_cast<int64_t>(folder_.applied()));
    for (std::future<void>& done : side) done.get();  // rethrows a side connection's error
    tx.commit();
  }

  void LoadEntities(pqxx::work& tx, RebuildStats* stats) {
    for (const TableDef& def : AllTables()) {
      if (def.table == Table::kEvents || def.table == Table::kUsageRecords) continue;
      CopyStream stream(tx, std::string(def.name), def.columns);
      for (const auto& [org, state] : folder_.states()) {
        VectorSink sink;
        for (int pass = 0; pass < 2; ++pass) {
          sink.rows.clear();
          RenderTable(RenderContext{state, opener_}, def.table, sink);
          Result<bool> fetched = opener_.FetchMissing();
          if (!fetched.ok()) throw std::runtime_error(fetched.status().ToString());
          if (!*fetched) break;
        }
        for (const Row& row : sink.rows) stream.Write(row);
        stats->rows += sink.rows.size();
      }
      stream.Complete();
    }
  }

  void Swap() {
    pqxx::work tx(*main_);
    std::string target = tx.quote_name(options_.schema);
    std::string old = tx.quote_name(options_.schema + "_old");
    tx.exec("DROP SCHEMA IF EXISTS " + old + " CASCADE");
    bool exists =
        !tx.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", options_.schema).empty();
    if (exists) tx.exec("ALTER SCHEMA " + target + " RENAME TO " + old);
    tx.exec("ALTER SCHEMA " + tx.quote_name(shadow_) + " RENAME TO " + target);
    if (exists) tx.exec("DROP SCHEMA " + old + " CASCADE");
    tx.commit();
  }

  struct DroppedKey {
    std::string table, constraint, definition;
  };

  const ProjectorOptions& options_;
  SealedOpener& opener_;
  std::string shadow_;
  std::vector<DroppedKey> dropped_keys_;
  std::unique_ptr<pqxx::connection> main_;
  Folder folder_;
};

}  // namespace

Result<RebuildStats> Rebuild(const ProjectorOptions& options, SealedOpener& opener,
                             const FeedReader& read, const Progress& progress) {
  RebuildStats stats;
  Rebuilder rebuilder(options, opener);
  LEDGER_RETURN_IF_ERROR(rebuilder.Run(read, progress, &stats));
  return stats;
}

}  // namespace ledger::projections
