#include "ledger/audit/instant.h"

#include <date/date.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <sstream>

namespace ledger::audit {
namespace {

using Micros = date::sys_time<std::chrono::microseconds>;

bool ParseWith(const std::string& text, const char* format, Micros* out) {
  std::istringstream in(text);
  Micros parsed;
  in >> date::parse(format, parsed);
  if (in.fail()) return false;
  in >> std::ws;
  if (!in.eof()) return false;  // trailing garbage
  *out = parsed;
  return true;
}

bool ParseIso(std::string text, int64_t* micros) {
  std::replace(text.begin(), text.end(), ' ', 'T');
  Micros parsed;
  bool ok = false;
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    text.pop_back();
    ok = ParseWith(text, "%FT%T", &parsed) || ParseWith(text, "%FT%R", &parsed);
  } else if (text.find('T') == std::string::npos) {
    date::sys_days day;
    std::istringstream in(text);
    in >> date::parse("%F", day);
    in >> std::ws;
    ok = !in.fail() && in.eof();
    parsed = day;
  } else {
    ok = ParseWith(text, "%FT%T%Ez", &parsed) || ParseWith(text, "%FT%R%Ez", &parsed);
  }
  if (ok) *micros = parsed.time_since_epoch().count();
  return ok;
}

}  // namespace

Result<Instant> ParseInstant(std::string_view text) {
  Instant instant;
  instant.text = std::string(text);
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), instant.seq);
    if (error != std::errc() || end != text.data() + text.size()) {
      return Status::InvalidArgument("sequence '" + instant.text + "' is out of range");
    }
    instant.is_seq = true;
    return instant;
  }
  if (!ParseIso(instant.text, &instant.recorded_at)) {
    return Status::InvalidArgument("malformed time '" + instant.text +
                                   "': expected ISO-8601 such as 2026-03-01T12:00:00Z, "
                                   "2026-03-01T12:00:00.5+01:00 or 2026-03-01, or a sequence "
                                   "number");
  }
  return instant;
}

Result<uint64_t> ResolveVersion(AuditSource& source, const Uuid& org, const Instant& at) {
  Result<TreeHead> head = source.Head(org);
  if (!head.ok()) return head.status();
  if (at.is_seq) {
    if (at.seq == 0) {
      return Status::InvalidArgument("sequence 0 is before org " + org.ToString() +
                                     "'s first event (sequences start at 1)");
    }
    return std::min(at.seq, head->size);
  }
  Result<uint64_t> version = source.VersionAsOf(org, at.recorded_at);
  if (!version.ok()) return version.status();
  if (*version == 0) {
    std::string first = "unknown";
    Status scanned = source.Scan(org, 1, 1, [&](const StoredEvent& event) {
      first = FormatInstant(event.position.recorded_at);
      return Status::Ok();
    });
    if (!scanned.ok()) return scanned;
    return Status::InvalidArgument("org " + org.ToString() + " did not exist at " + at.text +
                                   " (its first event was recorded at " + first + ")");
  }
  return *version;
}

std::string FormatInstant(int64_t recorded_at) {
  return date::format("%FT%TZ", Micros(std::chrono::microseconds(recorded_at)));
}

}  // namespace ledger::audit
