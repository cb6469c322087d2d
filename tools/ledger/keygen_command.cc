// ledger keygen: the Ed25519 key pair that signs tree heads (signed_head.h).
#include <iostream>

#include "commands.h"
#include "ledger/audit/signed_head.h"

namespace ledger::cli {
namespace {

int RunKeygen(const std::string& out) {
  Result<audit::SigningKey> key = audit::GenerateKeyFile(out);
  if (!key.ok()) return FailBrief(key.status());
  std::cout << "public key  " << audit::KeyToHex(key->public_key) << "\n"
            << "secret key  " << out << " (mode 0600: keep it secret)\n"
            << "public file " << out << ".pub (give it to auditors)\n";
  return 0;
}

}  // namespace

void AddKeygenCommand(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  CLI::App* command =
      app.add_subcommand("keygen", "Make the Ed25519 key pair that signs tree heads (libsodium)");
  command->add_option("--out", *out, "secret key file to create; the public key goes to OUT.pub")
      ->required();
  command->footer(
      "Both files hold hex text. Start the server with `ledgerd --signing-key OUT`, or sign\n"
      "locally with `ledger head --key OUT`. Existing files are never overwritten.");
  command->final_callback([out] { throw CLI::RuntimeError(RunKeygen(*out)); });
}

}  // namespace ledger::cli
