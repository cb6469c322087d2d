#include "projection_breakdown.h"

#include <array>
#include <chrono>
#include <vector>

#include "bench_postgres.h"
#include "folder.h"  // projections/src
#include "ledger/projections/event_rows.h"
#include "ledger/projections/read_model.h"
#include "ledger/projections/tables.h"
#include "pg.h"  // projections/src: ConnectTo, Guarded

namespace ledger::bench {
namespace {

using Clock = std::chrono::steady_clock;
using projections::Row;
using projections::Table;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class VectorSink : public projections::RowSink {
 public:
  void Put(Table, Row row) override { rows.push_back(std::move(row)); }
  void Delete(Table, const Uuid&, const std::string&) override {}
  void ClearChildren(Table, const Uuid&, const std::string&) override {}
  std::vector<Row> rows;
};

// Rendered rows, per table.
struct Rendered {
  std::array<std::vector<Row>, projections::kTableCount> rows;
  std::vector<Row>& of(Table table) { return rows[static_cast<size_t>(table)]; }
};

Status ReadAll(const projections::FeedReader& read, std::vector<StoredEvent>* events,
               Breakdown* out) {
  auto start = Clock::now();
  std::vector<StoredEvent> batch;
  while (true) {
    batch.clear();
    LEDGER_RETURN_IF_ERROR(read(events->size() + 1, &batch));
    if (batch.empty()) break;
    for (StoredEvent& event : batch) events->push_back(std::move(event));
  }
  out->read = Since(start);
  out->events = events->size();
  return Status::Ok();
}

Status Render(const std::vector<StoredEvent>& events, projections::SealedOpener& opener,
              Rendered* rendered, Breakdown* out) {
  projections::Folder folder;
  auto start = Clock::now();
  for (const StoredEvent& event : events) LEDGER_RETURN_IF_ERROR(folder.Fold(event, nullptr));
  out->fold = Since(start);

  start = Clock::now();
  for (const StoredEvent& event : events) {
    rendered->of(Table::kEvents).push_back(projections::EventRow(event, opener));
  }
  out->event_rows = Since(start);

  start = Clock::now();
  for (const StoredEvent& event : events) {
    if (std::optional<Row> row = projections::UsageRow(event)) {
      rendered->of(Table::kUsageRecords).push_back(std::move(*row));
    }
  }
  out->usage_rows = Since(start);

  start = Clock::now();
  for (const projections::TableDef& def : projections::AllTables()) {
    if (def.table == Table::kEvents || def.table == Table::kUsageRecords) continue;
    for (const auto& [org, state] : folder.states()) {
      VectorSink sink;
      projections::RenderTable(projections::RenderContext{state, opener}, def.table, sink);
      for (Row& row : sink.rows) rendered->of(def.table).push_back(std::move(row));
    }
  }
  out->entity_rows = Since(start);

  for (const auto& table_rows : rendered->rows) out->rows += table_rows.size();
  return Status::Ok();
}

// COPYs one table's rows. Times their encoding alone (ours, as
// CopyStream::Write does it: into one reused buffer), then encodes them
// again untimed and times sending that and ending the COPY (PostgreSQL's).
double CopyTable(pqxx::connection& connection, const projections::TableDef& def,
                 const std::vector<Row>& rows, Breakdown* out) {
  if (rows.empty()) return 0;
  pqxx::work tx(connection);
  projections::CopyStream stream(tx, std::string(def.name), def.columns);
  auto start = Clock::now();
  std::string buffer;
  for (const Row& row : rows) {
    buffer.clear();
    stream.Encode(row, &buffer);
    out->copy_bytes += buffer.size();
  }
  out->copy_encode += Since(start);
  std::string all;
  for (const Row& row : rows) stream.Encode(row, &all);
  start = Clock::now();
  stream.WriteEncoded(all);
  stream.Complete();
  tx.commit();
  return Since(start);
}

Status Load(const std::string& conninfo, const std::string& schema, const Rendered& rendered,
            Breakdown* out) {
  return projections::Guarded("the breakdown's COPY", [&] {
    auto connection = projections::ConnectTo(conninfo, schema);
    {
      pqxx::work tx(*connection);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
      projections::Migrate(tx, schema, 1);  // tables and primary keys, as a rebuild loads
      tx.commit();
    }
    for (const projections::TableDef& def : projections::AllTables()) {
      double seconds =
          CopyTable(*connection, def, rendered.rows[static_cast<size_t>(def.table)], out);
      if (def.table == Table::kEvents) {
        out->copy_events = seconds;
      } else if (def.table == Table::kUsageRecords) {
        out->copy_usage = seconds;
      } else {
        out->copy_entities += seconds;
      }
    }
    auto start = Clock::now();
    pqxx::work tx(*connection);
    projections::Migrate(tx, schema);
    tx.commit();
    out->indexes = Since(start);
  });
}

}  // namespace

Result<Breakdown> MeasureBreakdown(const std::string& conninfo, const std::string& schema,
                                   projections::SealedOpener& opener,
                                   const projections::FeedReader& read) {
  Breakdown breakdown;
  std::vector<StoredEvent> events;
  LEDGER_RETURN_IF_ERROR(ReadAll(read, &events, &breakdown));
  auto rendered = std::make_unique<Rendered>();
  LEDGER_RETURN_IF_ERROR(Render(events, opener, rendered.get(), &breakdown));
  events.clear();
  events.shrink_to_fit();
  LEDGER_RETURN_IF_ERROR(Load(conninfo, schema, *rendered, &breakdown));
  LEDGER_RETURN_IF_ERROR(DropSchema(conninfo, schema));
  return breakdown;
}

}  // namespace ledger::bench
