#include "fuzz_org.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <span>

#include "random_commands.h"

namespace ledger::fuzz {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz org: %s\n", what.c_str());
  std::abort();
}

}  // namespace

FuzzOrg::~FuzzOrg() {
  ledger.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

std::unique_ptr<FuzzOrg> BuildFuzzOrg() {
  auto fixture = std::make_unique<FuzzOrg>();
  std::string pattern = (std::filesystem::temp_directory_path() / "ledger-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
  fixture->dir = pattern;

  LedgerOptions options;
  options.log.path = fixture->dir + "/db";
  options.log.master_key_path = fixture->dir + "/master.key";
  // Nothing here survives the process: fsync would only slow the start.
  options.log.sync = false;
  // A fixed clock: the same stream gives the same state in every process.
  options.log.clock = [now = int64_t{1'767'225'600'000'000}]() mutable { return now += 1000; };
  options.snapshot_every = 0;
  auto opened = Ledger::Open(options);
  if (!opened.ok()) Die("cannot open a ledger: " + opened.status().ToString());
  fixture->ledger = std::move(opened).value();

  // Seal requests, not sealed values: the ledger seals them with its own
  // keys, and the seeds carry no ciphertext tied to one process's keys.
  static SealRequestKeys seal_requests;
  testing::RandomCommands stream(kFixtureSeed, kFixtureCommands + kFollowingCommands,
                                 &seal_requests, nullptr);
  fixture->org = stream.org();
  for (int i = 0; i < kFixtureCommands; ++i) {
    testing::GeneratedCommand generated = stream.Next();
    std::vector<CommandResult> results = fixture->ledger->Submit(std::span(&generated.command, 1));
    if (!results.front().status.ok() && results.front().rule == Rule::kNone) {
      Die("the fixture's ledger failed: " + results.front().status.ToString());
    }
    stream.Observe(generated, results.front());
  }
  for (int i = 0; i < kFollowingCommands && !stream.done(); ++i) {
    fixture->following.push_back(stream.Next().command);
  }
  return fixture;
}

}  // namespace ledger::fuzz
