// The entities an org's state holds, as the auditor tools name them
// ("employee:ID"), and their JSON form through FlatBuffers' own printer of
// schemas/state.fbs (DESIGN.md decision 1), so that `ledger replay`,
// `history` and `diff` all show an entity the same way.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/state.h"
#include "ledger/status.h"
#include "ledger/subject_keys.h"

namespace ledger::audit {

struct EntityKind {
  std::string_view name;   // "employee": what --entity KIND:ID says
  std::string_view table;  // "Employee": its table in state.fbs
  // The entity as its own FlatBuffer (root: that table); empty when the
  // state does not hold it.
  std::string (*pack)(const State& state, std::string_view id);
  // Whether the entity differs between two states (either may lack it).
  bool (*differs)(const State& a, const State& b, std::string_view id);
  // Every id of this kind the state holds, sorted.
  std::vector<std::string> (*ids)(const State& state);
};

std::span<const EntityKind> EntityKinds();
// "employee, team, role, ..." for messages.
std::string EntityKindNames();
const EntityKind* FindEntityKind(std::string_view name);

struct EntityRef {
  const EntityKind* kind = nullptr;
  std::string id;
};
// "employee:0b6c...": InvalidArgument naming the valid kinds for an unknown
// kind or a missing id.
Result<EntityRef> ParseEntityRef(std::string_view text);

// One top-level field of an entity that differs: values as compact JSON,
// "null" when the field is absent on that side.
struct FieldChange {
  std::string field;
  std::string before;
  std::string after;
};

// FlatBuffers' JSON printer loaded with state.fbs. A sealed personal field
// prints opened, as {"subject_id": S, "value": "..."} ({"subject_id": S,
// "erased": true} once the subject was forgotten), when an opener is set and
// works; otherwise as {"subject_id": S, "sealed": "<nonce, hex>"}: the nonce
// tells two sealed values apart. Not thread-safe.
class StatePrinter {
 public:
  // Reads state.fbs from schema_dir ("": $LEDGER_SCHEMA_DIR, else the source
  // tree's schemas/ compiled in). NotFound or InvalidArgument saying why.
  static Result<std::unique_ptr<StatePrinter>> Create(const std::string& schema_dir = "");
  ~StatePrinter();

  // Opens sealed fields in batches (AuditSource::OpenSealed). Values are
  // cached by nonce; after the first failure the printer stops asking.
  using Opener =
      std::function<Result<std::vector<std::optional<std::string>>>(std::span<const SealedValue>)>;
  void SetOpener(Opener opener);

  // The whole state (PackState) as one JSON object; indent < 0: one line.
  std::string StateJson(const State& state, int indent = 2);
  // The entity as one-line JSON, "" when the state does not hold it.
  std::string EntityJson(const EntityKind& kind, const State& state, std::string_view id);

 private:
  class Impl;
  explicit StatePrinter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The top-level fields that differ between two entities' JSON ("" for an
// entity that does not exist on that side), in field order.
std::vector<FieldChange> ChangedFields(std::string_view before_json, std::string_view after_json);

}  // namespace ledger::audit
