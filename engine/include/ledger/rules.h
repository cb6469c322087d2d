// Why a command was rejected. Stable: the numbers reach clients on the wire
// and the names appear in messages and logs. Only append.
#pragma once

#include <cstdint>

namespace ledger {

enum class Rule : uint16_t {
  kNone = 0,
  kMalformed = 1,           // not a valid event: bad FlatBuffer, missing field, bad UUID
  kUnknownEventType = 2,    // a payload type this engine does not know
  kEngineEmitted = 3,       // only the engine emits this event type
  kNoSuchOrg = 4,           // the org was never created
  kOrgExists = 5,           // OrganizationCreated for an org that exists
  kOrgDeleted = 6,          // the org is deleted: it accepts nothing more
  kUnknownReference = 7,    // a referenced entity does not exist in this org
  kNotLive = 8,             // a referenced entity is deleted, retired, revoked or ended
  kDuplicateId = 9,         // the new entity's id is already used in this org
  kNotUnique = 10,          // a unique value (slug, email, name, sha256) is taken
  kEmployeeNotActive = 11,  // the employee is not active
  kEmployeeLimit = 12,      // the org holds max_employees employees
  kAgentLimit = 13,         // the employee holds max_agents_per_employee agents
  kTemplateNotUsable = 14,  // neither the org's own nor public
  kMcpServerNotApproved = 15,
  kNotApprover = 16,          // the approver's role does not allow approving
  kSelfApproval = 17,         // the approver is the requester
  kRequestNotPending = 18,    // the request is resolved, cancelled or expired
  kAlreadyVoted = 19,         // one vote per approver per request
  kNegativeAmount = 20,       // a quantity, cost, price or budget below zero
  kOverflow = 21,             // an amount would overflow int64
  kDependencyCycle = 22,      // a task dependency would close a cycle
  kInvalidTransition = 23,    // the entity is not in a state that allows this change
  kInvalidValue = 24,         // a field's value is out of its domain
  kSubjectForgotten = 25,     // personal data sealed for a forgotten subject
  kVersionConflict = 26,      // expected version differs from the org's version
  kIdempotencyMismatch = 27,  // idempotency key reused with other content
};

// "agent_limit" for Rule::kAgentLimit; "unknown" for numbers not listed.
const char* RuleName(Rule rule);

}  // namespace ledger
