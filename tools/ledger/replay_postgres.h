// `ledger replay --into-postgres`: an org's state as of a version written
// into a PostgreSQL schema with the read models' own DDL and rows
// (projections/), so the seed's sample SQL runs as of that instant.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/audit/source.h"
#include "ledger/state.h"

namespace ledger::cli {

struct PostgresTarget {
  std::string conninfo;  // libpq connection string or URL
  std::string schema;
  bool replace = false;  // drop an existing non-empty schema
};

// Writes every read-model table for `state`, and the events and usage
// records 1..state.version read from `source`, in ONE transaction: readers
// see the old schema or the complete new one. Personal fields are NULL (the
// tools read the log without its data keys). Returns the rows written.
// FailedPrecondition if the schema exists, is not empty and !replace.
Result<uint64_t> ReplayIntoPostgres(const PostgresTarget& target, const State& state,
                                    audit::AuditSource& source);

}  // namespace ledger::cli
