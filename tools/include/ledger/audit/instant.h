// "--at T" for the auditor tools: an ISO-8601 instant or an org sequence.
//
//   2026-03-01T12:00:00Z, 2026-03-01T12:00:00.123456+01:00, 2026-03-01
//   (midnight UTC), or a plain number: the org's state after that event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/audit/source.h"
#include "ledger/status.h"

namespace ledger::audit {

struct Instant {
  bool is_seq = false;
  uint64_t seq = 0;         // when is_seq
  int64_t recorded_at = 0;  // microseconds since the epoch, otherwise
  std::string text;         // as given, for messages
};

// InvalidArgument "malformed time '...': expected ISO-8601 ..." otherwise.
Result<Instant> ParseInstant(std::string_view text);

// The org's version as of the instant: a sequence as given (capped at the
// head), a time via VersionAsOf. NotFound "unknown org X" for an org without
// events; InvalidArgument "org X did not exist at T (its first event was recorded
// at ...)" for an instant before its first event.
Result<uint64_t> ResolveVersion(AuditSource& source, const Uuid& org, const Instant& at);

// Microseconds since the epoch as ISO-8601 UTC with microseconds
// ("2026-03-01T12:00:00.000000Z").
std::string FormatInstant(int64_t recorded_at);

}  // namespace ledger::audit
