// How `ledger history` and `ledger diff` print an entity's change: text
// lines "field: before → after", or JSON objects.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "ledger/audit/changes.h"

namespace ledger::cli {

// Field lines, indented by `indent`. An added entity lists its fields that
// are set (not null, 0, "", false or empty); a removed one lists nothing.
void PrintFieldChanges(const audit::EntityDiff& diff, const std::string& indent, std::ostream& out);

// {"kind", "id", "change", "fields": [{"field", "before", "after"}]}, values
// as JSON; with "after" (added) or "before" (removed) holding the entity.
nlohmann::ordered_json ChangeJson(const audit::EntityDiff& diff);

}  // namespace ledger::cli
