// ledger head: an org's tree head (size, RFC 9162 root), now or at a size;
// signed with --key, or by a ledgerd started with --signing-key.
#include <iostream>
#include <optional>

#include "commands.h"
#include "ledger/audit/instant.h"
#include "ledger/audit/signed_head.h"
#include "ledger/audit/source.h"

namespace ledger::cli {
namespace {

struct HeadFlags {
  audit::SourceFlags source;
  std::string org;
  uint64_t size = 0;
  std::string key;
  bool json = false;
};

void PrintSigned(const audit::SignedHead& head, bool json) {
  if (json) {
    std::cout << audit::ToJson(head) << "\n";
    return;
  }
  std::cout << "org       " << head.org.ToString() << "\nsize      " << head.size << "\nroot      "
            << ToHex(head.root) << "\ntimestamp " << audit::FormatInstant(head.timestamp) << " ("
            << head.timestamp << " us)"
            << "\nkey       " << audit::KeyToHex(head.key) << "\nsignature "
            << audit::KeyToHex(head.signature) << "\n";
}

void PrintUnsigned(const Uuid& org, const TreeHead& head, bool json) {
  if (json) {
    std::cout << R"({"org":")" << org.ToString() << R"(","size":)" << head.size << R"(,"root":")"
              << ToHex(head.root) << "\"}\n";
    return;
  }
  std::cout << "org  " << org.ToString() << "\nsize " << head.size << "\nroot " << ToHex(head.root)
            << "\n";
}

int RunHead(const HeadFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  std::optional<audit::SigningKey> key;
  if (!flags.key.empty()) {
    Result<audit::SigningKey> loaded = audit::LoadSigningKey(flags.key);
    if (!loaded.ok()) return FailBrief(loaded.status());
    key = *loaded;
  }
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags.source);
  if (!source.ok()) return FailBrief(source.status());
  if (key) (*source)->SetSigningKey(*key);

  Result<audit::SignedHead> signed_head = (*source)->SignedHeadAt(org, flags.size);
  if (signed_head.ok()) {
    PrintSigned(*signed_head, flags.json);
    return 0;
  }
  // No key here and none at the server: the head is still worth printing.
  if (signed_head.status().code() != Code::kFailedPrecondition) {
    return FailBrief(signed_head.status());
  }
  Result<TreeHead> head = (*source)->Head(org, flags.size);
  if (!head.ok()) return FailBrief(head.status());
  std::cerr << "note: unsigned head: " << signed_head.status().message() << "\n";
  PrintUnsigned(org, *head, flags.json);
  return 0;
}

}  // namespace

void AddHeadCommand(CLI::App& app) {
  auto flags = std::make_shared<HeadFlags>();
  CLI::App* command =
      app.add_subcommand("head", "Print an org's Merkle tree head (size, root), signed if it can");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  command->add_option("--size", flags->size, "the head as it was at this many events (0: now)");
  command->add_option("--key", flags->key,
                      "sign the head with this Ed25519 secret key file (`ledger keygen`)");
  command->add_flag("--json", flags->json, "print one JSON object");
  command->footer(
      "Signed by --key, or over --connect by a ledgerd started with --signing-key (its root is\n"
      "first checked against the events it serves). Without either, the unsigned head is\n"
      "printed, {\"org\",\"size\",\"root\"}, with a note on stderr.\n"
      "A signed head's JSON: {\"org\",\"size\",\"root\",\"timestamp\" (ISO-8601 UTC),\n"
      "\"timestamp_us\",\"key\",\"signature\",\"signed_message_format\":\"ledger-tree-head-v1\"}.\n"
      "The signature is Ed25519 over these exact bytes, each line ending in \\n:\n"
      "  ledger-tree-head-v1\n"
      "  org <org UUID, lower-case>\n"
      "  size <decimal>\n"
      "  root <64 lower-case hex digits>\n"
      "  timestamp <decimal microseconds since the Unix epoch>");
  command->final_callback([flags] { throw CLI::RuntimeError(RunHead(*flags)); });
}

}  // namespace ledger::cli
