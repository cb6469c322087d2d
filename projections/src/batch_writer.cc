#include "batch_writer.h"

namespace ledger::projections {
namespace {

std::string ArrayLiteral(const std::vector<std::pair<std::string, std::string>>& pairs,
                         bool second) {
  std::string out = "{";
  for (const auto& pair : pairs) {
    if (out.size() > 1) out += ',';
    out += second ? pair.second : pair.first;
  }
  return out + "}";
}

// DELETE the rows whose (org_id, column) is one of `keys`.
void DeleteWhere(pqxx::transaction_base& tx, const TableDef& def, std::string_view column,
                 const std::vector<std::pair<std::string, std::string>>& keys) {
  if (keys.empty()) return;
  tx.exec_params("DELETE FROM " + std::string(def.name) + " WHERE (org_id, " + std::string(column) +
                     ") IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))",
                 ArrayLiteral(keys, false), ArrayLiteral(keys, true));
}

std::string Join(const std::vector<std::string_view>& names, std::string_view prefix = "") {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += std::string(prefix) + std::string(name);
  }
  return out;
}

// COPY into a temporary stage table, then one INSERT ... ON CONFLICT: the
// fastest way PostgreSQL offers to upsert many rows.
void Upsert(pqxx::dbtransaction& tx, const TableDef& def, const std::vector<Row>& rows,
            std::set<std::string>* staged) {
  if (rows.empty()) return;
  std::string name(def.name);
  std::string stage = "stage_" + name;
  if (staged->insert(stage).second) {
    tx.exec("CREATE TEMP TABLE IF NOT EXISTS " + stage + " (LIKE " + name +
            ") ON COMMIT DELETE ROWS");
  }
  CopyRows(tx, stage, def.columns, rows);
  std::string updates;
  for (std::string_view column : def.columns) {
    if (std::find(def.key.begin(), def.key.end(), column) != def.key.end()) continue;
    if (!updates.empty()) updates += ", ";
    updates += std::string(column) + " = EXCLUDED." + std::string(column);
  }
  std::string columns = Join(def.columns);
  tx.exec("INSERT INTO " + name + " (" + columns + ") SELECT " + columns + " FROM " + stage +
          " ON CONFLICT (" + Join(def.key) + ") DO " +
          (updates.empty() ? "NOTHING" : "UPDATE SET " + updates));
}

}  // namespace

void BatchWriter::Put(Table table, Row row) {
  tables_[static_cast<size_t>(table)].puts.push_back(std::move(row));
}

void BatchWriter::Delete(Table table, const Uuid& org, const std::string& id) {
  if (!Uuid::Parse(id)) return;  // never written: nothing to delete
  tables_[static_cast<size_t>(table)].deletes.emplace_back(org.ToString(), id);
}

void BatchWriter::ClearChildren(Table table, const Uuid& org, const std::string& parent_id) {
  if (!Uuid::Parse(parent_id)) return;
  tables_[static_cast<size_t>(table)].clears.emplace_back(org.ToString(), parent_id);
}

void BatchWriter::Clear() {
  for (Changes& changes : tables_) changes = Changes{};
  forgotten_.clear();
}

void BatchWriter::Write(pqxx::dbtransaction& tx, uint64_t checkpoint,
                        std::set<std::string>* staged) const {
  for (const TableDef& def : AllTables()) {
    const Changes& changes = tables_[static_cast<size_t>(def.table)];
    DeleteWhere(tx, def, def.parent, changes.clears);
    DeleteWhere(tx, def, "id", changes.deletes);
  }
  for (const TableDef& def : AllTables()) {
    const Changes& changes = tables_[static_cast<size_t>(def.table)];
    // Events and usage records are new rows: plain COPY.
    if (def.table == Table::kEvents || def.table == Table::kUsageRecords) {
      CopyRows(tx, std::string(def.name), def.columns, changes.puts);
    } else {
      Upsert(tx, def, changes.puts, staged);
    }
  }
  // After this batch's events are in: they may name the subject too.
  for (const std::string& subject : forgotten_) {
    tx.exec_params(
        "UPDATE events SET payload = erase_subject(payload, $1::text) "
        "WHERE subjects @> ARRAY[$2::uuid]",
        subject, subject);
  }
  tx.exec_params("UPDATE projector_checkpoint SET global_seq = $1, updated_at = now()",
                 static_cast<int64_t>(checkpoint));
}

}  // namespace ledger::projections
