// ledger-project's core: folds the global feed into per-org states with the
// engine's one Apply, and writes what each batch changed to the PostgreSQL
// read models together with its checkpoint, in one transaction, so every
// event counts exactly once however often the projector stops.
//
// The feed must be given in global order from global sequence 1: events at
// or below the checkpoint only warm the in-memory states (a restart), the
// rest are written. Repeats of events already seen are skipped, so an
// at-least-once feed (a resumed subscription) is fine.
//
// Thread safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include "ledger/projections/sealed_opener.h"
#include "ledger/state.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"

namespace ledger::projections {

struct ProjectorOptions {
  // libpq connection string: "host=127.0.0.1 port=5432 dbname=ledger".
  std::string conninfo;
  // The schema holding the read models; created and migrated if missing.
  std::string schema = "public";
  // Retrying when PostgreSQL goes away: first wait, doubling up to the cap.
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{5000};
  // Give up (kUnavailable) after this long without a successful attempt;
  // zero: never give up.
  std::chrono::milliseconds give_up_after{0};
  // Polled while retrying (also during the waits): once it returns true the
  // retrying stops with kUnavailable, so a process asked to stop is not held
  // by a PostgreSQL that is away. Nothing is half-written: the batch in hand
  // committed or it did not. Empty: never cancelled.
  std::function<bool()> cancelled;
};

struct ProjectorStats {
  uint64_t events_written = 0;
  uint64_t batches = 0;
  uint64_t retries = 0;
};

class Projector {
 public:
  // Connects (retrying as above), migrates and reads the checkpoint.
  static Result<std::unique_ptr<Projector>> Open(const ProjectorOptions& options,
                                                 SealedOpener& opener);
  ~Projector();

  // The last global sequence the read models hold.
  uint64_t checkpoint() const;
  // The last global sequence folded into the in-memory states.
  uint64_t applied() const;
  const ProjectorStats& stats() const;

  // Folds `events` (global order) and writes those past the checkpoint as
  // one transaction. On kUnavailable from PostgreSQL it reconnects and
  // retries the same batch until it commits, options.give_up_after passes
  // or options.cancelled says stop. A gap in the feed is kInternal.
  Status Project(std::span<const StoredEvent> events);

  // The state the projector holds for an org (nullptr if none).
  const State* StateOf(const Uuid& org) const;

 private:
  class Impl;
  explicit Projector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Rebuilds the read models of options.schema from a whole feed: loads a
// shadow schema with COPY (indexes after the load), then swaps it in with
// one transaction, so readers see either the old models or the new ones.
// `read` fills its vector with the events from a global sequence on (empty
// at the end).
struct RebuildStats {
  uint64_t events = 0;
  uint64_t rows = 0;
  double seconds = 0;         // in all
  double load_seconds = 0;    // folding the feed and COPY of events and usage records
  double finish_seconds = 0;  // entity tables, keys and indexes, then the swap
};
using FeedReader = std::function<Status(uint64_t from_global_seq, std::vector<StoredEvent>* out)>;
using Progress = std::function<void(uint64_t done)>;
Result<RebuildStats> Rebuild(const ProjectorOptions& options, SealedOpener& opener,
                             const FeedReader& read, const Progress& progress = {});

}  // namespace ledger::projections
