// One event as the log holds it: the record header the ledger assigned, and
// the exact bytes the Merkle leaf covers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/fb/events_generated.h"
#include "ledger/merkle.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger {

// What the ledger assigns to an event when it commits it.
struct Position {
  Uuid org;
  uint64_t org_seq = 0;     // 1-based within the org; also leaf index + 1
  uint64_t global_seq = 0;  // 1-based over the whole log
  int64_t recorded_at = 0;  // microseconds since the epoch, strictly increasing per org
};

struct StoredEvent {
  Position position;
  // The hashed bytes: record header followed by the event FlatBuffer.
  std::string body;
  // SHA-256(0x00 || body), stored beside the record and checked on read.
  Digest leaf_hash{};

  std::string_view event_bytes() const;
  // REQUIRES: the record was read through the engine (verified on read).
  const fb::Event* event() const;
};

// Checks an event that arrived from outside the engine (a server's reply, an
// evidence bundle): the body's record header is well formed and agrees with
// `position` (org_seq, global_seq, recorded_at), the event inside verifies
// as a ledger.fb.Event of position.org, and leaf_hash == LeafHash(body).
// After it succeeds, event() is safe to call. Errors name the org and seq;
// a leaf hash mismatch is kTampered.
Status VerifyStoredEvent(const StoredEvent& event);

}  // namespace ledger
