// The event record: what the events column family stores under
// (org, org_seq). Grammar in schemas/README.md:
//   value  := checksum:fixed64le leaf_hash:32 body      checksum over leaf_hash || body
//   body   := version:u8 recorded_at:fixed64le global_seq:fixed64le org_seq:fixed64le event
//   event  := FlatBuffer, root ledger.fb.Event, identifier "LGEV"
#pragma once

#include <string>
#include <string_view>

#include "ledger/status.h"
#include "ledger/stored_event.h"

namespace ledger::record {

// Never change: on disk. A new layout gets a new version byte.
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 1 + 8 + 8 + 8;

// Appends the body for `event_bytes` at `position` to `out`.
void EncodeBody(const Position& position, std::string_view event_bytes, std::string* out);

// The full stored value for a body and its leaf hash.
std::string EncodeValue(const Digest& leaf_hash, std::string_view body);

// Checks the checksum, the header, that the header agrees with the key and
// that the event verifies as a FlatBuffer; fills `out`. Errors name org and seq.
Status DecodeValue(const Uuid& org, uint64_t org_seq, std::string_view value, StoredEvent* out);

// Runs the FlatBuffers verifier and the envelope checks every appended event
// must pass. On success sets *org to the envelope's org id.
Status CheckEvent(std::string_view event_bytes, Uuid* org);

}  // namespace ledger::record
