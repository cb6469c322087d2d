// Commands: requests for a change, validated against the org's state.
//
// A command carries the event the caller wants recorded (a ledger.fb.Event
// FlatBuffer whose envelope names the org). The write model checks it against
// the org's current state (rules.h) and appends it together with the events
// it implies, atomically: an approval that meets its request's rule also
// resolves the request; usage that crosses 80 % or 100 % of the budget also
// records the threshold; offboarding also revokes the employee's agents and
// MCP configs and cancels their pending requests; forgetting a subject also
// destroys its data key. A rejected command appends nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/rules.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"

namespace ledger {

// Derived events carry this actor (ActorKind::System) and the command's
// event_id as causation_id.
inline constexpr const char* kDerivedActorId = "ledger";

struct Command {
  std::string event;  // ledger.fb.Event bytes
  // The org's version (its last org_seq; 0 for a new org) the caller based
  // the command on. A mismatch is a kVersionConflict and appends nothing.
  std::optional<uint64_t> expected_version;
};

struct CommandResult {
  // OK, or kRejected with `rule` set, or an engine error (I/O, corruption)
  // that failed the whole Submit.
  Status status;
  Rule rule = Rule::kNone;
  // The events this command appended: org sequences first_seq ..
  // first_seq + event_count - 1. For a retried idempotency key, the first
  // attempt's, with `replayed` set.
  uint64_t first_seq = 0;
  uint32_t event_count = 0;
  bool replayed = false;
  std::vector<Position> positions;  // empty when replayed
};

// The org a command's event names, after exactly the checks Submit makes
// before deciding it; an error here is the command's `malformed` rejection.
// Servers use it to check a token's org before submitting.
Result<Uuid> CommandOrg(const Command& command);

}  // namespace ledger
