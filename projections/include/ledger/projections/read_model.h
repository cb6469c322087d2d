// The read-model schema's migrations (projections/sql/NNN_*.sql), applied in
// order and recorded in the schema's own schema_migrations table.
#pragma once

#include <span>
#include <string>
#include <string_view>

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

}  // namespace ledger::projections
