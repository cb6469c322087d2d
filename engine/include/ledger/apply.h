// Apply: the one definition of what an event means (DESIGN.md decision 5).
// The write model, replay, snapshots and as-of queries all fold events with
// it, so they cannot disagree.
#pragma once

#include "ledger/fb/events_generated.h"
#include "ledger/state.h"
#include "ledger/stored_event.h"

namespace ledger {

// Folds one committed event into its org's state. Never fails: the write
// model validated the event before it was appended, and an event that names
// something the state does not hold (possible only for logs written without
// the command layer) changes nothing it cannot attach to.
// REQUIRES: position.org == state.org, position.org_seq == state.version + 1.
void Apply(State& state, const fb::Event& event, const Position& position);

// XXH3-64 of the event's type and payload: what "same content" means for
// idempotency keys. Independent of envelope fields such as event_id, and of
// sealed values' nonce and ciphertext (a retry re-seals them): personal
// fields count by their subject only.
uint64_t ContentHash(const fb::Event& event);

}  // namespace ledger
