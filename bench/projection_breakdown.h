// Where a rebuild's time goes: its steps one at a time over the same feed,
// each alone on the machine. Our side (read the log, fold, render rows,
// encode them for COPY) runs over events already in memory; PostgreSQL's side
// COPYs the pre-encoded rows into a fresh schema without secondary indexes
// (one connection, one table after the other), then builds the indexes.
// The rebuild itself overlaps these steps (two COPY connections beside the
// rendering thread), so its wall time is less than their sum.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/projections/projector.h"
#include "ledger/projections/sealed_opener.h"
#include "ledger/status.h"

namespace ledger::bench {

struct Breakdown {
  uint64_t events = 0;
  uint64_t rows = 0;
  uint64_t copy_bytes = 0;  // COPY data sent, all tables
  // Seconds, ours.
  double read = 0;         // EventLog::ReadGlobal
  double fold = 0;         // Folder::Fold (the engine's Apply)
  double event_rows = 0;   // projections::EventRow (payload JSON, personal fields opened)
  double usage_rows = 0;   // UsageRow
  double entity_rows = 0;  // RenderTable over the final states
  double copy_encode = 0;  // Row::AppendCopyTuple (AppendCopyLine for a table binary cannot take)
  // Seconds, PostgreSQL's (plus libpq's sending).
  double copy_events = 0;
  double copy_usage = 0;
  double copy_entities = 0;
  double indexes = 0;  // projections/sql/002_indexes.sql over the loaded tables
};

// Uses (and drops afterwards) `schema`.
Result<Breakdown> MeasureBreakdown(const std::string& conninfo, const std::string& schema,
                                   projections::SealedOpener& opener,
                                   const projections::FeedReader& read);

}  // namespace ledger::bench
