// Ledger: the write model and the state queries on top of the event log.
//
//   Submit  validates commands against each org's current state (kept hot in
//           memory within a byte bound) and appends every accepted command's
//           events in ONE atomic, fsynced batch. A background thread
//           snapshots each org every N events, rebuilding the state it packs
//           from the log, so a large snapshot never stalls the sequencer.
//   StateAt / StateAsOf  rebuild an org's state at a version or instant from
//           the newest snapshot at or before it plus the events after it.
//   History lists every event that touched one entity.
//
// Thread safety: Submit from one thread at a time (the sequencer); the
// queries from any thread, concurrently with it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ledger/commands.h"
#include "ledger/event_log.h"
#include "ledger/limits.h"
#include "ledger/state.h"

namespace ledger {

struct LedgerOptions {
  LogOptions log;
  // Snapshot an org once this many events were applied since its last
  // snapshot. 0: never.
  uint64_t snapshot_every = limits::kSnapshotEveryDefault;
  // Upper bound on the estimated bytes of org states kept hot; the least
  // recently used orgs are evicted past it and reload from snapshot + tail.
  size_t state_cache_bytes = limits::kWriteModelBytesDefault;
  // Events in one synced write; a Submit with more commits in chunks. Tests
  // lower it; above limits::kBatchEventsMax the log refuses the write.
  size_t batch_events_max = limits::kBatchEventsMax;
};

struct EntityChange {
  Position position;  // org_seq, global_seq, recorded_at
  fb::ActorKind actor_kind = fb::ActorKind::Unknown;
  std::string actor_id;    // who: employee, agent, service or "ledger" (derived)
  std::string event_type;  // "EmployeeHired"
  std::string event;       // the event's bytes (ledger.fb.Event)
};

// Where one Submit spent its time, for the server's metrics.
struct SubmitTiming {
  int64_t decide_nanos = 0;  // validating and applying commands
  int64_t append_nanos = 0;  // writing and fsyncing (the log's Append)
  uint32_t appends = 0;      // synced writes (more than one for a very large Submit)
};

struct LedgerStats {
  uint64_t orgs_loaded = 0;  // cold loads (snapshot + tail)
  uint64_t orgs_evicted = 0;
  uint64_t snapshots_written = 0;
  size_t hot_orgs = 0;
  size_t hot_bytes = 0;
};

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(const LedgerOptions& options);
  ~Ledger();

  // Decides each command in order, each seeing the effects of those before
  // it, then appends all accepted commands' events in one synced batch.
  // Returns one result per command. If the append fails, nothing is appended
  // and every accepted command's result carries the error.
  //
  // A Submit whose events would exceed the log's batch limit is committed in
  // consecutive chunks, each one atomic batch; a chunk is decided only after
  // the one before it is durable, and after a failed chunk the remaining
  // commands fail with the same error without being decided.
  std::vector<CommandResult> Submit(std::span<const Command> commands,
                                    SubmitTiming* timing = nullptr);

  // A copy of the write model's current state of the org (loaded if cold).
  // REQUIRES: the Submit thread. For tests and tools that compare models.
  Result<State> CurrentState(const Uuid& org);

  // The org's state after its event `version` (capped at its last event).
  Result<State> StateAt(const Uuid& org, uint64_t version) const;
  // The org's state as the ledger had recorded it at `recorded_at`: events
  // recorded at or before it, plus the derived events of the last command
  // (committed in the same batch, a microsecond apart).
  Result<State> StateAsOf(const Uuid& org, int64_t recorded_at) const;
  // Every event of the org that names `entity_id` in its payload, in order.
  Result<std::vector<EntityChange>> History(const Uuid& org, std::string_view entity_id) const;

  // Snapshots are written by a background thread (the sequencer never waits
  // for one); this blocks until it has caught up. For tests and benchmarks.
  void WaitForSnapshots();

  // After a failed Submit: reopens the log (EventLog::Reopen) and drops the
  // whole write model, which then reloads from the log. Only the log knows
  // whether the failed batch landed (a failed fsync may leave it there), so
  // the model must not keep or guess it. On failure the log stays closed;
  // call Recover again. REQUIRES: the Submit thread; no other thread uses
  // log() meanwhile.
  Status Recover();

  EventLog& log() { return *log_; }
  LedgerStats stats() const;

 private:
  class Impl;
  explicit Ledger(std::unique_ptr<Impl> impl, EventLog* log);
  std::unique_ptr<Impl> impl_;
  EventLog* log_;
};

// Folds the org's events (after_version, up_to_version] from `log` into
// `state`. The building block of every state query.
Status ReplayInto(const EventLog& log, uint64_t up_to_version, State* state);

// The org's state after event `version` (capped at its last event), from the
// log alone: its newest usable snapshot plus the events after it. What
// Ledger::StateAt answers, for readers without a write model (auditors on a
// read-only log).
Result<State> StateFromLog(const EventLog& log, const Uuid& org, uint64_t version);
// The org's version as of `recorded_at`: its last event recorded at or
// before it, extended over the derived events committed with that event.
// 0 if the org had no event yet.
Result<uint64_t> VersionAsOf(const EventLog& log, const Uuid& org, int64_t recorded_at);
// Was the event derived by the ledger from the command before it (an
// approval's resolution, a budget threshold)?
bool IsDerived(const fb::Event& event);

}  // namespace ledger
