// ledger verify: re-reads orgs' histories and checks checksums, leaf hashes,
// stored tree nodes and roots. Exit status 1 names the first failure.
#include <iostream>

#include "commands.h"

namespace ledger::cli {
namespace {

struct VerifyFlags {
  DbFlags db;
  std::string org;  // empty: every org
};

int RunVerify(const VerifyFlags& flags) {
  std::vector<Uuid> orgs;
  if (!flags.org.empty()) {
    Uuid org;
    if (!ParseOrg(flags.org, &org)) return 1;
    orgs.push_back(org);
  }
  std::unique_ptr<EventLog> log = OpenLog(flags.db, /*create=*/false);
  if (!log) return 1;
  if (orgs.empty()) {
    Result<std::vector<Uuid>> all = log->Orgs();
    if (!all.ok()) return Fail(all.status());
    orgs = std::move(all).value();
  }
  int failures = 0;
  for (const Uuid& org : orgs) {
    Status verified = log->VerifyOrg(org);
    Result<TreeHead> head = log->Head(org);
    if (verified.ok() && head.ok()) {
      std::cout << "ok    " << org.ToString() << " size " << head->size << " root "
                << ToHex(head->root) << "\n";
    } else {
      ++failures;
      std::cout << "FAIL  " << (verified.ok() ? head.status() : verified).ToString() << "\n";
    }
  }
  std::cout << orgs.size() - failures << " verified, " << failures << " failed\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace

void AddVerifyCommand(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* command = app.add_subcommand(
      "verify", "Check checksums, leaf hashes, tree nodes and roots of one org or all");
  AddDbFlags(command, &flags->db);
  command->add_option("--org", flags->org, "org UUID (default: every org)");
  command->final_callback([flags] { throw CLI::RuntimeError(RunVerify(*flags)); });
}

}  // namespace ledger::cli
