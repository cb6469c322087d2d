#include "audit_scenario.h"

#include <stdexcept>

#include "child_process.h"

namespace ledger::testing {
namespace {

// 2026-03-01T00:00:00Z.
constexpr int64_t kDayStart = 1'772'323'200'000'000;
constexpr int64_t kDollar = 1'000'000;    // micro-dollars
constexpr int64_t kDay = 86'400'000'000;  // microseconds

std::string Two(int value) { return (value < 10 ? "0" : "") + std::to_string(value); }

}  // namespace

int64_t ScenarioTime(int hour, int minute, int second) {
  return kDayStart + ((hour * 60 + minute) * 60 + second) * int64_t{1'000'000};
}

std::string ScenarioText(int hour, int minute, int second) {
  return "2026-03-01T" + Two(hour) + ":" + Two(minute) + ":" + Two(second) + "Z";
}

AuditScenario::AuditScenario() {
  options_.log = OptionsIn(dir_);
  options_.log.sync = false;  // the tests never crash the process
  options_.log.clock = [this] { return now_; };
  options_.snapshot_every = 4;  // replay must agree whether or not it starts from one
  Result<std::unique_ptr<Ledger>> opened = Ledger::Open(options_);
  if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
  ledger_ = std::move(opened).value();
  Run();
}

AuditScenario::~AuditScenario() = default;

void AuditScenario::At(int64_t at, const ActorRef& actor, std::string event) {
  now_ = at;
  Command command{std::move(event), std::nullopt};
  std::vector<CommandResult> results = ledger_->Submit(std::span(&command, 1));
  const CommandResult& result = results.front();
  if (!result.status.ok()) {
    throw std::runtime_error("scenario step at " + std::to_string(at) + " (" + actor.id +
                             ") rejected: " + result.status.ToString());
  }
  versions.push_back(result.first_seq + result.event_count - 1);
}

flatbuffers::Offset<fb::Sealed> AuditScenario::Seal(const std::string& subject,
                                                    std::string_view text) {
  Result<SealedValue> sealed = ledger_->log().subject_keys().Seal(*Uuid::Parse(subject), text);
  if (!sealed.ok()) throw std::runtime_error(sealed.status().ToString());
  return sealed->Build(builder_.builder());
}

void AuditScenario::Run() {
  auto& b = builder_.builder();
  auto id = [] { return Uuid::Random().ToString(); };
  subscription = id(), manager_role = id(), team = id(), alice = id(), bob = id(), tmpl = id();
  agent = id(), request = id();
  EnvelopeFields envelope;
  envelope.org = org;
  auto as = [&](const ActorRef& actor) {
    envelope.actor = actor;
    return envelope;
  };
  ActorRef system;
  At(ScenarioTime(9, 0), system,
     builder_.Finish(as(system),
                     fb::CreateOrganizationCreatedDirect(b, "Acme", "acme", "team", "{}", 10, 2)));
  At(ScenarioTime(9, 1), system,
     builder_.Finish(as(system), fb::CreateSubscriptionStartedDirect(
                                     b, subscription.c_str(), nullptr, "team", 100 * kDollar,
                                     ScenarioTime(0, 0), ScenarioTime(0, 0) + 30 * kDay)));
  At(ScenarioTime(9, 2), system,
     builder_.Finish(as(system), fb::CreateRoleDefinedDirect(b, manager_role.c_str(), "Manager",
                                                             nullptr, "[]", true)));
  At(ScenarioTime(9, 3), system,
     builder_.Finish(as(system), fb::CreateTeamCreatedDirect(b, team.c_str(), "Platform")));
  At(ScenarioTime(10, 0), system,
     builder_.Finish(as(system), fb::CreateEmployeeHiredDirect(
                                     b, alice.c_str(), team.c_str(), nullptr,
                                     Seal(alice, "alice@acme.test"), Seal(alice, "Alice A"))));
  At(ScenarioTime(10, 5), system,
     builder_.Finish(as(system), fb::CreateEmployeeHiredDirect(
                                     b, bob.c_str(), team.c_str(), manager_role.c_str(),
                                     Seal(bob, "bob@acme.test"), Seal(bob, "Bob B"))));
  At(ScenarioTime(11, 0), Employee(bob),
     builder_.Finish(as(Employee(bob)), fb::CreateAgentTemplatePublishedDirect(
                                            b, tmpl.c_str(), "Reviewer", "coding", nullptr, "{}",
                                            "[]", "anthropic", "claude", true)));
  At(ScenarioTime(11, 5), Employee(alice),
     builder_.Finish(as(Employee(alice)),
                     fb::CreateEmployeeAgentAssignedDirect(b, agent.c_str(), alice.c_str(),
                                                           tmpl.c_str(), "reviewer", "{}")));
  At(ScenarioTime(12, 0), Employee(alice),
     builder_.Finish(as(Employee(alice)),
                     fb::CreateAgentRequestSubmittedDirect(b, request.c_str(), alice.c_str(),
                                                           "new_agent", "{}", 0, 1)));
  At(ScenarioTime(12, 30), Employee(bob),
     builder_.Finish(as(Employee(bob)),
                     fb::CreateApprovalRecordedDirect(b, id().c_str(), request.c_str(), bob.c_str(),
                                                      fb::ApprovalDecision::Approve)));
  At(ScenarioTime(13, 0), Employee(alice),
     builder_.Finish(as(Employee(alice)), fb::CreateEmployeeAgentPausedDirect(b, agent.c_str())));
  At(ScenarioTime(14, 0), ActorRef{fb::ActorKind::Agent, agent},
     builder_.Finish(as(ActorRef{fb::ActorKind::Agent, agent}),
                     fb::CreateUsageRecordedDirect(
                         b, id().c_str(), alice.c_str(), agent.c_str(), nullptr, nullptr, nullptr,
                         fb::ResourceType::LlmInputTokens, 1000, 30 * kDollar, "claude")));
  At(ScenarioTime(14, 30), Employee(alice),
     builder_.Finish(as(Employee(alice)),
                     fb::CreateUsageRecordedDirect(
                         b, id().c_str(), alice.c_str(), nullptr, nullptr, nullptr, nullptr,
                         fb::ResourceType::LlmOutputTokens, 2000, 55 * kDollar, "claude")));
}

CliRun RunLedgerCli(const std::vector<std::string>& args) {
  static int runs = 0;
  TempDir dir;
  std::string out = dir.Sub("out" + std::to_string(++runs));
  std::string err = dir.Sub("err" + std::to_string(runs));
  std::vector<std::string> argv = {LEDGER_CLI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  CliRun run;
  {
    Child child(argv, out, err);
    run.code = child.Wait();
  }
  run.out = FileText(out);
  run.err = FileText(err);
  return run;
}

}  // namespace ledger::testing
