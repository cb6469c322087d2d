// ledger: the auditor and operator CLI.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ledger: audit and operate the event ledger"};
  app.require_subcommand(1);
  ledger::cli::AddDemoCommand(app);
  ledger::cli::AddHeadCommand(app);
  ledger::cli::AddVerifyCommand(app);
  ledger::cli::AddAppendCommand(app);
  ledger::cli::AddTokenCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  return 0;
}
