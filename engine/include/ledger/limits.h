// Every limit of the engine in one place, units last, each with its reason.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledger::limits {

// One event's FlatBuffer. Domain events are small (hundreds of bytes); 1 MiB
// leaves room for large JSON documents while bounding per-event memory.
inline constexpr size_t kEventBytesMax = 1 << 20;

// Events in one Append call: bounds a group's WriteBatch (about 20 MB at
// typical event sizes) and the latency of everyone in it. Room for a full
// Submit (kCommandsMax) with derived events; a larger Submit commits in
// chunks.
inline constexpr size_t kBatchEventsMax = 65'536;

// Events returned by one read call, so a reader cannot ask for the whole log
// at once; callers page with the next position.
inline constexpr size_t kReadEventsMax = 100'000;

// Merkle nodes below this level are not stored: they are recomputed from the
// leaf hashes kept beside each record (at most 2^4 = 16 reads). Storing only
// levels >= 4 costs one node write per 16 events instead of one per event.
inline constexpr int kStoredNodeLevelMin = 4;

// Largest org sequence: a tree of 2^63 leaves; the frontier has 64 levels.
inline constexpr int kTreeLevelsMax = 64;

// Org states (Merkle frontier, about 2 KiB each) the writer keeps in memory;
// 16,384 orgs is about 34 MiB. A miss costs one RocksDB read.
inline constexpr size_t kOrgStateCacheMax = 16'384;

// Idempotency keys remembered per org (oldest forgotten first). A retry must
// arrive within the org's next 100,000 keyed commands.
inline constexpr size_t kIdempotencyKeysMax = 100'000;

// The write model's default memory bound for org states it keeps hot.
inline constexpr size_t kWriteModelBytesDefault = size_t{512} << 20;

// Default snapshot interval: an org is snapshotted once this many events
// have been applied since its last snapshot.
inline constexpr uint64_t kSnapshotEveryDefault = 10'000;

// Commands in one Submit call.
inline constexpr size_t kCommandsMax = 10'000;

}  // namespace ledger::limits
