// `ledger replay --format table`: an org's state as plain-text tables, one
// per kind of entity it holds, for a person to read (the JSON form is the
// complete one).
#pragma once

#include <ostream>

#include "ledger/state.h"

namespace ledger::cli {

void PrintStateTables(const State& state, std::ostream& out);

}  // namespace ledger::cli
