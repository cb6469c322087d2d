// ledger head: an org's tree head (size and RFC 6962 root), now or at a size.
#include <iostream>

#include "commands.h"

namespace ledger::cli {
namespace {

struct HeadFlags {
  DbFlags db;
  std::string org;
  uint64_t size = 0;
  bool json = false;
};

int RunHead(const HeadFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  std::unique_ptr<EventLog> log = OpenLog(flags.db, /*create=*/false);
  if (!log) return 1;
  Result<TreeHead> head = flags.size == 0 ? log->Head(org) : log->HeadAt(org, flags.size);
  if (!head.ok()) return Fail(head.status());
  if (flags.json) {
    std::cout << R"({"org":")" << org.ToString() << R"(","size":)" << head->size << R"(,"root":")"
              << ToHex(head->root) << "\"}\n";
  } else {
    std::cout << "org  " << org.ToString() << "\nsize " << head->size << "\nroot "
              << ToHex(head->root) << "\n";
  }
  return 0;
}

}  // namespace

void AddHeadCommand(CLI::App& app) {
  auto flags = std::make_shared<HeadFlags>();
  CLI::App* command = app.add_subcommand("head", "Print an org's Merkle tree head (size, root)");
  AddDbFlags(command, &flags->db);
  command->add_option("--org", flags->org, "org UUID")->required();
  command->add_option("--size", flags->size, "the head as it was at this many events");
  command->add_flag("--json", flags->json, "print one JSON object");
  command->final_callback([flags] { throw CLI::RuntimeError(RunHead(*flags)); });
}

}  // namespace ledger::cli
