// Shared pieces of the `ledger` subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "ledger/clock.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"

namespace ledger::cli {

struct DbFlags {
  std::string db;
  std::string master_key;  // default: <db>.master-key beside the database
};

// Adds --db and --master-key to a subcommand.
void AddDbFlags(CLI::App* command, DbFlags* flags);

// Opens the log or prints a one-line reason and returns null.
std::unique_ptr<EventLog> OpenLog(const DbFlags& flags, bool create);

// Opens the write model over the log, or prints a one-line reason.
std::unique_ptr<Ledger> OpenLedger(const DbFlags& flags, bool create);

// Parses an org UUID or prints a one-line reason.
bool ParseOrg(const std::string& text, Uuid* org);

// "error: <message>" on stderr; returns the exit status to use.
int Fail(const std::string& message);
int Fail(const Status& status);
// "error: <message>" for errors about the user's input (not found, invalid
// argument, failed precondition: "unknown org X" says it all); the code
// stays in front of the others ("tampered: ...").
int FailBrief(const Status& status);

}  // namespace ledger::cli
