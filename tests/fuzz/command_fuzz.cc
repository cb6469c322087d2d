// libFuzzer target: commands as a client sends them, through the wire
// verifier and the engine's validator, against a real org state.
//
// Input: the payload of an Append message (ledger.wire.Message), as in
// command_corpus/; bytes that are no Message are taken as one command's
// event, so raw events are fuzzed too.
//
// Each command takes the write model's path (Ledger::Impl::DecideOne in
// engine/src/ledger.cc) without the append: CommandOrg (verifier and
// envelope checks), sealing of seal requests with the ledger's keys, the
// idempotency and expected-version checks, then Decide (decide.h: every
// rule) against the state of fuzz_org.h, and Apply of the accepted events,
// so later commands of the same input see them. The state is copied for
// each input, so inputs do not affect each other.
//
// Invariants checked, beyond "no crash, no sanitizer report":
//   - a rejection names a rule and says why;
//   - an accepted command's event and every event it implies pass the
//     checks the log makes before appending (record::CheckEvent) and belong
//     to the command's org; implied events are marked as derived;
//   - after the input, each touched state packs to a snapshot that unpacks
//     to a state that packs to the same bytes (restart from a snapshot sees
//     what the write model saw).
#include <cstdio>
#include <cstdlib>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "decide.h"
#include "fuzz_org.h"
#include "ledger/apply.h"
#include "ledger/wire/frame.h"
#include "ledger/wire/messages.h"
#include "record.h"
#include "seal_requests.h"

namespace ledger::fuzz {
namespace {

// LEDGER_FUZZ_VERBOSE=1 prints each command's fate: for reading a
// reproducer, and for checking that the seeds reach acceptance.
const bool kVerbose = std::getenv("LEDGER_FUZZ_VERBOSE") != nullptr;

void Say(const char* what, const std::string& detail = "") {
  if (kVerbose) std::fprintf(stderr, "command_fuzz: %s %s\n", what, detail.c_str());
}

void Check(bool condition, const char* what, const std::string& detail = "") {
  if (condition) return;
  std::fprintf(stderr, "command_fuzz invariant broken: %s %s\n", what, detail.c_str());
  std::abort();
}

FuzzOrg& Fixture() {
  static std::unique_ptr<FuzzOrg> fixture = BuildFuzzOrg();
  return *fixture;
}

const State& BaseState() {
  static const State base = [] {
    FuzzOrg& fixture = Fixture();
    auto state = StateFromLog(fixture.ledger->log(), fixture.org, UINT64_MAX);
    Check(state.ok(), "cannot load the fixture org:", state.status().ToString());
    return std::move(state).value();
  }();
  return base;
}

// The lookups of Ledger::Impl: the log's directory with this input's
// pending entries over it, and the ledger's data keys. Read-only: nothing
// an input does reaches the next one (new data keys stay pending in memory).
class InputLookups final : public Lookups {
 public:
  explicit InputLookups(EventLog& log) : log_(log) {}

  std::optional<Uuid> OrgWithSlug(std::string_view slug) override {
    std::optional<std::string> value = Directory(directory::SlugKey(slug));
    if (!value || value->size() != 16) return std::nullopt;
    return Uuid::FromBytes(*value);
  }
  std::optional<TemplateListing> FindTemplate(const Uuid& id) override {
    std::optional<std::string> value = Directory(directory::TemplateKey(id));
    if (!value) return std::nullopt;
    return directory::DecodeListing(*value);
  }
  std::optional<std::string> Open(const fb::Sealed& sealed) override {
    auto opened = log_.subject_keys().Open(sealed);
    return opened.ok() ? *opened : std::nullopt;
  }
  bool IsForgotten(const Uuid& subject) override {
    for (const Uuid& forgotten : forgotten_) {
      if (forgotten == subject) return true;
    }
    return log_.subject_keys().IsForgotten(subject);
  }

  void Accept(const Decision& decision) {
    for (const DirectoryEntry& entry : decision.directory) pending_[entry.key] = entry.value;
    if (decision.forget) forgotten_.push_back(*decision.forget);
  }

 private:
  std::optional<std::string> Directory(const std::string& key) {
    if (auto it = pending_.find(key); it != pending_.end()) return it->second;
    auto stored = log_.GetDirectory(key);
    return stored.ok() ? *stored : std::nullopt;
  }

  EventLog& log_;
  std::unordered_map<std::string, std::string> pending_;
  std::vector<Uuid> forgotten_;
};

// The commands of an Append payload, or the whole input as one event.
std::vector<Command> CommandsOf(const uint8_t* data, size_t size) {
  std::string payload(reinterpret_cast<const char*>(data), size);  // 8-byte aligned
  const wire::Message* message = nullptr;
  if (!wire::VerifyMessage(payload, &message) && message->body_type() == wire::Body::Append) {
    return wire::ToCommands(*message->body_as_Append());
  }
  return {Command{std::move(payload), std::nullopt}};
}

class InputRun {
 public:
  explicit InputRun(FuzzOrg& fixture) : fixture_(fixture), lookups_(fixture.ledger->log()) {}

  void Decide(const Command& command) {
    Result<Uuid> org = CommandOrg(command);
    if (!org.ok()) return Say("malformed:", org.status().message());
    State& state = StateOf(*org);
    std::string& bytes = owned_.emplace_back(command.event);
    if (HasSealRequests(*fb::GetEvent(bytes.data())) &&
        !FulfilSealRequests(&bytes, fixture_.ledger->log().subject_keys()).ok()) {
      return Say("seal request refused");
    }
    Uuid sealed_org;  // as DecideOne: sealing may not change the org
    if (!record::CheckEvent(bytes, &sealed_org).ok() || sealed_org != *org) {
      return Say("malformed after sealing");
    }
    const fb::Event& event = *fb::GetEvent(bytes.data());
    if (Replayed(state, event)) return Say("replayed");
    if (command.expected_version && *command.expected_version != state.version) {
      return Say("version conflict");
    }

    Decision decision;
    if (Verdict rejection = ledger::Decide(state, event, lookups_, &decision)) {
      Check(rejection->rule != Rule::kNone && std::string(RuleName(rejection->rule)) != "unknown",
            "rejection without a known rule:", rejection->message);
      Check(!rejection->message.empty(), "rejection without a message:", RuleName(rejection->rule));
      return Say("rejected:", rejection->message);
    }
    ApplyChecked(state, *org, bytes, false);
    for (const std::string& derived : decision.derived) ApplyChecked(state, *org, derived, true);
    lookups_.Accept(decision);
    Say("accepted:", std::to_string(decision.derived.size()) + " derived events");
  }

  // Snapshots round-trip: what a restart would load equals what was decided.
  void CheckSnapshots() const {
    for (const auto& [org, state] : states_) {
      std::string packed = PackState(state);
      Result<State> unpacked = UnpackState(packed);
      Check(unpacked.ok(), "a state's snapshot does not unpack:", unpacked.status().ToString());
      Check(PackState(*unpacked) == packed, "snapshot round trip changed the state of",
            org.ToString());
    }
  }

 private:
  State& StateOf(const Uuid& org) {
    auto it = states_.find(org);
    if (it != states_.end()) return it->second;
    const State& base = BaseState();
    if (org == base.org) return states_.emplace(org, base).first->second;
    // Other orgs were never created by the fixture (a probe of the stream
    // may name one); their state is empty.
    auto loaded = StateFromLog(fixture_.ledger->log(), org, UINT64_MAX);
    Check(loaded.ok(), "cannot load an org:", loaded.status().ToString());
    return states_.emplace(org, std::move(loaded).value()).first->second;
  }

  // As DecideOne: a known idempotency key returns the first result.
  static bool Replayed(const State& state, const fb::Event& event) {
    const flatbuffers::String* key = event.envelope()->idempotency_key();
    return key && key->size() && state.idempotency.count(key->str());
  }

  void ApplyChecked(State& state, const Uuid& org, std::string_view bytes, bool derived) {
    Uuid named;
    Status valid = record::CheckEvent(bytes, &named);
    Check(valid.ok(),
          derived ? "a derived event fails the log's checks:"
                  : "an accepted event fails the log's checks:",
          valid.message());
    Check(named == org, "an accepted or derived event names another org");
    // Copied: Apply reads the event in place, and derived bytes may move.
    std::string aligned(bytes);
    const fb::Event& event = *fb::GetEvent(aligned.data());
    Check(!derived || IsDerived(event), "a derived event is not marked as derived");
    uint64_t before = state.version;
    Apply(state, event, Position{org, state.version + 1, 0, state.recorded_at + 1});
    Check(state.version == before + 1, "Apply did not advance the version");
  }

  FuzzOrg& fixture_;
  InputLookups lookups_;
  std::map<Uuid, State> states_;
  std::list<std::string> owned_;  // commands' bytes, sealed in place
};

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)ledger::fuzz::BaseState();  // build the ledger before the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::InputRun run(ledger::fuzz::Fixture());
  for (const ledger::Command& command : ledger::fuzz::CommandsOf(data, size)) {
    run.Decide(command);
  }
  run.CheckSnapshots();
  return 0;
}
