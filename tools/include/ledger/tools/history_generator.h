// Every event is a valid command for the write model (ledger.h): submitted
// in order, all are accepted, and the engine adds the events they imply.
//
// Generates a realistic multi-org history of the seed domain: orgs with a
// subscription, roles, teams, employees (personal fields sealed), templates,
// tools, agents, approval requests, missions, tasks and usage. Orgs are
// interleaved as they would be in a live feed. Deterministic for a seed
// (ids and sealed bytes aside, which come from the CSPRNG, and the billing
// period, which is the one in force when the history is made).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/subject_keys.h"
#include "ledger/uuid.h"

namespace ledger::tools {

struct HistoryOptions {
  int orgs = 4;
  int employees_per_org = 12;
  int missions_per_employee = 2;
  // LLM calls recorded per task (usage dominates a real org's history).
  int usage_per_task = 1;
  uint64_t seed = 2026;
};

struct GeneratedHistory {
  std::vector<Uuid> orgs;
  std::vector<std::string> events;  // ledger.fb.Event FlatBuffers, in append order
};

// Seals personal fields through `keys`; their data keys are written with the
// next Append of the log that owns `keys`.
Result<GeneratedHistory> GenerateHistory(const HistoryOptions& options, SubjectKeys& keys);

}  // namespace ledger::tools
