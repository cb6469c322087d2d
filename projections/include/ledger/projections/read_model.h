// The read-model schema's migrations (projections/sql/NNN_*.sql), applied in
// order and recorded in the schema's own schema_migrations table.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace ledger::projections {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};
std::span<const Migration> Migrations();
int LatestMigration();

// Creates `schema` if missing, sets the transaction's search_path to it and
// applies the migrations newer than those recorded, up to `up_to` (0: all).
// Throws what libpqxx throws (callers turn it into a Status).
void Migrate(pqxx::transaction_base& tx, const std::string& schema, int up_to = 0);

// A migration made only of CREATE [UNIQUE] INDEX statements and whole-line
// "--" comments, as its statements (each on one line) grouped by the table
// each indexes, so a rebuild can build the big tables' indexes on
// connections of their own. nullopt when the text holds anything else
// (another kind of statement, a quoted string or identifier, dollar quoting,
// a block comment or a comment inside a statement): cutting such text at ';'
// could cut it wrongly, so it must run whole.
using IndexStatements = std::map<std::string, std::vector<std::string>>;
std::optional<IndexStatements> IndexStatementsByTable(std::string_view sql);

}  // namespace ledger::projections
