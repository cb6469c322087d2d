// The two AuditSource backends (source.h).
#pragma once

#include <memory>

#include "ledger/audit/source.h"

namespace ledger::audit {

Result<std::unique_ptr<AuditSource>> OpenLocalSource(const SourceFlags& flags);
Result<std::unique_ptr<AuditSource>> ConnectRemoteSource(const SourceFlags& flags);

// Microseconds since the epoch, now: the time a head is signed at.
int64_t NowMicros();

}  // namespace ledger::audit
