// The event record: what the events column family stores under
// (org, org_seq). Grammar in schemas/README.md:
//   value  := checksum:fixed64le leaf_hash:32 body      checksum over leaf_hash || body
//   body   := version:u8 reserved:7 recorded_at:fixed64le global_seq:fixed64le org_seq:fixed64le
//   event event  := FlatBuffer, root ledger.fb.Event, identifier "LGEV"
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "ledger/stored_event.h"

namespace ledger::record {

// Never change: on disk. A new layout gets a new version byte.
inline constexpr uint8_t kVersion = 1;
// 32 so that the event starts 8-byte aligned in the body: FlatBuffers reads
// 64-bit scalars in place. The 7 reserved bytes are zero.
inline constexpr size_t kHeaderBytes = 1 + 7 + 8 + 8 + 8;

// What is stored before the event bytes: checksum, leaf hash, record header.
inline constexpr size_t kPrefixBytes = 8 + sizeof(Digest) + kHeaderBytes;
struct Prefix {
  std::array<char, kPrefixBytes> bytes;
  Digest leaf_hash;
};

// Encodes the prefix of the stored value for `event_bytes` at `position`;
// the value is prefix.bytes followed by event_bytes (written without a copy
// through rocksdb::SliceParts).
void EncodePrefix(const Position& position, std::string_view event_bytes, Prefix* prefix);

// Checks the checksum, the header, that the header agrees with the key and
// that the event verifies as a FlatBuffer; fills `out`. Errors name org and seq.
Status DecodeValue(const Uuid& org, uint64_t org_seq, std::string_view value, StoredEvent* out);

// Runs the FlatBuffers verifier and the envelope checks every appended event
// must pass. On success sets *org to the envelope's org id. Copies the event
// first if it is not 8-byte aligned.
Status CheckEvent(std::string_view event_bytes, Uuid* org);

}  // namespace ledger::record
