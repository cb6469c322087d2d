// ledger demo: the main job on embedded defaults. Generates a realistic
// multi-org history, appends it in synced batches, reopens the log, prints
// and verifies every org's head, then shows a personal field sealed, opened,
// and erased by forgetting its subject.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "ledger/tools/history_generator.h"

namespace ledger::cli {
namespace {

struct DemoFlags {
  DbFlags db;
  tools::HistoryOptions history;
  size_t batch = 1000;
  bool fresh = false;
};

Status AppendAll(EventLog& log, const std::vector<std::string>& events, size_t batch) {
  std::vector<std::string_view> views(events.begin(), events.end());
  for (size_t start = 0; start < views.size(); start += batch) {
    size_t count = std::min(batch, views.size() - start);
    Result<std::vector<Position>> appended =
        log.Append(std::span<const std::string_view>(views).subspan(start, count));
    if (!appended.ok()) return appended.status();
  }
  return Status::Ok();
}

std::string Shown(const Result<std::optional<std::string>>& opened) {
  if (!opened.ok()) return "<" + opened.status().ToString() + ">";
  return opened->has_value() ? "\"" + **opened + "\"" : "<erased>";
}

// Personal data end to end: the first hired employee's sealed fields open,
// then the employee is forgotten, the fields read as erased, and the org's
// history still verifies.
Status ShowSealing(EventLog& log, const Uuid& org) {
  std::vector<StoredEvent> events;
  LEDGER_RETURN_IF_ERROR(log.ReadOrg(org, 1, 1000, &events));
  for (const StoredEvent& event : events) {
    const fb::EmployeeHired* hired = event.event()->payload_as_EmployeeHired();
    if (hired == nullptr) continue;
    SubjectKeys& keys = log.subject_keys();
    std::cout << "seq " << event.position.org_seq << " EmployeeHired "
              << hired->employee_id()->str() << ": full_name "
              << Shown(keys.Open(*hired->full_name())) << ", email "
              << Shown(keys.Open(*hired->email())) << "\n";
    LEDGER_RETURN_IF_ERROR(keys.Forget(*Uuid::Parse(hired->employee_id()->string_view())));
    LEDGER_RETURN_IF_ERROR(log.VerifyOrg(org));
    std::cout << "forgot " << hired->employee_id()->str() << ": full_name "
              << Shown(keys.Open(*hired->full_name())) << ", email "
              << Shown(keys.Open(*hired->email())) << "; org " << org.ToString()
              << " still verifies\n";
    return Status::Ok();
  }
  return Status::NotFound("no EmployeeHired event in org " + org.ToString());
}

int RunDemo(const DemoFlags& flags) {
  if (flags.fresh) {
    std::filesystem::remove_all(flags.db.db);
    std::filesystem::remove(flags.db.master_key.empty() ? flags.db.db + ".master-key"
                                                        : flags.db.master_key);
  }
  std::vector<Uuid> orgs;
  {
    std::unique_ptr<EventLog> log = OpenLog(flags.db, /*create=*/true);
    if (!log) return 1;
    Result<tools::GeneratedHistory> history = GenerateHistory(flags.history, log->subject_keys());
    if (!history.ok()) return Fail(history.status());
    auto start = std::chrono::steady_clock::now();
    Status appended = AppendAll(*log, history->events, flags.batch);
    if (!appended.ok()) return Fail(appended);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "appended " << history->events.size() << " events for " << history->orgs.size()
              << " orgs in " << seconds * 1000 << " ms (synced batches of " << flags.batch << ")\n";
    orgs = history->orgs;
  }
  std::unique_ptr<EventLog> log = OpenLog(flags.db, /*create=*/false);  // reopened from disk
  if (!log) return 1;
  std::cout << "reopened " << flags.db.db << ": " << log->LastGlobalSeq() << " events in all\n";
  int failures = 0;
  for (const Uuid& org : orgs) {
    Result<TreeHead> head = log->Head(org);
    Status verified = head.ok() ? log->VerifyOrg(org) : head.status();
    if (!verified.ok()) {
      ++failures;
      std::cout << "FAIL  " << verified.ToString() << "\n";
      continue;
    }
    std::cout << "org " << org.ToString() << "  size " << head->size << "  root "
              << ToHex(head->root) << "  verified\n";
  }
  if (failures > 0) return 1;
  std::cout << "\n";
  Status sealing = ShowSealing(*log, orgs.front());
  return sealing.ok() ? 0 : Fail(sealing);
}

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* command = app.add_subcommand(
      "demo", "Append a generated multi-org history, reopen, print and verify each org's head");
  AddDbFlags(command, &flags->db);
  command->add_option("--orgs", flags->history.orgs, "organizations to generate")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command->add_option("--employees", flags->history.employees_per_org, "employees per org")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command->add_option("--missions", flags->history.missions_per_employee, "missions per employee")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  command->add_option("--batch", flags->batch, "events per synced append")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  command->add_flag("--fresh", flags->fresh, "delete the database and its master key first");
  command->final_callback([flags] { throw CLI::RuntimeError(RunDemo(*flags)); });
}

}  // namespace ledger::cli
