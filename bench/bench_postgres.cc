#include "bench_postgres.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "pg.h"  // projections/src: Guarded

namespace ledger::bench {
namespace {

// Runs a shell command; its stdout, or an error naming the command.
Result<std::string> Run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Status::IoError("cannot run " + command);
  std::string out;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, read);
  int status = pclose(pipe);
  if (status != 0)
    return Status::Internal(command + " failed (status " + std::to_string(status) + ")");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// /proc/PID/stat after the command name: state is field 3, ppid 4,
// utime 14, stime 15, cutime 16, cstime 17 (1-based, as proc(5) counts).
struct ProcStat {
  std::string command;
  char state = '?';
  int ppid = 0;
  double own_seconds = 0;       // utime + stime
  double children_seconds = 0;  // cutime + cstime
};

std::optional<ProcStat> ReadStat(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  size_t open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  if (values.size() < 15) return std::nullopt;
  auto ticks = [&](int field) { return std::stod(values[field - 3]) / sysconf(_SC_CLK_TCK); };
  ProcStat stat;
  stat.command = text.substr(open + 1, close - open - 1);
  stat.state = values[0].empty() ? '?' : values[0][0];
  stat.ppid = std::stoi(values[4 - 3]);
  stat.own_seconds = ticks(14) + ticks(15);
  stat.children_seconds = ticks(16) + ticks(17);
  return stat;
}

}  // namespace

std::optional<PgCpuMeter> PgCpuMeter::Find(const std::string& conninfo) {
  int backend = 0;
  Status status = projections::Guarded("finding PostgreSQL's pid", [&] {
    pqxx::connection connection(conninfo);
    pqxx::nontransaction tx(connection);
    backend = tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();
  });
  if (!status.ok()) return std::nullopt;
  std::optional<ProcStat> stat = ReadStat(backend);
  if (!stat || stat->command != "postgres") return std::nullopt;
  std::optional<ProcStat> parent = ReadStat(stat->ppid);
  if (!parent || parent->command != "postgres") return std::nullopt;
  return PgCpuMeter(stat->ppid);
}

double PgCpuMeter::Seconds() const {
  // A backend whose client just left shows no CPU time while it exits and
  // until the postmaster reaps it (then it moves to cutime): give it time.
  constexpr auto kExitWait = std::chrono::milliseconds(50);
  constexpr int kReapPollsMax = 50;
  std::this_thread::sleep_for(kExitWait);
  double seconds = 0;
  for (int poll = 0; poll < kReapPollsMax; ++poll) {
    std::optional<ProcStat> postmaster = ReadStat(postmaster_);
    if (!postmaster) return 0;
    seconds = postmaster->own_seconds + postmaster->children_seconds;
    bool zombies = false;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
      const std::string name = entry.path().filename();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::optional<ProcStat> child = ReadStat(std::stoi(name));
      if (!child || child->ppid != postmaster_) continue;
      seconds += child->own_seconds;
      zombies = zombies || child->state == 'Z';
    }
    if (!zombies) break;
    std::this_thread::sleep_for(kExitWait / 5);
  }
  return seconds;
}

Result<std::unique_ptr<PrivatePostgres>> PrivatePostgres::Start(const std::string& pg_script) {
  // Its own directory straight under /tmp: pg.sh hands it to the postgres
  // user, who must be able to reach it.
  char pattern[] = "/tmp/projection-bench-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return Status::IoError("mkdtemp failed");
  std::unique_ptr<PrivatePostgres> server(new PrivatePostgres(pg_script, pattern));
  Result<std::string> conninfo = Run("'" + pg_script + "' start '" + server->directory_ + "'");
  if (!conninfo.ok()) return conninfo.status();
  server->conninfo_ = *conninfo;
  server->running_ = true;
  return server;
}

PrivatePostgres::~PrivatePostgres() { Stop(); }

void PrivatePostgres::Stop() {
  if (running_) {
    (void)Run("'" + script_ + "' stop '" + directory_ + "' 2>/dev/null");
    running_ = false;
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

Result<PgSettings> ReadPgSettings(const std::string& conninfo) {
  PgSettings settings;
  Status status = projections::Guarded("reading PostgreSQL's settings", [&] {
    pqxx::connection connection(conninfo);
    pqxx::nontransaction tx(connection);
    auto show = [&](const char* name) {
      return tx.exec(std::string("SHOW ") + name)[0][0].c_str();
    };
    settings.version = show("server_version");
    settings.fsync = show("fsync");
    settings.synchronous_commit = show("synchronous_commit");
    settings.shared_buffers = show("shared_buffers");
    settings.max_wal_size = show("max_wal_size");
  });
  if (!status.ok()) return status;
  return settings;
}

Status DropSchema(const std::string& conninfo, const std::string& schema) {
  return projections::Guarded("dropping schema " + schema, [&] {
    pqxx::connection connection(conninfo);
    pqxx::work tx(connection);
    tx.exec("SET LOCAL client_min_messages TO warning");
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
    tx.commit();
  });
}

Result<uint64_t> CountRows(const std::string& conninfo, const std::string& schema,
                           const std::string& table) {
  uint64_t count = 0;
  Status status = projections::Guarded("counting " + schema + "." + table, [&] {
    pqxx::connection connection(conninfo);
    pqxx::nontransaction tx(connection);
    count =
        tx.exec("SELECT count(*) FROM " + tx.quote_name(schema) + "." + tx.quote_name(table))[0][0]
            .as<uint64_t>();
  });
  if (!status.ok()) return status;
  return count;
}

}  // namespace ledger::bench
