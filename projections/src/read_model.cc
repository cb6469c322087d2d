#include "ledger/projections/read_model.h"

#include <pqxx/pqxx>

#include "sql_text.h"  // generated from projections/sql/*.sql

namespace ledger::projections {

std::span<const Migration> Migrations() {
  static const Migration migrations[] = {
      {1, "read_model", kSql001ReadModel},
      {2, "indexes", kSql002Indexes},
  };
  return migrations;
}

int LatestMigration() { return Migrations().back().version; }

void Migrate(pqxx::transaction_base& tx, const std::string& schema, int up_to) {
  std::string quoted = tx.quote_name(schema);
  tx.exec("CREATE SCHEMA IF NOT EXISTS " + quoted);
  tx.exec("SET LOCAL search_path TO " + quoted);
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  // One migrator at a time per schema.
  tx.exec("LOCK TABLE schema_migrations IN EXCLUSIVE MODE");
  int have = tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
  for (const Migration& m : Migrations()) {
    if (m.version <= have || (up_to != 0 && m.version > up_to)) continue;
    tx.exec(std::string(m.sql));
    tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                   std::string(m.name));
  }
}

}  // namespace ledger::projections
