// A seeded generator of random command streams for one org, for property
// tests of the write model (tests/property_test.cc, tests/write_model_test.cc).
//
// It exercises the whole catalogue: the org, billing, people, templates,
// tools, policies, agents, MCP, requests and votes, missions and tasks, usage
// that crosses budget thresholds, sessions, keys, workflows, prompts, agent
// teams and erasure. About 15 % of the commands are deliberate mistakes
// (unknown ids, wrong states, negative amounts, duplicates, retries of
// idempotency keys with other content, wrong expected versions, ...).
//
// The generator keeps its own view of what the org holds, learned only from
// the results it is shown (Observe), so most commands are plausible. It does
// not predict outcomes in general: where a command's fate cannot depend on
// anything that happened before it (a fresh id that cannot exist, a negative
// cost, ...) it says so in GeneratedCommand::certain, and tests check that.
//
// Deterministic: everything but the sealed bytes (random nonces) follows from
// the seed and the results observed. Two generators with the same seed that
// are shown the same results produce the same stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/commands.h"
#include "ledger/rules.h"
#include "ledger/subject_keys.h"
#include "ledger/uuid.h"

namespace ledger::testing {

// Templates committed by any org of one ledger: another org may assign
// agents from a public one and must be refused a private one. The generators
// of one ledger share it; each records what its org published once accepted.
struct SharedCatalogue {
  struct Template {
    std::string id;
    Uuid owner;
    bool is_public = false;
    bool retired = false;
  };
  std::vector<Template> templates;
};

struct GeneratedCommand {
  Command command;
  // The org the event names: the generator's own, or an org that was never
  // created (probes for no_such_org and slug uniqueness).
  Uuid org;
  std::string label;    // the event type, "retry/..." or "garbage"
  std::string mistake;  // empty for commands meant to be valid; else what is wrong
  // When set, the rule the command must get (kNone: it must be accepted)
  // whatever else was submitted before it. Only set when nothing can change
  // its fate: e.g. an id that is fresh, or committed and never removed.
  std::optional<Rule> certain;
  // What the generator learns when the engine accepts the command.
  std::function<void()> on_accept;
};

class RandomCommands {
 public:
  // `length` is how many commands Next() returns before done(). `keys` seals
  // personal fields: it must be the key store of the ledger the commands go
  // to (sealed values open only there). `shared` may be null.
  RandomCommands(uint64_t seed, int length, SubjectKeys* keys, SharedCatalogue* shared);
  ~RandomCommands();
  RandomCommands(RandomCommands&&) noexcept;
  RandomCommands& operator=(RandomCommands&&) noexcept;

  const Uuid& org() const;
  uint64_t seed() const;
  bool done() const;

  // The next command. The first one creates the org.
  GeneratedCommand Next();
  // Tells the generator what became of a command it made, in submit order.
  void Observe(const GeneratedCommand& command, const CommandResult& result);
  // After the ledger was reopened: seal with its new key store.
  void set_keys(SubjectKeys* keys);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger::testing
