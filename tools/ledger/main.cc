// ledger: the auditor and operator CLI.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ledger: audit and operate the event ledger"};
  app.require_subcommand(1);
  ledger::cli::AddDemoCommand(app);
  ledger::cli::AddHeadCommand(app);
  ledger::cli::AddKeygenCommand(app);
  ledger::cli::AddProveCommand(app);
  ledger::cli::AddVerifyCommand(app);
  ledger::cli::AddAppendCommand(app);
  ledger::cli::AddTokenCommand(app);
  ledger::cli::AddReplayCommand(app);
  ledger::cli::AddHistoryCommand(app);
  ledger::cli::AddDiffCommand(app);
  ledger::cli::AddExportCommand(app);
  ledger::cli::AddEvidenceCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  return 0;
}
