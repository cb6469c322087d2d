// A scripted org history for the auditor tools' tests: a real Ledger whose
// clock the script sets, so every step is recorded at a known instant and a
// test can ask what the org looked like between any two steps.
//
//   09:00 org created           09:01 subscription, budget $100
//   09:02 manager role          09:03 team
//   10:00 alice hired           10:05 bob (manager) hired
//   11:00 template published    11:05 agent assigned to alice
//   12:00 alice's request       12:30 bob approves it (the ledger resolves it)
//   13:00 agent paused
//   14:00 usage $30 (alice, her agent)
//   14:30 usage $55 (alice): 85 % of the budget (the ledger records 80 % crossed)
//
// All on 2026-03-01 UTC.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ledger/event_builder.h"
#include "ledger/ledger.h"
#include "test_util.h"

namespace ledger::testing {

// "2026-03-01T" + hh:mm + ":00Z" as microseconds since the epoch.
int64_t ScenarioTime(int hour, int minute, int second = 0);
// The same instant as ISO-8601 text ("2026-03-01T10:30:00Z").
std::string ScenarioText(int hour, int minute, int second = 0);

class AuditScenario {
 public:
  AuditScenario();  // runs the whole script
  ~AuditScenario();

  const std::string& db() const { return options_.log.path; }
  const std::string& master_key() const { return options_.log.master_key_path; }
  Ledger& ledger() { return *ledger_; }
  // Closes the ledger, so that another process may open the log read-only
  // with nothing held back in memory.
  void Close() { ledger_.reset(); }

  Uuid org = Uuid::Random();
  std::string subscription, manager_role, team, alice, bob, tmpl, agent, request;
  // The last org sequence of each step, in script order (the approval's
  // includes the resolution the ledger derived from it).
  std::vector<uint64_t> versions;

 private:
  void Run();
  // Submits one command as recorded at `at`, by `actor`; throws unless accepted.
  void At(int64_t at, const ActorRef& actor, std::string event);
  ActorRef Employee(const std::string& id) const { return {fb::ActorKind::Employee, id}; }
  flatbuffers::Offset<fb::Sealed> Seal(const std::string& subject, std::string_view text);

  TempDir dir_;
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
  EventBuilder builder_;
  int64_t now_ = 0;
};

// Runs the `ledger` binary; its exit status and output.
struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};
CliRun RunLedgerCli(const std::vector<std::string>& args);

}  // namespace ledger::testing
