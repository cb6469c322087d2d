// The projector's in-memory org states, folded with the engine's Apply in
// global order, and the read-model units each event touches.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "ledger/projections/tables.h"
#include "ledger/state.h"
#include "ledger/stored_event.h"

namespace ledger::projections {

using Units = std::set<std::tuple<Uuid, Kind, std::string>>;

class Folder {
 public:
  // Applies the next event of the global feed. With `units`, adds what it
  // touched: its org, every entity its ids name before or after it, and
  // for SubjectForgotten every entity holding that subject's personal data.
  // kInternal if the event is not the next global or org sequence.
  Status Fold(const StoredEvent& event, Units* units);

  uint64_t applied() const { return applied_; }
  const State* StateOf(const Uuid& org) const;
  const std::unordered_map<Uuid, State, UuidHash>& states() const { return states_; }

 private:
  std::unordered_map<Uuid, State, UuidHash> states_;
  uint64_t applied_ = 0;
  std::vector<std::string_view> ids_;
};

}  // namespace ledger::projections
