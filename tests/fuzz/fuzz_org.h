// The org command_fuzz decides every input against, built the same way in
// every process so that the seeds in command_corpus/ name its entities.
//
// A Ledger in a temporary directory (fsync off, a fixed clock) is fed the
// first kFixtureCommands of a seeded RandomCommands stream
// (tests/random_commands.h): an org with people, roles, templates, agents,
// requests, budgets, missions and some of every mistake. The stream's next
// kFollowingCommands are generated but not submitted: plausible next
// commands, which make_seeds.cc writes as seeds. Personal fields are seal
// requests, as a service sends them, so the seeds open in any process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger/commands.h"
#include "ledger/ledger.h"

namespace ledger::fuzz {

inline constexpr uint64_t kFixtureSeed = 7;
inline constexpr int kFixtureCommands = 300;
inline constexpr int kFollowingCommands = 40;

struct FuzzOrg {
  FuzzOrg() = default;
  FuzzOrg(const FuzzOrg&) = delete;
  FuzzOrg& operator=(const FuzzOrg&) = delete;
  ~FuzzOrg();  // closes the ledger and removes its directory

  std::string dir;
  std::unique_ptr<Ledger> ledger;
  Uuid org;
  std::vector<Command> following;
};

// Aborts (with a message) if the ledger cannot be built: nothing can be
// fuzzed without it.
std::unique_ptr<FuzzOrg> BuildFuzzOrg();

}  // namespace ledger::fuzz
