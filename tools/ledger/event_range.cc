#include "event_range.h"

#include <algorithm>

#include "ledger/audit/instant.h"

namespace ledger::cli {
namespace {

Result<audit::Instant> Parse(const std::string& flag, const std::string& text) {
  Result<audit::Instant> at = audit::ParseInstant(text);
  if (!at.ok()) return at.status().WithContext(flag);
  return at;
}

}  // namespace

Result<EventRange> ResolveRange(audit::AuditSource& source, const Uuid& org,
                                const std::string& from, const std::string& to) {
  Result<TreeHead> head = source.Head(org);
  if (!head.ok()) return head.status();
  EventRange range{1, head->size, head->size};
  if (!from.empty()) {
    Result<audit::Instant> at = Parse("--from", from);
    if (!at.ok()) return at.status();
    if (at->is_seq) {
      range.first = std::max<uint64_t>(at->seq, 1);
    } else {
      // The first event not yet recorded just before T: recorded at or after T.
      Result<uint64_t> before = source.VersionAsOf(org, at->recorded_at - 1);
      if (!before.ok()) return before.status();
      range.first = *before + 1;
    }
  }
  if (!to.empty()) {
    Result<audit::Instant> at = Parse("--to", to);
    if (!at.ok()) return at.status();
    Result<uint64_t> version = audit::ResolveVersion(source, org, *at);
    if (!version.ok()) return version.status();
    range.last = std::min(*version, head->size);
  }
  return range;
}

}  // namespace ledger::cli
