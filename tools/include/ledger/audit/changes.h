// What changed: one entity across the org's history (`ledger history`) and
// every entity between two versions of the org (`ledger diff`). Both
// compare the entity's JSON form (entities.h) before and after, so a change
// reads the same in both tools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/audit/entities.h"
#include "ledger/audit/source.h"

namespace ledger::audit {

enum class ChangeType { kAdded, kRemoved, kChanged };
const char* ChangeTypeName(ChangeType type);  // "added", "removed", "changed"

struct EntityDiff {
  const EntityKind* kind = nullptr;
  std::string id;
  ChangeType type = ChangeType::kChanged;
  std::string before;  // the entity's JSON, "" when absent
  std::string after;
  std::vector<FieldChange> fields;
};

struct HistoryEntry {
  Position position;  // org_seq, recorded_at
  fb::ActorKind actor_kind = fb::ActorKind::Unknown;
  std::string actor_id;
  std::string event_type;  // "EmployeeHired"
  EntityDiff change;
};

// Every event that changed the entity, oldest first, from one pass over the
// org's log: the org is folded with the engine's Apply, and for each event
// that mentions the entity's id (organization: every event) its JSON form
// just before and just after the event is compared. NotFound "unknown org
// X" for an org without events; NotFound "<kind> <id> never existed in org
// X" for an entity no event created.
Result<std::vector<HistoryEntry>> EntityHistory(AuditSource& source, const Uuid& org,
                                                const EntityRef& entity, StatePrinter& printer);

// The entities added, removed or changed from `from` to `to` (two states of
// one org), in EntityKinds() order, then by id.
std::vector<EntityDiff> DiffStates(const State& from, const State& to, StatePrinter& printer);

}  // namespace ledger::audit
