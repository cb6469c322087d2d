#include "ledger/audit/source.h"

#include "source_backends.h"

namespace ledger::audit {

void AddSourceFlags(CLI::App* command, SourceFlags* flags) {
  CLI::Option* db = command->add_option(
      "--db", flags->db,
      "RocksDB directory of the log, opened read-only (safe while ledgerd runs)");
  command->add_option("--master-key", flags->master_key,
                      "master key file, to open personal fields (default: <db>.master-key; "
                      "without it they stay sealed)");
  CLI::Option* connect = command->add_option(
      "--connect", flags->connect, "read from a running ledgerd instead: HOST:PORT or [IPv6]:PORT");
  command->add_option(
      "--token", flags->token,
      "bearer token for --connect (default: the LEDGER_TOKEN environment variable)");
  db->excludes(connect);
}

Result<std::unique_ptr<AuditSource>> AuditSource::Open(const SourceFlags& flags) {
  if (flags.db.empty() == flags.connect.empty()) {
    return Status::InvalidArgument("give the log as --db PATH or --connect HOST:PORT");
  }
  if (!flags.db.empty()) return OpenLocalSource(flags);
  return ConnectRemoteSource(flags);
}

}  // namespace ledger::audit
