// Shared steps of the as-of tools (`ledger replay`, `history`, `diff`):
// each prints its one-line reason through Fail and reports failure, so a
// command returns 1 straight away.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common.h"
#include "ledger/audit/entities.h"
#include "ledger/audit/instant.h"
#include "ledger/audit/source.h"

namespace ledger::cli {

// --db or --connect, opened read-only; null after printing why not.
std::unique_ptr<audit::AuditSource> OpenSource(const audit::SourceFlags& flags);

// An ISO-8601 time or an org sequence; nullopt after printing "malformed
// time ...".
std::optional<audit::Instant> ParseAt(const std::string& text);

// The org's version as of `at`; nullopt after printing why not (an unknown
// org, an instant before the org's first event).
std::optional<uint64_t> VersionAt(audit::AuditSource& source, const Uuid& org,
                                  const audit::Instant& at);

// The org's state after `version`; nullopt after printing why not.
std::optional<State> StateAt(audit::AuditSource& source, const Uuid& org, uint64_t version);

// The state printer, opening personal fields through the source when it can;
// null after printing why it could not load the schema.
std::unique_ptr<audit::StatePrinter> PrinterFor(audit::AuditSource& source);

// "employee:0b6c...", "system:ledger": who did it, as the tools print it.
std::string ActorText(fb::ActorKind kind, const std::string& id);

}  // namespace ledger::cli
