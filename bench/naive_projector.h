// projection-bench's baseline: the classic naive projector. It folds each
// event with the same Folder as ledger-project and renders the same rows with
// the same code (EventRow, UsageRow, RenderUnit), so the work up to
// PostgreSQL is equal; then it writes every row with its own prepared INSERT
// (entity rows as INSERT ... ON CONFLICT DO UPDATE, removals as DELETE) and
// the checkpoint UPDATE, committing every `events_per_transaction` events.
// Unlike ledger-project it re-renders the units an event touches after each
// event, not once per batch: that is what a projector with one transaction
// per event does.
//
// Not for production: it skips SubjectForgotten's payload erasure (the
// generated histories forget no one) and never retries.
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "ledger/projections/sealed_opener.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"

namespace ledger::bench {

struct NaiveOptions {
  std::string conninfo;
  // Dropped and created afresh with every migration, indexes included: a
  // naive projector writes into the live, indexed schema.
  std::string schema;
  size_t events_per_transaction = 1;
  // false: SET synchronous_commit = off for the session (commits stop
  // waiting for the WAL fsync).
  bool synchronous_commit = true;
};

struct NaiveStats {
  uint64_t events = 0;
  uint64_t rows = 0;        // rows INSERTed or upserted
  uint64_t statements = 0;  // every statement: inserts, deletes, checkpoint updates
  uint64_t transactions = 0;
};

class NaiveProjector {
 public:
  static Result<std::unique_ptr<NaiveProjector>> Open(const NaiveOptions& options,
                                                      projections::SealedOpener& opener);
  ~NaiveProjector();

  // Folds and writes `events`: the global feed in order, from sequence 1.
  Status Project(std::span<const StoredEvent> events);
  // Commits the transaction left open by the last Project, if any.
  Status Finish();
  const NaiveStats& stats() const;

 private:
  class Impl;
  explicit NaiveProjector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger::bench
