// A private PostgreSQL 15 cluster for tests: its own temporary directory, its
// own free port on 127.0.0.1, trust authentication for user "postgres".
//
// PostgreSQL refuses to run as root, so when the test runs as root every
// initdb/pg_ctl runs through `runuser -u postgres --` and the directory is
// created under /tmp and handed to the postgres user.
//
// The server runs with fsync, full_page_writes and synchronous_commit off:
// fast, and nothing survives a machine crash, which a test does not need.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace ledger::testing {

enum class PgStopMode {
  kFast,  // pg_ctl -m fast: clients are disconnected, a clean shutdown
  // pg_ctl -m immediate: no shutdown checkpoint, like a crash. With
  // synchronous_commit off, commits from the last ~0.6 s may be lost.
  kImmediate,
};

// Owns one cluster: initdb, start, stop, and on destruction stop plus removal
// of the directory. A watchdog process does the same if the test process
// dies without running the destructor (a crash, SIGKILL), so no postgres is
// left behind.
//
// Not thread-safe: call from one thread (conninfo() and port() are constant
// and may be read from any thread).
class PgServer {
 public:
  // initdb then start on a free loopback port (a few ports are tried if
  // another process takes the chosen one first). About 1 s, mostly initdb
  // (0.8 s idle, up to 2.3 s on a loaded 2-core machine).
  static Result<std::unique_ptr<PgServer>> Start();

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // "host=127.0.0.1 port=N user=postgres dbname=NAME" (the name is quoted
  // for libpq when it needs to be).
  std::string conninfo(std::string_view dbname = "postgres") const;
  uint16_t port() const { return port_; }
  const std::string& directory() const { return directory_; }
  // A live postmaster owns the cluster (pg_ctl status). After a test kills
  // the postmaster itself, this stays true until its parent reaps it.
  bool Running() const;

  // OK when already stopped (or when the postmaster was killed).
  Status Stop(PgStopMode mode = PgStopMode::kFast);
  // Starts the same cluster on the same port again (data kept), also after
  // the postmaster was killed. OK when already running. Fails if another
  // process took the port meanwhile.
  Status StartAgain();
  // Stop then StartAgain.
  Status Restart(PgStopMode mode = PgStopMode::kFast);

  // Terminates every client backend connected to `dbname` (except the one
  // doing it) and waits until they have exited, so a connection held by the
  // test fails on its next use.
  Status KillConnections(std::string_view dbname);

  // CREATE DATABASE `name` (at most 63 bytes: PostgreSQL would cut a longer
  // name); returns its conninfo.
  Result<std::string> CreateDatabase(std::string_view name);

 private:
  PgServer(std::string bin_directory, std::string directory);

  Status SpawnWatchdog();
  Status InitDb();
  // pg_ctl start on port_, waiting until it accepts connections.
  Status StartOnPort();
  std::string DataDirectory() const { return directory_ + "/data"; }
  std::string ServerLog() const { return directory_ + "/server.log"; }
  std::string CommandLog() const { return directory_ + "/commands.log"; }
  // The ends of both logs, for error messages.
  std::string LogTails() const;
  // "what: the failure" followed by LogTails().
  Status WithLogs(const Status& status, const std::string& what) const;

  std::string bin_directory_;  // holds initdb, pg_ctl, postgres
  std::string directory_;      // data/, the logs, the Unix socket
  uint16_t port_ = 0;
  pid_t owner_pid_;  // a forked child must not stop its parent's server
  pid_t watchdog_pid_ = -1;
  int watchdog_fd_ = -1;  // write end of its stdin; closing it fires it
};

// One server per test binary, started on first use and stopped when the
// binary exits (also when tests fail). Throws std::runtime_error (a test
// failure in GoogleTest) if it cannot be started.
PgServer& SharedPgServer();

// Creates a new database on SharedPgServer(), named after the running test
// plus a counter ("mysuite_mytest_3"), and returns its conninfo. Throws
// std::runtime_error on failure.
std::string FreshDatabase();

}  // namespace ledger::testing
