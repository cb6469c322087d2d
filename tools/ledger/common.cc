#include "common.h"

#include <iostream>

namespace ledger::cli {

void AddDbFlags(CLI::App* command, DbFlags* flags) {
  command->add_option("--db", flags->db, "RocksDB directory of the log")->required();
  command->add_option("--master-key", flags->master_key,
                      "file with the 32-byte master key (hex) that wraps personal-data keys; "
                      "default: <db>.master-key");
}

namespace {

LogOptions LogOptionsFor(const DbFlags& flags, bool create) {
  LogOptions options;
  options.path = flags.db;
  options.master_key_path = flags.master_key.empty() ? flags.db + ".master-key" : flags.master_key;
  options.create_if_missing = create;
  options.create_master_key = create;
  return options;
}

}  // namespace

std::unique_ptr<EventLog> OpenLog(const DbFlags& flags, bool create) {
  Result<std::unique_ptr<EventLog>> log = EventLog::Open(LogOptionsFor(flags, create));
  if (!log.ok()) {
    Fail(log.status());
    return nullptr;
  }
  return std::move(log).value();
}

std::unique_ptr<Ledger> OpenLedger(const DbFlags& flags, bool create) {
  LedgerOptions options;
  options.log = LogOptionsFor(flags, create);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  if (!ledger.ok()) {
    Fail(ledger.status());
    return nullptr;
  }
  return std::move(ledger).value();
}

bool ParseOrg(const std::string& text, Uuid* org) {
  std::optional<Uuid> parsed = Uuid::Parse(text);
  if (!parsed) {
    Fail("--org '" + text + "' is not a UUID");
    return false;
  }
  *org = *parsed;
  return true;
}

int Fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

int Fail(const Status& status) { return Fail(status.ToString()); }

int FailBrief(const Status& status) {
  switch (status.code()) {
    case Code::kNotFound:
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
      return Fail(status.message());
    default:
      return Fail(status);
  }
}

}  // namespace ledger::cli
