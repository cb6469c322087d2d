#include "naive_projector.h"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "folder.h"  // projections/src: the same fold as ledger-project
#include "ledger/projections/event_rows.h"
#include "ledger/projections/read_model.h"
#include "ledger/projections/tables.h"
#include "pg.h"  // projections/src: ConnectTo, Guarded

namespace ledger::bench {
namespace {

using projections::Row;
using projections::Table;
using projections::TableDef;

enum class Verb : uint8_t { kPut, kDelete, kClear };

std::string Join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// One row: INSERT; an entity row: INSERT ... ON CONFLICT DO UPDATE.
std::string PutSql(const TableDef& def) {
  std::string sql =
      "INSERT INTO " + std::string(def.name) + " (" + Join(def.columns) + ") VALUES (";
  for (size_t i = 0; i < def.columns.size(); ++i) sql += (i ? ", $" : "$") + std::to_string(i + 1);
  sql += ")";
  if (def.table == Table::kEvents || def.table == Table::kUsageRecords) return sql;
  std::string updates;
  for (std::string_view column : def.columns) {
    if (std::find(def.key.begin(), def.key.end(), column) != def.key.end()) continue;
    updates +=
        (updates.empty() ? "" : ", ") + std::string(column) + " = EXCLUDED." + std::string(column);
  }
  return sql + " ON CONFLICT (" + Join(def.key) + ") DO " +
         (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
}

std::string StatementSql(const TableDef& def, Verb verb) {
  std::string table(def.name);
  switch (verb) {
    case Verb::kPut:
      return PutSql(def);
    case Verb::kDelete:
      return "DELETE FROM " + table + " WHERE org_id = $1::uuid AND id = $2::uuid";
    case Verb::kClear:
      return "DELETE FROM " + table + " WHERE org_id = $1::uuid AND " + std::string(def.parent) +
             " = $2::uuid";
  }
  return "";
}

// Executes each row as its own prepared statement in the current transaction.
class StatementSink : public projections::RowSink {
 public:
  StatementSink(pqxx::connection& connection, NaiveStats& stats)
      : connection_(connection), stats_(stats) {}

  void Begin(pqxx::transaction_base* tx) { tx_ = tx; }

  void Put(Table table, Row row) override {
    std::vector<const char*> params;
    for (size_t i = 0; i < row.size(); ++i) {
      params.push_back(row.is_null(i) ? nullptr : row.c_str(i));
    }
    Exec(table, Verb::kPut, params);
    ++stats_.rows;
  }

  void Delete(Table table, const Uuid& org, const std::string& id) override {
    if (!Uuid::Parse(id)) return;  // never written: nothing to delete
    std::string org_text = org.ToString();
    Exec(table, Verb::kDelete, {org_text.c_str(), id.c_str()});
  }

  void ClearChildren(Table table, const Uuid& org, const std::string& parent_id) override {
    if (!Uuid::Parse(parent_id)) return;
    std::string org_text = org.ToString();
    Exec(table, Verb::kClear, {org_text.c_str(), parent_id.c_str()});
  }

 private:
  // Prepared on first use: not every table has an id or a parent column.
  void Exec(Table table, Verb verb, const std::vector<const char*>& params) {
    size_t index = static_cast<size_t>(table) * 3 + static_cast<size_t>(verb);
    std::string name = "naive_" + std::to_string(index);
    if (!prepared_[index]) {
      connection_.prepare(name, StatementSql(projections::Def(table), verb));
      prepared_[index] = true;
    }
    tx_->exec_prepared(name, pqxx::prepare::make_dynamic_params(params));
    ++stats_.statements;
  }

  pqxx::connection& connection_;
  NaiveStats& stats_;
  pqxx::transaction_base* tx_ = nullptr;
  std::array<bool, projections::kTableCount * 3> prepared_{};
};

}  // namespace

class NaiveProjector::Impl {
 public:
  Impl(NaiveOptions options, projections::SealedOpener& opener)
      : options_(std::move(options)), opener_(opener) {}

  Status Start() {
    return projections::Guarded("preparing the naive schema", [this] {
      connection_ = projections::ConnectTo(options_.conninfo, options_.schema);
      {
        pqxx::work tx(*connection_);
        tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(options_.schema) + " CASCADE");
        projections::Migrate(tx, options_.schema);
        tx.commit();
      }
      if (!options_.synchronous_commit) {
        pqxx::nontransaction session(*connection_);
        session.exec("SET synchronous_commit TO off");
      }
      connection_->prepare("naive_checkpoint",
                           "UPDATE projector_checkpoint SET global_seq = $1, updated_at = now()");
      sink_ = std::make_unique<StatementSink>(*connection_, stats_);
    });
  }

  Status Project(std::span<const StoredEvent> events) {
    for (const StoredEvent& event : events) {
      units_.clear();
      LEDGER_RETURN_IF_ERROR(folder_.Fold(event, &units_));
      LEDGER_RETURN_IF_ERROR(projections::Guarded("naive write", [&] { Write(event); }));
    }
    return Status::Ok();
  }

  Status Finish() {
    return projections::Guarded("naive commit", [this] {
      if (tx_) Commit();
    });
  }

  const NaiveStats& stats() const { return stats_; }

 private:
  void Write(const StoredEvent& event) {
    if (!tx_) tx_ = std::make_unique<pqxx::work>(*connection_);
    sink_->Begin(tx_.get());
    sink_->Put(Table::kEvents, projections::EventRow(event, opener_));
    if (std::optional<Row> usage = projections::UsageRow(event)) {
      sink_->Put(Table::kUsageRecords, std::move(*usage));
    }
    for (const auto& [org, kind, id] : units_) {
      const State* state = folder_.StateOf(org);
      if (state == nullptr) continue;
      projections::RenderUnit(projections::RenderContext{*state, opener_}, kind, id, *sink_);
    }
    ++stats_.events;
    if (++in_transaction_ == options_.events_per_transaction) Commit();
  }

  void Commit() {
    tx_->exec_prepared("naive_checkpoint", static_cast<int64_t>(folder_.applied()));
    ++stats_.statements;
    tx_->commit();
    tx_.reset();
    in_transaction_ = 0;
    ++stats_.transactions;
  }

  NaiveOptions options_;
  projections::SealedOpener& opener_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::work> tx_;
  std::unique_ptr<StatementSink> sink_;
  projections::Folder folder_;
  projections::Units units_;
  size_t in_transaction_ = 0;
  NaiveStats stats_;
};

Result<std::unique_ptr<NaiveProjector>> NaiveProjector::Open(const NaiveOptions& options,
                                                             projections::SealedOpener& opener) {
  auto impl = std::make_unique<Impl>(options, opener);
  LEDGER_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<NaiveProjector>(new NaiveProjector(std::move(impl)));
}

NaiveProjector::NaiveProjector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NaiveProjector::~NaiveProjector() = default;
Status NaiveProjector::Project(std::span<const StoredEvent> events) {
  return impl_->Project(events);
}
Status NaiveProjector::Finish() { return impl_->Finish(); }
const NaiveStats& NaiveProjector::stats() const { return impl_->stats(); }

}  // namespace ledger::bench
