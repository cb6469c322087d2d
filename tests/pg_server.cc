#include "pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace ledger::testing {
namespace {

// Limits, with the reason for each value.
constexpr int kStartAttemptsMax = 5;               // another process may take a free port before us
constexpr int kPgCtlTimeoutSeconds = 60;           // pg_ctl -t: a loaded 2-core machine
constexpr int kTerminateTimeoutMs = 10000;         // pg_terminate_backend waits this long
constexpr int kConnectTimeoutSeconds = 10;         // libpq connections made by the harness
constexpr std::size_t kLogTailBytes = 2000;        // enough for the FATAL lines that say why
constexpr std::size_t kDatabaseNameBytesMax = 63;  // NAMEDATALEN - 1
constexpr std::size_t kSocketPathBytesMax = 100;   // sun_path is 108, minus "/.s.PGSQL.NNNNN"
constexpr const char* kDefaultBinDirectory = "/usr/lib/postgresql/15/bin";
constexpr const char* kRunuser = "/usr/sbin/runuser";

bool IsRoot() { return geteuid() == 0; }

// Runs as the postgres user when we are root (PostgreSQL refuses root).
std::vector<std::string> AsPostgres(std::vector<std::string> argv) {
  if (!IsRoot()) return argv;
  std::vector<std::string> prefixed = {kRunuser, "-u", "postgres", "--"};
  prefixed.insert(prefixed.end(), argv.begin(), argv.end());
  return prefixed;
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string joined;
  for (const std::string& arg : argv) joined += (joined.empty() ? "" : " ") + arg;
  return joined;
}

// POSIX shell quoting: pg_ctl -o passes its string through /bin/sh.
std::string ShellQuoted(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A libpq conninfo value: bare when safe, else single-quoted.
std::string ConninfoValue(std::string_view value) {
  bool bare = !value.empty();
  for (char c : value) bare = bare && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (bare) return std::string(value);
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string FileTail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no " + path + ")";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - std::streamoff(kLogTailBytes));
  in.seekg(start);
  std::string tail(static_cast<std::size_t>(size - start), '\0');
  in.read(tail.data(), std::streamsize(tail.size()));
  return tail;
}

// Spawns argv with stdin from `stdin_fd` (or /dev/null), stdout and stderr
// appended to `log_path` (or /dev/null), in `cwd`, with no other inherited
// descriptors and default signal handling.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::string& cwd, int stdin_fd = -1) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&attributes, &signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> arguments;
  for (const std::string& arg : argv) arguments.push_back(const_cast<char*>(arg.c_str()));
  arguments.push_back(nullptr);
  pid_t pid = -1;
  int error = posix_spawn(&pid, arguments[0], &actions, &attributes, arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) return Status::IoError("cannot run " + argv[0] + ": " + std::strerror(error));
  return pid;
}

// The exit code, or 128 + the signal number as a shell reports it.
Result<int> Wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IoError("waitpid: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result<int> RunForExitCode(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::string& cwd) {
  Result<pid_t> pid = Spawn(argv, log_path, cwd);
  if (!pid.ok()) return pid.status();
  return Wait(*pid);
}

Status Run(const std::vector<std::string>& argv, const std::string& log_path,
           const std::string& cwd) {
  Result<int> code = RunForExitCode(argv, log_path, cwd);
  if (!code.ok()) return code.status();
  if (*code == 0) return Status::Ok();
  return Status::Internal("`" + Joined(argv) + "` exited with " + std::to_string(*code));
}

Result<std::string> FindBinDirectory() {
  if (std::filesystem::exists(std::string(kDefaultBinDirectory) + "/pg_ctl")) {
    return std::string(kDefaultBinDirectory);
  }
  std::string found;
  if (FILE* pipe = popen("pg_config --bindir 2>/dev/null", "r")) {
    char line[4096];
    if (std::fgets(line, sizeof line, pipe) != nullptr) found = line;
    pclose(pipe);
  }
  while (!found.empty() && std::isspace(static_cast<unsigned char>(found.back()))) {
    found.pop_back();
  }
  if (found.empty() || !std::filesystem::exists(found + "/pg_ctl")) {
    return Status::FailedPrecondition(
        "PostgreSQL server binaries not found in " + std::string(kDefaultBinDirectory) +
        " nor via pg_config --bindir: install postgresql-15 (tools/setup.sh)");
  }
  return found;
}

// The base for the temporary directory. As root the postgres user must be
// able to reach it (root's TMPDIR may sit under /root, mode 0700), and the
// Unix socket path inside it must stay short.
std::string TemporaryBase() {
  std::string base = std::filesystem::temp_directory_path().string();
  if (IsRoot() || base.size() + 30 > kSocketPathBytesMax) return "/tmp";
  return base;
}

Result<std::string> MakeDirectory() {
  std::string pattern = TemporaryBase() + "/ledger-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::IoError("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  if (!IsRoot()) return pattern;
  passwd entry;
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    std::filesystem::remove(pattern);
    return Status::FailedPrecondition("running as root but there is no postgres user");
  }
  if (chown(pattern.c_str(), entry.pw_uid, entry.pw_gid) != 0) {
    std::filesystem::remove(pattern);
    return Status::IoError("chown " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

// A port nothing listens on right now: the kernel picks it for a socket
// bound to 127.0.0.1:0, which is then closed for PostgreSQL to take.
Result<uint16_t> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket: " + std::string(std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  int error = errno;
  close(fd);
  if (!ok) return Status::IoError("bind 127.0.0.1:0: " + std::string(std::strerror(error)));
  return ntohs(address.sin_port);
}

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using QueryResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Runs one statement with text parameters; returns the first column of the
// first row ("" when there is none).
Result<std::string> QueryValue(const std::string& conninfo, const std::string& sql,
                               const std::vector<std::string>& parameters = {}) {
  std::string full = conninfo + " connect_timeout=" + std::to_string(kConnectTimeoutSeconds);
  Connection connection(PQconnectdb(full.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return Status::Unavailable("connect " + conninfo + ": " + PQerrorMessage(connection.get()));
  }
  std::vector<const char*> values;
  for (const std::string& parameter : parameters) values.push_back(parameter.c_str());
  QueryResult result(PQexecParams(connection.get(), sql.c_str(), int(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0),
                     &PQclear);
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Status::Internal(sql + ": " + PQresultErrorMessage(result.get()));
  }
  if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0) return std::string();
  return std::string(PQgetvalue(result.get(), 0, 0));
}

}  // namespace

PgServer::PgServer(std::string bin_directory, std::string directory)
    : bin_directory_(std::move(bin_directory)),
      directory_(std::move(directory)),
      owner_pid_(getpid()) {}

Result<std::unique_ptr<PgServer>> PgServer::Start() {
  Result<std::string> bin_directory = FindBinDirectory();
  if (!bin_directory.ok()) return bin_directory.status();
  Result<std::string> directory = MakeDirectory();
  if (!directory.ok()) return directory.status();
  // From here the destructor (or the watchdog) removes the directory.
  std::unique_ptr<PgServer> server(new PgServer(*bin_directory, *directory));
  LEDGER_RETURN_IF_ERROR(server->SpawnWatchdog());
  LEDGER_RETURN_IF_ERROR(server->InitDb());
  Status started;
  for (int attempt = 1; attempt <= kStartAttemptsMax; ++attempt) {
    Result<uint16_t> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    started = server->StartOnPort();
    if (started.ok()) return server;
  }
  return started.WithContext("PostgreSQL did not start after " + std::to_string(kStartAttemptsMax) +
                             " ports");
}

PgServer::~PgServer() {
  if (getpid() == owner_pid_) {
    if (!Stop(PgStopMode::kFast).ok()) (void)Stop(PgStopMode::kImmediate);
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  // The watchdog wakes up on end of file, finds nothing left and exits.
  if (watchdog_fd_ >= 0) close(watchdog_fd_);
  if (watchdog_pid_ > 0 && getpid() == owner_pid_) {
    while (waitpid(watchdog_pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

// A shell that waits for end of file on its stdin, which comes when every
// copy of watchdog_fd_ is closed: by the destructor or by the kernel when
// this process dies. It then stops whatever server is left and removes the
// directory. It ignores the signals a terminal or a test runner sends to
// the whole process group, so it outlives this process to do its job.
Status PgServer::SpawnWatchdog() {
  static constexpr const char* kScript =
      "trap '' HUP INT QUIT TERM PIPE\n"
      "read -r _\n"
      "dir=$1; pg_ctl=$2; shift 2\n"
      "if [ -f \"$dir/data/postmaster.pid\" ]; then\n"
      "  \"$@\" \"$pg_ctl\" -D \"$dir/data\" -m immediate -w stop\n"
      "fi\n"
      "rm -rf \"$dir\"\n";
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IoError("pipe: " + std::string(strerror(errno)));
  std::vector<std::string> argv = {
      "/bin/sh", "-c", kScript, "ledger-pg-watchdog", directory_, bin_directory_ + "/pg_ctl"};
  if (IsRoot()) argv.insert(argv.end(), {kRunuser, "-u", "postgres", "--"});
  Result<pid_t> pid = Spawn(argv, "/dev/null", "/", fds[0]);
  close(fds[0]);
  if (!pid.ok()) {
    close(fds[1]);
    return pid.status();
  }
  watchdog_pid_ = *pid;
  watchdog_fd_ = fds[1];
  return Status::Ok();
}

Status PgServer::InitDb() {
  // C.UTF-8 always exists on Debian and does not depend on the caller's LANG.
  std::vector<std::string> argv =
      AsPostgres({bin_directory_ + "/initdb", "-D", DataDirectory(), "--auth=trust", "--no-sync",
                  "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"});
  Status status = Run(argv, CommandLog(), directory_);
  return status.ok() ? status : WithLogs(status, "initdb failed");
}

Status PgServer::StartOnPort() {
  // -c settings trade durability for speed: a test cluster is thrown away.
  std::string options = "-k " + ShellQuoted(directory_) + " -p " + std::to_string(port_) +
                        " -c listen_addresses=127.0.0.1 -c fsync=off"
                        " -c full_page_writes=off -c synchronous_commit=off";
  std::vector<std::string> argv =
      AsPostgres({bin_directory_ + "/pg_ctl", "-D", DataDirectory(), "-l", ServerLog(), "-w", "-t",
                  std::to_string(kPgCtlTimeoutSeconds), "-o", options, "start"});
  Status status = Run(argv, CommandLog(), directory_);
  if (status.ok()) return status;
  // pg_ctl gives up on waiting without stopping a server that is still
  // coming up; stop it so the next attempt starts clean.
  (void)Stop(PgStopMode::kImmediate);
  return WithLogs(status, "starting PostgreSQL on 127.0.0.1:" + std::to_string(port_) + " failed");
}

Status PgServer::WithLogs(const Status& status, const std::string& what) const {
  std::string message = what + ": " + status.message() + LogTails();
  return status.code() == Code::kIoError ? Status::IoError(message) : Status::Internal(message);
}

std::string PgServer::LogTails() const {
  return "\n--- end of " + CommandLog() + " ---\n" + FileTail(CommandLog()) + "\n--- end of " +
         ServerLog() + " ---\n" + FileTail(ServerLog());
}

std::string PgServer::conninfo(std::string_view dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=postgres dbname=" + ConninfoValue(dbname);
}

bool PgServer::Running() const {
  if (!std::filesystem::exists(DataDirectory() + "/postmaster.pid")) return false;
  // pg_ctl status: 0 when a live postmaster owns the pid file, 3 when not.
  Result<int> code =
      RunForExitCode(AsPostgres({bin_directory_ + "/pg_ctl", "-D", DataDirectory(), "status"}),
                     "/dev/null", directory_);
  return code.ok() && *code == 0;
}

Status PgServer::Stop(PgStopMode mode) {
  if (!Running()) return Status::Ok();
  std::vector<std::string> argv =
      AsPostgres({bin_directory_ + "/pg_ctl", "-D", DataDirectory(), "-m",
                  mode == PgStopMode::kFast ? "fast" : "immediate", "-w", "-t",
                  std::to_string(kPgCtlTimeoutSeconds), "stop"});
  Status status = Run(argv, CommandLog(), directory_);
  return status.ok() ? status : WithLogs(status, "stopping PostgreSQL failed");
}

Status PgServer::StartAgain() { return Running() ? Status::Ok() : StartOnPort(); }

Status PgServer::Restart(PgStopMode mode) {
  LEDGER_RETURN_IF_ERROR(Stop(mode));
  return StartAgain();
}

Status PgServer::KillConnections(std::string_view dbname) {
  Result<std::string> survivors =
      QueryValue(conninfo(),
                 "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, " +
                     std::to_string(kTerminateTimeoutMs) +
                     ") AS gone FROM pg_stat_activity WHERE datname = $1"
                     " AND backend_type = 'client backend' AND pid <> pg_backend_pid()) AS killed"
                     " WHERE NOT gone",
                 {std::string(dbname)});
  if (!survivors.ok()) return survivors.status();
  if (*survivors != "0") {
    return Status::Internal(*survivors + " backends of " + std::string(dbname) +
                            " did not exit in time");
  }
  return Status::Ok();
}

Result<std::string> PgServer::CreateDatabase(std::string_view name) {
  if (name.empty() || name.size() > kDatabaseNameBytesMax ||
      name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("database name must be 1 to 63 bytes: " + std::string(name));
  }
  std::string identifier = "\"";
  for (char c : name) identifier += (c == '"') ? std::string("\"\"") : std::string(1, c);
  identifier += '"';
  Result<std::string> created = QueryValue(conninfo(), "CREATE DATABASE " + identifier);
  if (!created.ok()) return created.status();
  return conninfo(name);
}

PgServer& SharedPgServer() {
  // A function-local static: started on first use, destroyed (server
  // stopped, directory removed) when the binary exits, pass or fail.
  static Result<std::unique_ptr<PgServer>> shared = PgServer::Start();
  if (!shared.ok()) {
    throw std::runtime_error("cannot start the shared PostgreSQL: " + shared.status().ToString());
  }
  return **shared;
}

std::string FreshDatabase() {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string base =
      test == nullptr ? "db" : std::string(test->test_suite_name()) + "_" + test->name();
  for (char& c : base) {
    unsigned char byte = static_cast<unsigned char>(c);
    c = std::isalnum(byte) ? char(std::tolower(byte)) : '_';
  }
  std::string suffix = "_" + std::to_string(++counter);
  base.resize(std::min(base.size(), kDatabaseNameBytesMax - suffix.size()));
  Result<std::string> created = SharedPgServer().CreateDatabase(base + suffix);
  if (!created.ok()) {
    throw std::runtime_error("cannot create a database: " + created.status().ToString());
  }
  return *created;
}

}  // namespace ledger::testing
