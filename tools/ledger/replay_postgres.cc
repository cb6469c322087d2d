#include "replay_postgres.h"

#include <pqxx/pqxx>

#include "ledger/projections/event_rows.h"
#include "ledger/projections/read_model.h"
#include "ledger/projections/tables.h"
#include "pg.h"  // projections/src: CopyStream

namespace ledger::cli {
namespace {

using projections::Row;
using projections::Table;

// Opens personal fields through the source (its master key, or an admin
// ledgerd). Without keys they render as NULL, as for a forgotten subject:
// after the first refusal it stops asking.
class SourceOpener : public projections::SealedOpener {
 public:
  explicit SourceOpener(audit::AuditSource& source) : source_(source) {}
  std::optional<std::string> Open(const projections::SealedRef& value) override {
    std::optional<Uuid> subject = Uuid::Parse(value.subject);
    if (!can_open_ || !subject) return std::nullopt;
    SealedValue sealed;
    sealed.subject = *subject;
    if (value.nonce.size() != sealed.nonce.size()) return std::nullopt;
    std::copy(value.nonce.begin(), value.nonce.end(), sealed.nonce.begin());
    sealed.ciphertext = std::string(value.ciphertext);
    Result<std::vector<std::optional<std::string>>> opened =
        source_.OpenSealed(std::span(&sealed, 1));
    if (!opened.ok() || opened->size() != 1) {
      can_open_ = false;
      return std::nullopt;
    }
    return std::move(opened->front());
  }

 private:
  audit::AuditSource& source_;
  bool can_open_ = true;
};

class VectorSink : public projections::RowSink {
 public:
  void Put(Table, Row row) override { rows.push_back(std::move(row)); }
  void Delete(Table, const Uuid&, const std::string&) override {}
  void ClearChildren(Table, const Uuid&, const std::string&) override {}
  std::vector<Row> rows;
};

// libpq's messages span lines; ours are one line.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// One table's COPY (the projector's CopyStream: binary where it can), counting
// its rows.
class Copy {
 public:
  Copy(pqxx::dbtransaction& tx, Table table)
      : stream_(tx, std::string(projections::Def(table).name), projections::Def(table).columns) {}
  void Write(const Row& row) {
    stream_.Write(row);
    ++rows_;
  }
  uint64_t Complete() {
    stream_.Complete();
    return rows_;
  }

 private:
  projections::CopyStream stream_;
  uint64_t rows_ = 0;
};

class Loader {
 public:
  Loader(const PostgresTarget& target, const State& state, audit::AuditSource& source)
      : target_(target), state_(state), source_(source) {}

  Status Run(uint64_t* rows) {
    pqxx::connection connection(target_.conninfo);
    pqxx::work tx(connection);
    tx.exec("SET LOCAL client_min_messages TO warning");
    LEDGER_RETURN_IF_ERROR(ClearSchema(tx));
    projections::Migrate(tx, target_.schema);  // the DDL; search_path now the schema
    *rows += Entities(tx);
    LEDGER_RETURN_IF_ERROR(EventTables(tx, rows));
    tx.commit();
    return Status::Ok();
  }

 private:
  Status ClearSchema(pqxx::work& tx) {
    const std::string& schema = target_.schema;
    if (tx.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema).empty()) {
      return Status::Ok();
    }
    bool empty = tx.exec_params(
                       "SELECT NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n"
                       " ON n.oid = c.relnamespace WHERE n.nspname = $1)"
                       " AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n"
                       " ON n.oid = p.pronamespace WHERE n.nspname = $1)",
                       schema)[0][0]
                     .as<bool>();
    if (!empty && !target_.replace) {
      return Status::FailedPrecondition("schema " + schema +
                                        " exists and is not empty (add --replace to replace it)");
    }
    tx.exec("DROP SCHEMA " + tx.quote_name(schema) + " CASCADE");
    return Status::Ok();
  }

  uint64_t Entities(pqxx::work& tx) {
    uint64_t rows = 0;
    projections::RenderContext context{state_, opener_};
    for (const projections::TableDef& def : projections::AllTables()) {
      if (def.table == Table::kEvents || def.table == Table::kUsageRecords) continue;
      VectorSink sink;
      projections::RenderTable(context, def.table, sink);
      if (sink.rows.empty()) continue;
      Copy copy(tx, def.table);
      for (const Row& row : sink.rows) copy.Write(row);
      rows += copy.Complete();
    }
    return rows;
  }

  // One pass over the log per table: a COPY is one statement at a time.
  Status EventTables(pqxx::work& tx, uint64_t* rows) {
    if (state_.version == 0) return Status::Ok();  // before the org's first event
    for (Table table : {Table::kEvents, Table::kUsageRecords}) {
      Copy copy(tx, table);
      LEDGER_RETURN_IF_ERROR(
          source_.Scan(state_.org, 1, state_.version, [&](const StoredEvent& stored) {
            if (table == Table::kEvents) {
              copy.Write(projections::EventRow(stored, opener_));
            } else if (std::optional<Row> row = projections::UsageRow(stored)) {
              copy.Write(*row);
            }
            return Status::Ok();
          }));
      *rows += copy.Complete();
    }
    return Status::Ok();
  }

  const PostgresTarget& target_;
  const State& state_;
  audit::AuditSource& source_;
  SourceOpener opener_{source_};
};

}  // namespace

Result<uint64_t> ReplayIntoPostgres(const PostgresTarget& target, const State& state,
                                    audit::AuditSource& source) {
  uint64_t rows = 0;
  try {
    LEDGER_RETURN_IF_ERROR(Loader(target, state, source).Run(&rows));
  } catch (const std::exception& e) {
    return Status::Unavailable("PostgreSQL: " + OneLine(e.what()));
  }
  return rows;
}

}  // namespace ledger::cli
