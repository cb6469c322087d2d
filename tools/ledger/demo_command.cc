// ledger demo: the main job on embedded defaults. Generates a realistic
// multi-org history and submits it as commands (validated against each
// org's state, appended in synced batches), shows commands that break rules
// being refused, reopens the log and verifies every org's head, prints one
// org's state as of now and as of an earlier instant, then forgets a person:
// their sealed fields read as erased while every proof still verifies.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "demo_remote.h"
#include "ledger/event_builder.h"
#include "ledger/tools/history_generator.h"

namespace ledger::cli {
namespace {

struct DemoFlags {
  DbFlags db;
  RemoteDemoFlags remote;  // --connect: append over the socket instead
  tools::HistoryOptions history;
  size_t batch = 1000;
  bool fresh = false;
  bool inspect = false;  // skip generating: show what the log holds
};

// Submits every event as a command; returns how many were rejected.
Result<size_t> SubmitAll(Ledger& ledger, const std::vector<std::string>& events, size_t batch) {
  size_t rejected = 0;
  std::vector<Command> commands;
  for (size_t start = 0; start < events.size(); start += batch) {
    commands.clear();
    for (size_t i = start; i < std::min(events.size(), start + batch); ++i) {
      commands.push_back({events[i], std::nullopt});
    }
    for (const CommandResult& result : ledger.Submit(commands)) {
      if (result.status.code() == Code::kRejected) {
        ++rejected;
        std::cout << "rejected: " << result.status.message() << "\n";
      } else if (!result.status.ok()) {
        return result.status;
      }
    }
  }
  return rejected;
}

std::string Shown(const Result<std::optional<std::string>>& opened) {
  if (!opened.ok()) return "<" + opened.status().ToString() + ">";
  return opened->has_value() ? "\"" + **opened + "\"" : "<erased>";
}

std::string Usd(int64_t micros) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.2f", static_cast<double>(micros) / 1e6);
  return text;
}

void PrintState(const State& state, const std::string& when) {
  size_t live_agents = 0, pending = 0;
  for (const auto& [id, agent] : state.employee_agents) {
    live_agents += agent.status != state::AgentStatus::Revoked;
  }
  for (const auto& [id, request] : state.agent_requests) {
    pending += request.status == state::RequestStatus::Pending;
  }
  std::cout << "  " << when << " (version " << state.version << "): " << state.employees.size()
            << " employees, " << live_agents << " live agents, " << pending << " pending requests, "
            << state.missions.size() << " missions";
  for (const auto& [id, sub] : state.subscriptions) {
    std::cout << ", spending " << Usd(sub.spending_micros) << " of "
              << Usd(sub.monthly_budget_micros);
  }
  std::cout << "\n";
}

// Two commands that break rules: each is refused with its rule and the
// offending id, and nothing is appended.
void ShowRejections(Ledger& ledger, const State& state) {
  const state::EmployeeT* requester = nullptr;
  for (const auto& [id, request] : state.agent_requests) {
    if (request.status == state::RequestStatus::Pending) {
      requester = &state.employees.at(*Uuid::Parse(request.employee_id));
      EventBuilder builder;
      EnvelopeFields envelope;
      envelope.org = state.org;
      envelope.actor = {fb::ActorKind::Employee, requester->id.str()};
      std::string self_approval = builder.Finish(
          envelope, fb::CreateApprovalRecordedDirect(
                        builder.builder(), Uuid::Random().ToString().c_str(), request.id.c_str(),
                        requester->id.c_str(), fb::ApprovalDecision::Approve));
      std::string negative = builder.Finish(
          envelope, fb::CreateUsageRecordedDirect(
                        builder.builder(), Uuid::Random().ToString().c_str(), requester->id.c_str(),
                        nullptr, nullptr, nullptr, nullptr, fb::ResourceType::ToolCalls, 1, -5));
      uint64_t before = ledger.log().LastGlobalSeq();
      for (const CommandResult& result :
           ledger.Submit(std::vector<Command>{{self_approval, {}}, {negative, {}}})) {
        std::cout << "  refused: " << result.status.message() << "\n";
      }
      std::cout << "  events appended by the refused commands: "
                << ledger.log().LastGlobalSeq() - before << "\n";
      return;
    }
  }
}

// Forgetting is a command: it records who asked and why, then destroys the
// subject's data key. The history still verifies; the fields read as erased.
Status ShowForgetting(Ledger& ledger, const Uuid& org) {
  Result<State> state = ledger.CurrentState(org);
  if (!state.ok()) return state.status();
  const state::EmployeeT* employee = nullptr;
  for (const auto& [id, candidate] : state->employees) {
    if (!employee || candidate.id < employee->id) employee = &candidate;
  }
  if (employee == nullptr) return Status::NotFound("org " + org.ToString() + " has no employees");
  SubjectKeys& keys = ledger.log().subject_keys();
  auto open = [&](const std::unique_ptr<fb::SealedT>& sealed) {
    flatbuffers::FlatBufferBuilder builder;
    builder.Finish(fb::Sealed::Pack(builder, sealed.get()));
    return Shown(keys.Open(*flatbuffers::GetRoot<fb::Sealed>(builder.GetBufferPointer())));
  };
  std::cout << "employee " << employee->id << ": full_name " << open(employee->full_name)
            << ", email " << open(employee->email) << "\n";
  EventBuilder builder;
  EnvelopeFields envelope;
  envelope.org = org;
  envelope.actor = {fb::ActorKind::Service, "privacy-desk"};
  std::string forget = builder.Finish(
      envelope, fb::CreateSubjectForgottenDirect(builder.builder(), employee->id.c_str(),
                                                 "GDPR art. 17 request #4411"));
  CommandResult result = ledger.Submit(std::vector<Command>{{forget, {}}}).front();
  LEDGER_RETURN_IF_ERROR(result.status);
  LEDGER_RETURN_IF_ERROR(ledger.log().VerifyOrg(org));
  std::cout << "SubjectForgotten at seq " << result.first_seq << ": full_name "
            << open(employee->full_name) << ", email " << open(employee->email) << "; org "
            << org.ToString() << " still verifies\n";
  return Status::Ok();
}

// Generates the history and submits it to the embedded ledger.
Result<std::vector<Uuid>> GenerateAndSubmit(const DemoFlags& flags) {
  std::unique_ptr<Ledger> ledger = OpenLedger(flags.db, /*create=*/true);
  if (!ledger) return Status::FailedPrecondition("cannot open " + flags.db.db);
  Result<tools::GeneratedHistory> history =
      GenerateHistory(flags.history, ledger->log().subject_keys());
  if (!history.ok()) return history.status();
  auto start = std::chrono::steady_clock::now();
  Result<size_t> rejected = SubmitAll(*ledger, history->events, flags.batch);
  if (!rejected.ok()) return rejected.status();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t commands = history->events.size();
  std::cout << "submitted " << commands << " commands for " << history->orgs.size() << " orgs in "
            << seconds * 1000 << " ms (synced batches of " << flags.batch
            << "): " << commands - *rejected << " accepted, " << *rejected << " rejected\n";
  return history->orgs;
}

int RunDemo(DemoFlags& flags) {
  if (!flags.remote.connect.empty()) {
    flags.remote.history = flags.history;
    flags.remote.batch = flags.batch;
    return RunRemoteDemo(flags.remote);
  }
  if (flags.db.db.empty()) return Fail("--db or --connect is required");
  if (flags.fresh) {
    std::filesystem::remove_all(flags.db.db);
    std::filesystem::remove(flags.db.master_key.empty() ? flags.db.db + ".master-key"
                                                        : flags.db.master_key);
  }
  std::vector<Uuid> orgs;
  if (!flags.inspect) {
    Result<std::vector<Uuid>> submitted = GenerateAndSubmit(flags);
    if (!submitted.ok()) return Fail(submitted.status());
    orgs = *submitted;
  }
  std::unique_ptr<Ledger> ledger = OpenLedger(flags.db, /*create=*/false);  // reopened from disk
  if (!ledger) return 1;
  EventLog& log = ledger->log();
  std::cout << "reopened " << flags.db.db << ": " << log.LastGlobalSeq()
            << " events in all (commands plus the events the engine derived)\n";
  if (flags.inspect) {
    Result<std::vector<Uuid>> stored = log.Orgs();
    if (!stored.ok()) return Fail(stored.status());
    orgs = *stored;
  }
  if (orgs.empty()) return Fail("the log holds no orgs");
  int failures = 0;
  for (const Uuid& org : orgs) {
    Result<TreeHead> head = log.Head(org);
    Status verified = head.ok() ? log.VerifyOrg(org) : head.status();
    if (!verified.ok()) {
      ++failures;
      std::cout << "FAIL  " << verified.ToString() << "\n";
      continue;
    }
    std::cout << "org " << org.ToString() << "  size " << head->size << "  root "
              << ToHex(head->root) << "  verified\n";
  }
  if (failures > 0) return 1;

  const Uuid& org = orgs.front();
  std::cout << "\norg " << org.ToString() << " state, rebuilt from snapshot + events:\n";
  Result<State> now = ledger->CurrentState(org);
  if (!now.ok()) return Fail(now.status());
  PrintState(*now, "now");
  Result<State> earlier = ledger->StateAt(org, now->version / 2);
  if (!earlier.ok()) return Fail(earlier.status());
  PrintState(*earlier, "half-way");
  std::cout << "\ncommands that break rules:\n";
  ShowRejections(*ledger, *now);
  std::cout << "\n";
  Status forgetting = ShowForgetting(*ledger, org);
  return forgetting.ok() ? 0 : Fail(forgetting);
}

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* command = app.add_subcommand(
      "demo",
      "Submit a generated multi-org history as commands, reopen, verify each org, show state, "
      "refusals and forgetting. With --connect, append the history to a running ledgerd "
      "instead; with --inspect, only show what the log at --db holds");
  command->add_option("--db", flags->db.db, "RocksDB directory of the log (embedded mode)");
  command->add_option("--master-key", flags->db.master_key,
                      "master key file; default: <db>.master-key");
  auto* connect =
      command->add_option("--connect", flags->remote.connect, "ledgerd HOST:PORT to append to");
  command->add_option("--token", flags->remote.token, "token for --connect (default $LEDGER_TOKEN)")
      ->envname("LEDGER_TOKEN");
  command
      ->add_flag("--inspect", flags->inspect,
                 "do not generate: reopen, verify and show what --db holds")
      ->excludes(connect);
  command->add_option("--orgs", flags->history.orgs, "organizations to generate")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command->add_option("--employees", flags->history.employees_per_org, "employees per org")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command->add_option("--missions", flags->history.missions_per_employee, "missions per employee")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  command->add_option("--batch", flags->batch, "commands per synced append")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  command->add_flag("--fresh", flags->fresh, "delete the database and its master key first");
  command->final_callback([flags] { throw CLI::RuntimeError(RunDemo(*flags)); });
}

}  // namespace ledger::cli
