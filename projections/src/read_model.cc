#include "ledger/projections/read_model.h"

#include <algorithm>
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

std::optional<IndexStatements> IndexStatementsByTable(std::string_view sql) {
  IndexStatements by_table;
  size_t begin = 0;
  while (begin < sql.size()) {
    size_t end = std::min(sql.find(';', begin), sql.size());
    std::string statement;
    for (size_t line = begin; line < end;) {
      size_t eol = std::min(sql.find('\n', line), end);
      std::string_view text = sql.substr(line, eol - line);
      size_t first = text.find_first_not_of(" \t\r");
      if (first != std::string_view::npos && !text.substr(first).starts_with("--")) {
        statement.append(text.substr(first)).push_back(' ');
      }
      line = eol + 1;
    }
    begin = end + 1;
    while (!statement.empty() && statement.back() == ' ') statement.pop_back();
    if (statement.empty()) continue;
    if (statement.find_first_of("'\"$\\") != std::string::npos ||
        statement.find("--") != std::string::npos || statement.find("/*") != std::string::npos) {
      return std::nullopt;
    }
    std::string_view rest = statement;
    if (rest.starts_with("CREATE UNIQUE INDEX ")) {
      rest.remove_prefix(20);
    } else if (rest.starts_with("CREATE INDEX ")) {
      rest.remove_prefix(13);
    } else {
      return std::nullopt;
    }
    size_t on = rest.find(" ON ");
    if (on == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(on + 4);
    size_t name_end = rest.find_first_of(" (");
    std::string table(rest.substr(0, name_end));
    if (table.empty()) return std::nullopt;
    by_table[table].push_back(statement);
  }
  return by_table;
}

}  // namespace ledger::projections
