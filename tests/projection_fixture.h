// Shared pieces of the projector's tests: a ledger filled with random
// histories of the whole catalogue, the feed reader over its log, and
// digests of read-model tables to compare two schemas row for row.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "ledger/ledger.h"
#include "ledger/projections/projector.h"
#include "test_util.h"

namespace ledger::testing {

// How long a test waits for a projector's whole catch-up on a loaded 2-core
// machine.
inline constexpr std::chrono::seconds kRunTimeout{60};

// A ledger in its own temporary directory (unsynced: durability is not
// what these tests are about; crash tests are).
struct TestLedger {
  TempDir dir;
  std::unique_ptr<Ledger> ledger;
  EventLog& log() { return ledger->log(); }
};
std::unique_ptr<TestLedger> OpenTestLedger();

// Submits `orgs` interleaved random histories (tests/random_commands.h:
// every event type, mistakes, erasure) of about `length` commands each, in
// batches of random size. Returns the events appended.
uint64_t FillWithRandomHistories(Ledger& ledger, uint64_t seed, int orgs, int length);

// The log's global feed, `batch` events at a time.
projections::FeedReader ReaderOf(const EventLog& log, size_t batch = 4096);

// Every read-model table of `schema`: "rows|md5 of the sorted rows".
std::map<std::string, std::string> Digests(const std::string& conninfo, const std::string& schema);

// ProjectorOptions for a schema of the database at conninfo, failing fast
// (tests that want retries set give_up_after themselves).
projections::ProjectorOptions OptionsFor(const std::string& conninfo,
                                         const std::string& schema = "public");

}  // namespace ledger::testing
