// Check (a): every acknowledged event is in the log at the position it was
// acknowledged with, read back over the client after the restart.
#pragma once

#include <cstdint>
#include <span>

#include "ack_log.h"
#include "ledger/client/client.h"

namespace ledger::stress {

struct AckCheckCounts {
  uint64_t orgs = 0;
  uint64_t events_read = 0;
  uint64_t acknowledged_checked = 0;
};

// Reads each org's whole log and checks, for every event: it verifies
// (record header, leaf hash) at org_seq 1, 2, 3... with global_seq strictly
// increasing; an acknowledged one has the acknowledged global_seq and comes
// from the acknowledged command (its event_id, or for a derived event its
// causation_id); and its leaf hash is the one read at earlier checks. Every
// acknowledged position must be there. The first failure names org and seq.
Status CheckAcknowledged(client::Client& client, AckLog& acks, std::span<const Uuid> orgs,
                         AckCheckCounts* counts);

}  // namespace ledger::stress
