// PostgreSQL for a benchmark run: a private server started with tools/pg.sh
// (server defaults: fsync and synchronous_commit on), and the settings that
// decide what the figures mean.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ledger/status.h"

namespace ledger::bench {

// tools/pg.sh start in a fresh directory under /tmp; the destructor (or
// Stop) runs tools/pg.sh stop and removes the directory. If the process is
// killed with SIGKILL the server stays up: `tools/pg.sh stop DIR`.
class PrivatePostgres {
 public:
  static Result<std::unique_ptr<PrivatePostgres>> Start(const std::string& pg_script);
  ~PrivatePostgres();
  void Stop();

  const std::string& conninfo() const { return conninfo_; }
  const std::string& directory() const { return directory_; }

 private:
  PrivatePostgres(std::string script, std::string directory)
      : script_(std::move(script)), directory_(std::move(directory)) {}
  std::string script_;
  std::string directory_;
  std::string conninfo_;
  bool running_ = false;
};

struct PgSettings {
  std::string version;
  std::string fsync;
  std::string synchronous_commit;
  std::string shared_buffers;
  std::string max_wal_size;
};
Result<PgSettings> ReadPgSettings(const std::string& conninfo);

// The CPU time (user + system) a PostgreSQL on this machine has used: its
// postmaster's, its reaped children's (backends that ended), and its live
// children's, from /proc. Ticks of 10 ms; each reading waits 50 ms or more
// for backends that are exiting to be counted.
class PgCpuMeter {
 public:
  // Finds the postmaster through a backend's parent; nullopt when the server
  // is not on this machine or /proc does not show it.
  static std::optional<PgCpuMeter> Find(const std::string& conninfo);
  double Seconds() const;

 private:
  explicit PgCpuMeter(int postmaster) : postmaster_(postmaster) {}
  int postmaster_;
};

// DROP SCHEMA IF EXISTS ... CASCADE.
Status DropSchema(const std::string& conninfo, const std::string& schema);
// SELECT count(*) FROM schema.table.
Result<uint64_t> CountRows(const std::string& conninfo, const std::string& schema,
                           const std::string& table);

}  // namespace ledger::bench
