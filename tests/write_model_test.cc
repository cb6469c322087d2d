// The write model across restarts, eviction, as-of queries and damaged
// snapshots. Most tests run the same random command streams
// (random_commands.h) through two ledgers in lockstep, one of them
// restarted, starved of cache or stripped of snapshots, and require every
// command to get the same outcome and every state to come out the same.
#include <flatbuffers/idl.h>
#include <flatbuffers/util.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>

#include "checksum.h"
#include "keys.h"
#include "ledger/apply.h"
#include "ledger/event_builder.h"
#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"
#include "random_commands.h"
#include "rocks_event_log.h"
#include "test_util.h"

namespace ledger {
namespace {

using testing::GeneratedCommand;
using testing::RandomCommands;
using testing::TempDir;

constexpr int64_t kClockStart = 1'767'225'600'000'000;

// A clock shared by every copy of the options it is put in, so that it keeps
// counting across a reopen. With `back_step`, every third reading is that
// far in the past: the log must still give each org increasing times.
std::function<int64_t()> TestClock(int64_t step, int64_t back_step = 0) {
  auto now = std::make_shared<int64_t>(kClockStart);
  auto readings = std::make_shared<uint64_t>(0);
  return [now, readings, step, back_step] {
    *now += step;
    return ++*readings % 3 == 0 ? *now - back_step : *now;
  };
}

struct Config {
  uint64_t snapshot_every = 5;
  size_t state_cache_bytes = limits::kWriteModelBytesDefault;
  int64_t clock_step = 1000;
  int64_t clock_back_step = 0;
};

// One ledger in its own directory and the random histories that feed it.
class Side {
 public:
  Side(const Config& config, uint64_t seed, int orgs, int length) {
    options_.log = testing::OptionsIn(dir_);
    // Durability is not under test: no fsync per batch.
    options_.log.sync = false;
    options_.log.clock = TestClock(config.clock_step, config.clock_back_step);
    options_.snapshot_every = config.snapshot_every;
    options_.state_cache_bytes = config.state_cache_bytes;
    Open();
    for (int i = 0; i < orgs; ++i) {
      histories_.emplace_back(seed + i, length, &ledger_->log().subject_keys(), &shared_);
    }
  }

  Ledger& ledger() { return *ledger_; }
  std::vector<RandomCommands>& histories() { return histories_; }
  const std::string& db_path() const { return options_.log.path; }

  // Closes the ledger, runs `while_closed` on its files, opens it again.
  void Reopen(const std::function<void()>& while_closed = {}) {
    ledger_.reset();
    if (while_closed) while_closed();
    Open();
    for (RandomCommands& history : histories_) history.set_keys(&ledger_->log().subject_keys());
  }

 private:
  void Open() {
    Result<std::unique_ptr<Ledger>> opened = Ledger::Open(options_);
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    ledger_ = std::move(opened).value();
  }

  TempDir dir_;
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
  testing::SharedCatalogue shared_;
  std::vector<RandomCommands> histories_;
};

// What must agree between two ledgers; the message may name ids in another
// order (it lists what a hash map yields first).
std::string Outcome(const CommandResult& result) {
  return std::string(CodeName(result.status.code())) + "/" + RuleName(result.rule) + " seq " +
         std::to_string(result.first_seq) + "+" + std::to_string(result.event_count) +
         (result.replayed ? " replayed" : "");
}

// A packed state as JSON (FlatBuffers' printer on state.fbs), so that a
// mismatch shows which entity differs.
std::string StateJson(const std::string& packed) {
  static const flatbuffers::Parser* parser = [] {
    auto* loaded = new flatbuffers::Parser();
    std::string schema;
    const char* include_dirs[] = {LEDGER_SCHEMA_DIR, nullptr};
    if (!flatbuffers::LoadFile(LEDGER_SCHEMA_DIR "/state.fbs", false, &schema) ||
        !loaded->Parse(schema.c_str(), include_dirs, "state.fbs")) {
      throw std::runtime_error("cannot parse state.fbs: " + loaded->error_);
    }
    return loaded;
  }();
  std::string json;
  if (packed.size() < 8 || !flatbuffers::GenerateText(*parser, packed.data(), &json)) {
    return packed;  // not a state: an error message
  }
  return json;
}

// Equal packed states, or a failure showing the first lines that differ.
void ExpectSameState(const std::string& a, const std::string& b, const std::string& what) {
  if (a == b) return;
  std::istringstream a_json(StateJson(a)), b_json(StateJson(b));
  std::vector<std::string> a_lines, b_lines;
  for (std::string line; std::getline(a_json, line);) a_lines.push_back(line);
  for (std::string line; std::getline(b_json, line);) b_lines.push_back(line);
  size_t first = 0;
  while (first < a_lines.size() && first < b_lines.size() && a_lines[first] == b_lines[first]) {
    ++first;
  }
  std::string context;
  for (size_t i = first >= 8 ? first - 8 : 0; i < first; ++i) context += "  " + a_lines[i] + "\n";
  auto tail = [&](const std::vector<std::string>& lines) {
    std::string out;
    for (size_t i = first; i < std::min(lines.size(), first + 4); ++i)
      out += "  " + lines[i] + "\n";
    return out;
  };
  ADD_FAILURE() << what << ": states differ at line " << first << " of their JSON:\n"
                << context << "first:\n"
                << tail(a_lines) << "second:\n"
                << tail(b_lines);
}

// Runs the histories of every side (same seeds) in the same random batches.
// Every command must get the same outcome on every side and none an engine
// error. `between(n)` runs after the n-th batch.
void RunLockstep(const std::vector<Side*>& sides, uint64_t seed,
                 const std::function<void(int)>& between = {}) {
  std::mt19937_64 driver(seed);
  std::vector<size_t> live(sides[0]->histories().size());
  std::iota(live.begin(), live.end(), 0);
  for (int batch_number = 1; !live.empty(); ++batch_number) {
    std::vector<std::vector<GeneratedCommand>> batches(sides.size());
    for (size_t n = 1 + driver() % 12; n > 0 && !live.empty(); --n) {
      size_t pick = driver() % live.size();
      for (size_t s = 0; s < sides.size(); ++s) {
        batches[s].push_back(sides[s]->histories()[live[pick]].Next());
        ASSERT_EQ(batches[s].back().label, batches[0].back().label) << "generators diverged";
      }
      if (sides[0]->histories()[live[pick]].done()) {
        live[pick] = live.back();
        live.pop_back();
      }
    }
    std::vector<std::vector<CommandResult>> results;
    for (size_t s = 0; s < sides.size(); ++s) {
      std::vector<Command> commands;
      for (const GeneratedCommand& generated : batches[s]) commands.push_back(generated.command);
      results.push_back(sides[s]->ledger().Submit(commands));
    }
    for (size_t i = 0; i < batches[0].size(); ++i) {
      const CommandResult& result = results[0][i];
      ASSERT_TRUE(result.status.ok() || result.status.code() == Code::kRejected)
          << batches[0][i].label << ": " << result.status.ToString();
      for (size_t s = 1; s < sides.size(); ++s) {
        ASSERT_EQ(Outcome(results[s][i]), Outcome(result))
            << "batch " << batch_number << ", " << batches[0][i].label << " (seed "
            << sides[0]->histories()[0].seed() << "): side " << s << " says "
            << results[s][i].status.ToString() << ", side 0 says " << result.status.ToString();
      }
    }
    for (size_t s = 0; s < sides.size(); ++s) {
      for (size_t i = 0; i < batches[s].size(); ++i) {
        for (RandomCommands& history : sides[s]->histories()) {
          if (history.org() == batches[s][i].org) history.Observe(batches[s][i], results[s][i]);
        }
      }
    }
    if (between) between(batch_number);
  }
}

// Sealed bytes differ between ledgers (own keys, random nonces): compare
// what they open to instead.
void Reveal(std::unique_ptr<fb::SealedT>& sealed, SubjectKeys& keys) {
  if (!sealed) return;
  flatbuffers::FlatBufferBuilder b;
  b.Finish(fb::Sealed::Pack(b, sealed.get()));
  Result<std::optional<std::string>> opened =
      keys.Open(*flatbuffers::GetRoot<fb::Sealed>(b.GetBufferPointer()));
  std::string text = !opened.ok() ? "<does not open>" : opened->value_or("<forgotten>");
  sealed->nonce.clear();
  sealed->ciphertext.assign(text.begin(), text.end());
}

std::string Comparable(State state, SubjectKeys& keys) {
  for (auto& [id, e] : state.employees) {
    Reveal(e.email, keys);
    Reveal(e.full_name, keys);
  }
  for (auto& [id, i] : state.invitations) Reveal(i.email, keys);
  for (auto& [id, s] : state.sessions) {
    Reveal(s.ip_address, keys);
    Reveal(s.user_agent, keys);
  }
  for (auto& [id, r] : state.agent_requests) {
    Reveal(r.reason, keys);
    for (auto& approval : r.approvals) Reveal(approval->comment, keys);
  }
  for (auto& [id, m] : state.missions) Reveal(m.intent, keys);
  // The hash covers the sealed bytes too; results show whether keys behave.
  for (auto& [key, entry] : state.idempotency) entry.content_hash = 0;
  return PackState(state);
}

std::string StateAtOrDie(Side& side, const Uuid& org, uint64_t version) {
  Result<State> state = side.ledger().StateAt(org, version);
  if (!state.ok()) return "StateAt failed: " + state.status().ToString();
  return Comparable(*state, side.ledger().log().subject_keys());
}

std::string CurrentOrDie(Side& side, const Uuid& org) {
  Result<State> state = side.ledger().CurrentState(org);
  if (!state.ok()) return "CurrentState failed: " + state.status().ToString();
  return Comparable(*state, side.ledger().log().subject_keys());
}

uint64_t HeadOf(Side& side, const Uuid& org) {
  Result<TreeHead> head = side.ledger().log().Head(org);
  return head.ok() ? head->size : 0;
}

// Both sides hold the same states, and on each the write model is the
// snapshot + tail state.
void ExpectSameStates(Side& a, Side& b) {
  for (size_t i = 0; i < a.histories().size(); ++i) {
    const Uuid& org = a.histories()[i].org();
    uint64_t head = HeadOf(a, org);
    ASSERT_EQ(HeadOf(b, org), head);
    std::string history = "history " + std::to_string(i);
    ExpectSameState(CurrentOrDie(a, org), CurrentOrDie(b, org), history + ": the two ledgers");
    ExpectSameState(CurrentOrDie(a, org), StateAtOrDie(a, org, head),
                    history + ": first, write model vs snapshot + tail");
    ExpectSameState(CurrentOrDie(b, org), StateAtOrDie(b, org, head),
                    history + ": second, write model vs snapshot + tail");
  }
}

// --- (a) restart -----------------------------------------------------------------

TEST(WriteModelTest, RestartKeepsStatesAndValidatesAsBefore) {
  constexpr uint64_t kSeed = 7'001;
  Side steady({}, kSeed, 24, 90);
  Side restarted({}, kSeed, 24, 90);
  int restarts = 0;
  ASSERT_NO_FATAL_FAILURE(RunLockstep({&steady, &restarted}, kSeed, [&](int batch) {
    if (batch % 20 != 0) return;
    std::vector<std::string> before;
    for (RandomCommands& history : restarted.histories()) {
      before.push_back(PackState(*restarted.ledger().CurrentState(history.org())));
    }
    restarted.Reopen();
    ++restarts;
    for (size_t i = 0; i < before.size(); ++i) {
      const Uuid& org = restarted.histories()[i].org();
      ExpectSameState(PackState(*restarted.ledger().CurrentState(org)), before[i],
                      "history " + std::to_string(i) + " across a restart");
    }
  }));
  EXPECT_GT(restarts, 5);
  ExpectSameStates(steady, restarted);
}

// Commands for one hand-made org, for checks that need exact setups.
class OrgCommands {
 public:
  explicit OrgCommands(Ledger& ledger) : keys_(&ledger.log().subject_keys()) {}
  void set_ledger(Ledger& ledger) { keys_ = &ledger.log().subject_keys(); }
  const Uuid& org() const { return org_; }

  template <typename Table>
  Command Make(flatbuffers::Offset<Table> payload, const std::string& key = "",
               std::optional<uint64_t> expected_version = std::nullopt, const Uuid* org = nullptr) {
    EnvelopeFields envelope;
    envelope.org = org ? *org : org_;
    envelope.idempotency_key = key;
    return {builder_.Finish(envelope, payload), expected_version};
  }
  flatbuffers::FlatBufferBuilder& b() { return builder_.builder(); }
  flatbuffers::Offset<fb::Sealed> Seal(const std::string& subject, const std::string& text) {
    return keys_->Seal(*Uuid::Parse(subject), text)->Build(b());
  }

 private:
  SubjectKeys* keys_;
  Uuid org_ = Uuid::Random();
  EventBuilder builder_;
};

CommandResult SubmitOne(Ledger& ledger, Command command) {
  return ledger.Submit(std::span<const Command>(&command, 1)).front();
}

TEST(WriteModelTest, AfterRestartLimitsKeysAndSlugsStillHold) {
  // Without snapshots the reload replays everything; with them it starts
  // from one.
  for (uint64_t snapshot_every : {0, 2}) {
    SCOPED_TRACE("snapshot_every " + std::to_string(snapshot_every));
    TempDir dir;
    LedgerOptions options;
    options.log = testing::OptionsIn(dir);
    options.snapshot_every = snapshot_every;
    auto ledger = std::move(Ledger::Open(options)).value();
    OrgCommands c(*ledger);
    std::string employee = Uuid::Random().ToString(), template_id = Uuid::Random().ToString();
    std::string slug = "restart-" + c.org().ToString();
    auto assign = [&](const std::string& key) {
      return c.Make(fb::CreateEmployeeAgentAssignedDirect(c.b(), Uuid::Random().ToString().c_str(),
                                                          employee.c_str(), template_id.c_str()),
                    key);
    };
    std::vector<Command> setup = {
        c.Make(fb::CreateOrganizationCreatedDirect(c.b(), "Restart", slug.c_str(), "team", "{}", 0,
                                                   /*max_agents_per_employee=*/1)),
        c.Make(fb::CreateAgentTemplatePublishedDirect(c.b(), template_id.c_str(), "reviewer")),
        c.Make(fb::CreateEmployeeHired(c.b(), c.b().CreateString(employee), 0, 0,
                                       c.Seal(employee, "ada@example.com"))),
    };
    setup.push_back(assign("assign-1"));
    Command first_assignment = setup.back();
    std::vector<CommandResult> results = ledger->Submit(setup);
    for (const CommandResult& result : results)
      ASSERT_TRUE(result.status.ok()) << result.status.ToString();
    uint64_t assigned_at = results.back().first_seq;

    ledger.reset();
    ledger = std::move(Ledger::Open(options)).value();
    c.set_ledger(*ledger);

    CommandResult retry = SubmitOne(*ledger, first_assignment);
    EXPECT_TRUE(retry.status.ok() && retry.replayed) << retry.status.ToString();
    EXPECT_EQ(retry.first_seq, assigned_at);
    EXPECT_EQ(SubmitOne(*ledger, assign("assign-1")).rule, Rule::kIdempotencyMismatch);
    EXPECT_EQ(SubmitOne(*ledger, assign("assign-2")).rule, Rule::kAgentLimit);
    Uuid other = Uuid::Random();
    EXPECT_EQ(
        SubmitOne(*ledger, c.Make(fb::CreateOrganizationCreatedDirect(c.b(), "Copy", slug.c_str()),
                                  "", std::nullopt, &other))
            .rule,
        Rule::kNotUnique);
    auto team = [&](std::optional<uint64_t> expected) {
      return c.Make(fb::CreateTeamCreatedDirect(c.b(), Uuid::Random().ToString().c_str(), "T"), "",
                    expected);
    };
    EXPECT_EQ(SubmitOne(*ledger, team(assigned_at - 1)).rule, Rule::kVersionConflict);
    EXPECT_TRUE(SubmitOne(*ledger, team(assigned_at)).status.ok());
  }
}

// A retry under a known key is answered before the event type is checked,
// so it must cope with a payload type from a newer catalogue.
TEST(WriteModelTest, KeyedRetryWithAnUnknownEventTypeIsRejected) {
  // ContentHash must not walk a type table it does not have.
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  auto ledger = std::move(Ledger::Open(options)).value();
  OrgCommands c(*ledger);
  std::string slug = "unknown-" + c.org().ToString();
  ASSERT_TRUE(
      SubmitOne(*ledger,
                c.Make(fb::CreateOrganizationCreatedDirect(c.b(), "Org", slug.c_str()), "key-1"))
          .status.ok());
  flatbuffers::FlatBufferBuilder b;
  auto payload = fb::CreateTeamCreatedDirect(b, Uuid::Random().ToString().c_str(), "T").Union();
  auto envelope = fb::CreateEnvelopeDirect(b, c.org().ToString().c_str(), nullptr, 0, nullptr,
                                           nullptr, 0, "key-1");
  b.Finish(fb::CreateEvent(b, envelope, static_cast<fb::Payload>(200), payload),
           fb::EventIdentifier());
  Command future{std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()),
                 std::nullopt};
  CommandResult result = SubmitOne(*ledger, future);
  EXPECT_FALSE(result.status.ok());
  EXPECT_TRUE(result.rule == Rule::kUnknownEventType || result.rule == Rule::kIdempotencyMismatch)
      << result.status.ToString();
}

// --- (b) eviction --------------------------------------------------------------------

TEST(WriteModelTest, TinyStateCacheValidatesLikeABigOne) {
  constexpr uint64_t kSeed = 8'001;
  Side roomy({}, kSeed, 60, 60);
  Config tiny_cache;
  tiny_cache.state_cache_bytes = 1;  // every org but the last one used is evicted
  tiny_cache.snapshot_every = 3;
  Side starved(tiny_cache, kSeed, 60, 60);
  ASSERT_NO_FATAL_FAILURE(RunLockstep({&roomy, &starved}, kSeed));
  ExpectSameStates(roomy, starved);
  EXPECT_EQ(roomy.ledger().stats().orgs_evicted, 0u);
  EXPECT_GT(starved.ledger().stats().orgs_evicted, 1000u);
  EXPECT_GT(starved.ledger().stats().orgs_loaded, 1000u);
}

// Every command for an org that was never created loads an empty state into
// the write model; those states take memory like any other and must count
// against the bound.
TEST(WriteModelTest, CommandsForUnknownOrgsStayWithinTheCacheBound) {
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  options.log.sync = false;
  options.state_cache_bytes = 64 << 10;
  auto ledger = std::move(Ledger::Open(options)).value();
  EventBuilder builder;
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<Command> commands;
    for (int i = 0; i < 1000; ++i) {
      EnvelopeFields envelope;
      envelope.org = Uuid::Random();
      auto team =
          fb::CreateTeamCreatedDirect(builder.builder(), Uuid::Random().ToString().c_str(), "T");
      commands.push_back({builder.Finish(envelope, team), std::nullopt});
    }
    for (const CommandResult& result : ledger->Submit(commands))
      ASSERT_EQ(result.rule, Rule::kNoSuchOrg);
  }
  LedgerStats stats = ledger->stats();
  EXPECT_LE(stats.hot_orgs * sizeof(State), options.state_cache_bytes + sizeof(State))
      << stats.hot_orgs << " empty states of at least " << sizeof(State) << " bytes each are hot, "
      << "accounted as " << stats.hot_bytes << " bytes";
}

// --- (c) as of an instant ----------------------------------------------------------------

TEST(WriteModelTest, StateAsOfIsTheReplayUpToTheLastCommandRecordedByThen) {
  constexpr uint64_t kSeed = 9'001;
  Config config;
  config.clock_step = 1000;
  config.clock_back_step = 2500;  // the clock sometimes steps back
  Side side(config, kSeed, 12, 70);
  ASSERT_NO_FATAL_FAILURE(RunLockstep({&side}, kSeed));
  for (RandomCommands& history : side.histories()) {
    const Uuid& org = history.org();
    std::vector<int64_t> times;  // times[i]: recorded_at of org seq i + 1
    std::vector<bool> derived;   // derived[i]: org seq i + 1 was implied by a command
    ASSERT_TRUE(side.ledger()
                    .log()
                    .ScanOrg(org, 1, UINT64_MAX,
                             [&](const StoredEvent& event) {
                               times.push_back(event.position.recorded_at);
                               const fb::Actor* actor = event.event()->envelope()->actor();
                               derived.push_back(actor->kind() == fb::ActorKind::System &&
                                                 actor->id()->str() == kDerivedActorId);
                               return Status::Ok();
                             })
                    .ok());
    ASSERT_FALSE(times.empty());
    std::vector<int64_t> instants = {times.front() - 1, times.back() + 1'000'000};
    for (int64_t t : times) instants.insert(instants.end(), {t - 1, t, t + 1});
    for (int64_t instant : instants) {
      // The last event recorded at or before the instant.
      uint64_t expected = std::upper_bound(times.begin(), times.end(), instant) - times.begin();
      // ...and the events its command implied, committed with it.
      while (expected > 0 && expected < derived.size() && derived[expected]) ++expected;
      State replayed;
      replayed.org = org;
      ASSERT_TRUE(ReplayInto(side.ledger().log(), expected, &replayed).ok());
      Result<State> as_of = side.ledger().StateAsOf(org, instant);
      ASSERT_TRUE(as_of.ok()) << as_of.status().ToString();
      EXPECT_EQ(as_of->version, expected) << "at " << instant;
      ExpectSameState(PackState(*as_of), PackState(replayed), "as of " + std::to_string(instant));
    }
    // Recorded times strictly increase even though the clock stepped back.
    EXPECT_TRUE(std::adjacent_find(times.begin(), times.end(), std::greater_equal<>()) ==
                times.end());
  }
}

// --- (d) snapshots are only a shortcut -----------------------------------------------------

TEST(WriteModelTest, WithAndWithoutSnapshotsEveryVersionIsTheSame) {
  constexpr uint64_t kSeed = 10'001;
  Config never;
  never.snapshot_every = 0;
  Side without(never, kSeed, 20, 70);
  Side with({}, kSeed, 20, 70);
  ASSERT_NO_FATAL_FAILURE(RunLockstep({&without, &with}, kSeed));
  with.ledger().WaitForSnapshots();
  ExpectSameStates(without, with);
  EXPECT_EQ(without.ledger().stats().snapshots_written, 0u);
  EXPECT_GT(with.ledger().stats().snapshots_written, 100u);
  for (RandomCommands& history : with.histories()) {
    for (uint64_t version = 0; version <= HeadOf(with, history.org()); ++version) {
      ExpectSameState(StateAtOrDie(without, history.org(), version),
                      StateAtOrDie(with, history.org(), version),
                      "version " + std::to_string(version));
      if (HasFailure()) return;
    }
  }
}

// The snapshots column of a closed log's database, opened raw to damage it.
class RawSnapshots {
 public:
  explicit RawSnapshots(const std::string& path) {
    rocksdb::Options options = LogRocksOptions();
    std::vector<rocksdb::ColumnFamilyDescriptor> columns;
    for (const char* name : {"default", "events", "global", "tree", "orgs", "subject_keys",
                             "directory", "snapshots"}) {
      columns.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
    }
    columns.back().options.enable_blob_files = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status opened = rocksdb::DB::Open(options, path, columns, &handles_, &raw);
    if (!opened.ok()) throw std::runtime_error(opened.ToString());
    db_.reset(raw);
  }
  ~RawSnapshots() {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* snapshots() { return handles_.back(); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// Damages every snapshot of the database at `path` in one of five ways.
// Returns how many it damaged.
int DamageSnapshots(const std::string& path) {
  RawSnapshots raw(path);
  rocksdb::DB* db = raw.db();
  rocksdb::ColumnFamilyHandle* snapshots = raw.snapshots();

  // Snapshots (org and version) and their marks (one byte more, holding
  // the snapshot's size: rocks_event_log_aside.cc).
  std::vector<std::pair<std::string, std::string>> all;
  std::vector<std::string> marks;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), snapshots));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() == keys::kEventKeyBytes) {
      all.emplace_back(it->key().ToString(), it->value().ToString());
    } else {
      marks.push_back(it->key().ToString());
    }
  }
  it.reset();
  // A lost mark leaves its snapshot found the way unmarked ones are; a
  // damaged one still leads to it.
  for (size_t i = 0; i < marks.size(); ++i) {
    if (i % 3 == 0 && !db->Delete(rocksdb::WriteOptions(), snapshots, marks[i]).ok())
      throw std::runtime_error("delete");
    if (i % 3 == 1 && !db->Put(rocksdb::WriteOptions(), snapshots, marks[i], "bad").ok())
      throw std::runtime_error("put");
  }
  auto checksummed = [](std::string_view payload) {
    std::string value;
    checksum::Begin(&value);
    value.append(payload);
    checksum::Seal(&value);
    return value;
  };
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& [key, value] = all[i];
    // Neighbours in key order: the same org's other snapshot, or another org's.
    const std::string& other = all[(i + 1) % all.size()].second;
    std::string damaged;
    switch (i % 5) {
      case 0:  // a flipped bit: the checksum fails
        damaged = value;
        damaged[damaged.size() / 2] ^= 0x10;
        break;
      case 1:  // lost
        if (!db->Delete(rocksdb::WriteOptions(), snapshots, key).ok())
          throw std::runtime_error("delete");
        continue;
      case 2:  // a well-formed state of another version or org
      case 3:
        damaged = other;
        break;
      default:  // checksummed garbage: not an OrgState
        damaged = checksummed("not a snapshot");
        break;
    }
    if (!db->Put(rocksdb::WriteOptions(), snapshots, key, damaged).ok())
      throw std::runtime_error("put");
  }
  return static_cast<int>(all.size());
}

TEST(WriteModelTest, DamagedOrMissingSnapshotsChangeNothing) {
  constexpr uint64_t kSeed = 11'001;
  Config often;
  often.snapshot_every = 3;
  Side intact(often, kSeed, 20, 80);
  Side damaged(often, kSeed, 20, 80);
  int damaged_snapshots = 0;
  ASSERT_NO_FATAL_FAILURE(RunLockstep({&intact, &damaged}, kSeed, [&](int batch) {
    // Twice, so that damaged snapshots are also followed by new ones.
    if (batch == 60 || batch == 120) {
      damaged.ledger().WaitForSnapshots();  // so that there are snapshots to damage
      damaged.Reopen([&] { damaged_snapshots += DamageSnapshots(damaged.db_path()); });
    }
  }));
  EXPECT_GT(damaged_snapshots, 100);
  ExpectSameStates(intact, damaged);
  for (RandomCommands& history : damaged.histories()) {
    for (uint64_t version = 0; version <= HeadOf(damaged, history.org()); ++version) {
      ExpectSameState(StateAtOrDie(intact, history.org(), version),
                      StateAtOrDie(damaged, history.org(), version),
                      "version " + std::to_string(version));
      if (HasFailure()) return;
    }
  }
}

// Options for a log in `dir` that snapshots every 4,000 events, unsynced.
LedgerOptions LargeOrgOptions(const TempDir& dir) {
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  options.log.sync = false;
  options.snapshot_every = 4'000;
  return options;
}

// Opens a ledger and fills one org with 5,200 missions and tasks, and checks
// that its newest snapshot is over 1 MiB: queries check such a snapshot's
// checksum on a second thread while they unpack it (ledger_queries.cc).
void BuildLargeOrg(const LedgerOptions& options, std::unique_ptr<Ledger>* ledger, Uuid* org) {
  auto opened = Ledger::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  *ledger = std::move(opened).value();
  tools::HistoryOptions generated;
  generated.orgs = 1;
  generated.employees_per_org = 40;
  generated.missions_per_employee = 130;  // 5,200 missions and tasks
  generated.usage_per_task = 0;
  generated.seed = 12'001;
  auto history = tools::GenerateHistory(generated, (*ledger)->log().subject_keys());
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  std::vector<Command> batch;
  for (size_t start = 0; start < history->events.size(); start += 1000) {
    batch.clear();
    for (size_t i = start; i < std::min(history->events.size(), start + 1000); ++i) {
      batch.push_back({history->events[i], std::nullopt});
    }
    for (const CommandResult& result : (*ledger)->Submit(batch)) {
      ASSERT_TRUE(result.status.ok()) << result.status.ToString();
    }
  }
  (*ledger)->WaitForSnapshots();
  *org = history->orgs.front();
  const uint64_t head = (*ledger)->log().Head(*org)->size;
  Result<std::optional<Snapshot>> newest = (*ledger)->log().SnapshotAtOrBefore(*org, head);
  ASSERT_TRUE(newest.ok() && newest->has_value());
  ASSERT_GT((*newest)->state.size(), 1u << 20) << "too small for the threads";
}

// An org big enough that a query checks its snapshot's checksum on a second
// thread while it unpacks the snapshot, and reads the events after the
// snapshot on a third (ledger_queries.cc): every state, at versions at, just
// after and between snapshots, equals a plain replay; so it does once its
// snapshots are damaged (a bit flipped in the middle, most likely in text,
// is found by that checksum alone).
TEST(WriteModelTest, LargeSnapshotsGiveTheSameStatesAsAReplay) {
  TempDir dir;
  const LedgerOptions options = LargeOrgOptions(dir);
  std::unique_ptr<Ledger> ledger;
  Uuid org;
  ASSERT_NO_FATAL_FAILURE(BuildLargeOrg(options, &ledger, &org));
  const uint64_t head = ledger->log().Head(org)->size;

  std::vector<uint64_t> versions = {1, head};
  for (uint64_t v = 3'999; v < head; v += 1'333) versions.push_back(v);
  for (uint64_t v = 4'000; v < head; v += 4'000) versions.insert(versions.end(), {v, v + 1});
  std::sort(versions.begin(), versions.end());
  auto expect_replayed_states = [&](const std::string& label) {
    State replayed;
    replayed.org = org;
    for (uint64_t version : versions) {
      ASSERT_TRUE(ReplayInto(ledger->log(), version, &replayed).ok());
      Result<State> loaded = ledger->StateAt(org, version);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      ASSERT_EQ(loaded->version, version);
      ExpectSameState(PackState(*loaded), PackState(replayed),
                      label + " version " + std::to_string(version));
      if (HasFailure()) return;
    }
  };
  expect_replayed_states("intact:");
  ledger.reset();
  EXPECT_GT(DamageSnapshots(options.log.path), 0);  // fewer when the snapshot thread lags (TSan)
  auto reopened = Ledger::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ledger = std::move(reopened).value();
  expect_replayed_states("damaged:");
}

// A forged large snapshot that every structural check accepts (one letter
// of text changed where a team's name first appears, its mark intact) is refused by its checksum
// alone, which a query checks on a second thread while it unpacks
// (SnapshotCheck::kByCaller): the state comes from a replay instead.
TEST(WriteModelTest, LargeSnapshotWithForgedTextIsRefusedByItsChecksum) {
  TempDir dir;
  const LedgerOptions options = LargeOrgOptions(dir);
  std::unique_ptr<Ledger> ledger;
  Uuid org;
  ASSERT_NO_FATAL_FAILURE(BuildLargeOrg(options, &ledger, &org));
  const uint64_t head = ledger->log().Head(org)->size;
  const uint64_t version = *ledger->log().SnapshotVersionAtOrBefore(org, head);
  Result<State> intact = ledger->StateAt(org, version);
  ASSERT_TRUE(intact.ok()) << intact.status().ToString();
  ASSERT_FALSE(intact->teams.empty());
  const std::string name = intact->teams.begin()->second.name.str();
  ASSERT_GE(name.size(), 4u);
  ledger.reset();
  {
    RawSnapshots raw(options.log.path);
    std::string value;
    ASSERT_TRUE(
        raw.db()
            ->Get(rocksdb::ReadOptions(), raw.snapshots(), keys::Event(org, version), &value)
            .ok());
    size_t at = value.find(name);
    ASSERT_NE(at, std::string::npos);
    value[at] = value[at] == 'Q' ? 'R' : 'Q';  // still UTF-8: the verifier accepts it
    ASSERT_TRUE(
        raw.db()
            ->Put(rocksdb::WriteOptions(), raw.snapshots(), keys::Event(org, version), value)
            .ok());
  }
  auto reopened = Ledger::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ledger = std::move(reopened).value();
  // Had the forged snapshot been used, the state would hold the forged name.
  Result<State> loaded = ledger->StateAt(org, version);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameState(PackState(*loaded), PackState(*intact), "forged snapshot");
}

}  // namespace
}  // namespace ledger
