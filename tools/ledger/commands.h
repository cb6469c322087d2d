// Each `ledger` subcommand registers itself on the app. Its callback throws
// CLI::RuntimeError(exit_status), which main() turns into the exit status.
#pragma once

#include <CLI/CLI.hpp>

#include "common.h"

namespace ledger::cli {

void AddDemoCommand(CLI::App& app);
void AddHeadCommand(CLI::App& app);
void AddKeygenCommand(CLI::App& app);
void AddProveCommand(CLI::App& app);
void AddVerifyCommand(CLI::App& app);
void AddAppendCommand(CLI::App& app);
void AddTokenCommand(CLI::App& app);
void AddReplayCommand(CLI::App& app);
void AddHistoryCommand(CLI::App& app);
void AddDiffCommand(CLI::App& app);
void AddExportCommand(CLI::App& app);
void AddEvidenceCommand(CLI::App& app);

}  // namespace ledger::cli
