// --from/--to of the auditor commands that select events (export,
// evidence): an ISO-8601 instant or an org sequence, resolved to org
// sequences.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/audit/source.h"

namespace ledger::cli {

// Org sequences first..last, inclusive; empty when first > last.
struct EventRange {
  uint64_t first = 1;
  uint64_t last = 0;
  uint64_t size = 0;  // the org's events now: the head the range is proved against
  bool empty() const { return first > last; }
};

// --from S starts at event S; --from T at the first event recorded at or
// after T. --to S ends at event S; --to T at the org's version as of T
// (instant.h). Empty texts mean the first and the last event. NotFound for
// an unknown org, InvalidArgument for a malformed time, OutOfRange-style
// errors from ResolveVersion for a --to before the org existed.
Result<EventRange> ResolveRange(audit::AuditSource& source, const Uuid& org,
                                const std::string& from, const std::string& to);

}  // namespace ledger::cli
