// The two AuditSource backends (source.h).
#pragma once

#include <memory>

#include "ledger/audit/source.h"
#include "ledger/clock.h"

namespace ledger::audit {

Result<std::unique_ptr<AuditSource>> OpenLocalSource(const SourceFlags& flags);
Result<std::unique_ptr<AuditSource>> ConnectRemoteSource(const SourceFlags& flags);

}  // namespace ledger::audit
