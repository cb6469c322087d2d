// The private-PostgreSQL harness (pg_server.h) against a real PostgreSQL 15.
#include "pg_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <string>
#include <thread>

namespace ledger::testing {
namespace {

std::string QueryOne(pqxx::connection& connection, const std::string& sql) {
  pqxx::nontransaction transaction(connection);
  return transaction.exec1(sql)[0].as<std::string>();
}

std::unique_ptr<PgServer> StartOrDie() {
  Result<std::unique_ptr<PgServer>> server = PgServer::Start();
  if (!server.ok()) throw std::runtime_error(server.status().ToString());
  return std::move(server).value();
}

// 0 when a TCP connect to address:port succeeds, else the errno.
int ConnectError(int family, const char* address, uint16_t port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (family == AF_INET) {
    auto* ipv4 = reinterpret_cast<sockaddr_in*>(&storage);
    ipv4->sin_family = AF_INET;
    ipv4->sin_port = htons(port);
    inet_pton(AF_INET, address, &ipv4->sin_addr);
    length = sizeof *ipv4;
  } else {
    auto* ipv6 = reinterpret_cast<sockaddr_in6*>(&storage);
    ipv6->sin6_family = AF_INET6;
    ipv6->sin6_port = htons(port);
    inet_pton(AF_INET6, address, &ipv6->sin6_addr);
    length = sizeof *ipv6;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int error = connect(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0 ? 0 : errno;
  close(fd);
  return error;
}

TEST(PgServer, ServesPostgres15) {
  pqxx::connection connection(FreshDatabase());
  EXPECT_NE(QueryOne(connection, "SELECT version()").find("PostgreSQL 15"), std::string::npos);
  EXPECT_EQ(QueryOne(connection, "SHOW server_encoding"), "UTF8");
}

TEST(PgServer, FreshDatabasesAreSeparate) {
  std::string first_conninfo = FreshDatabase();
  std::string second_conninfo = FreshDatabase();
  ASSERT_NE(first_conninfo, second_conninfo);
  pqxx::connection first(first_conninfo);
  pqxx::connection second(second_conninfo);
  EXPECT_NE(QueryOne(first, "SELECT current_database()"),
            QueryOne(second, "SELECT current_database()"));
  // Named after the test, plus a counter shared by the whole binary.
  EXPECT_EQ(
      QueryOne(first, "SELECT current_database()").rfind("pgserver_freshdatabasesareseparate_", 0),
      0u);

  pqxx::nontransaction(first).exec0("CREATE TABLE only_here (id int)");
  EXPECT_EQ(QueryOne(first, "SELECT to_regclass('only_here') IS NOT NULL"), "t");
  EXPECT_EQ(QueryOne(second, "SELECT to_regclass('only_here') IS NULL"), "t");
}

TEST(PgServer, CreateDatabaseRefusesAnExistingName) {
  PgServer& server = SharedPgServer();
  ASSERT_TRUE(server.CreateDatabase("twice").ok());
  Result<std::string> again = server.CreateDatabase("twice");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
  EXPECT_EQ(server.CreateDatabase(std::string(64, 'x')).status().code(), Code::kInvalidArgument);
}

TEST(PgServer, CreateDatabaseQuotesOddNames) {
  Result<std::string> conninfo = SharedPgServer().CreateDatabase("Odd name 'with' \"quotes\"");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
  pqxx::connection connection(*conninfo);
  EXPECT_EQ(QueryOne(connection, "SELECT current_database()"), "Odd name 'with' \"quotes\"");
}

TEST(PgServer, DataSurvivesStopAndStartAgain) {
  std::unique_ptr<PgServer> server = StartOrDie();
  {
    pqxx::connection connection(server->conninfo());
    pqxx::work transaction(connection);
    transaction.exec0("CREATE TABLE kept (value text)");
    transaction.exec0("INSERT INTO kept VALUES ('before the stop')");
    transaction.commit();
  }
  uint16_t port = server->port();
  ASSERT_TRUE(server->Stop().ok());
  EXPECT_FALSE(server->Running());
  EXPECT_THROW(pqxx::connection(server->conninfo()), pqxx::broken_connection);
  ASSERT_TRUE(server->Stop().ok()) << "a second Stop is a no-op";

  Status started = server->StartAgain();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(server->port(), port);
  pqxx::connection connection(server->conninfo());
  EXPECT_EQ(QueryOne(connection, "SELECT value FROM kept"), "before the stop");
}

TEST(PgServer, RestartBreaksConnectionsAndKeepsData) {
  std::unique_ptr<PgServer> server = StartOrDie();
  pqxx::connection held(server->conninfo());
  pqxx::nontransaction(held).exec0("CREATE TABLE kept (id int)");
  Status restarted = server->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_THROW(QueryOne(held, "SELECT 1"), pqxx::broken_connection);
  pqxx::connection fresh(server->conninfo());
  EXPECT_EQ(QueryOne(fresh, "SELECT count(*) FROM kept"), "0");
}

TEST(PgServer, StartAgainAfterThePostmasterWasKilled) {
  std::unique_ptr<PgServer> server = StartOrDie();
  std::string pid_line;
  {
    std::ifstream pid_file(server->directory() + "/data/postmaster.pid");
    std::getline(pid_file, pid_line);
  }
  ASSERT_EQ(kill(std::stoi(pid_line), SIGKILL), 0);
  for (int i = 0; i < 100 && server->Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(server->Running());
  Status started = server->StartAgain();
  ASSERT_TRUE(started.ok()) << started.ToString();
  pqxx::connection again(server->conninfo());
  EXPECT_EQ(QueryOne(again, "SELECT 1"), "1");
}

TEST(PgServer, KillConnectionsBreaksAHeldConnection) {
  pqxx::connection held(FreshDatabase());
  ASSERT_EQ(QueryOne(held, "SELECT 1"), "1");
  Status killed = SharedPgServer().KillConnections(held.dbname());
  ASSERT_TRUE(killed.ok()) << killed.ToString();
  EXPECT_THROW(QueryOne(held, "SELECT 1"), pqxx::broken_connection);

  pqxx::connection fresh(SharedPgServer().conninfo(held.dbname()));
  EXPECT_EQ(QueryOne(fresh, "SELECT 1"), "1");
}

TEST(PgServer, KillConnectionsLeavesOtherDatabasesAlone) {
  pqxx::connection target(FreshDatabase());
  pqxx::connection bystander(FreshDatabase());
  ASSERT_TRUE(SharedPgServer().KillConnections(target.dbname()).ok());
  EXPECT_EQ(QueryOne(bystander, "SELECT 1"), "1");
}

TEST(PgServer, ListensOnLoopbackOnly) {
  PgServer& server = SharedPgServer();
  pqxx::connection connection(server.conninfo());
  EXPECT_EQ(QueryOne(connection, "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(QueryOne(connection, "SELECT host(inet_server_addr())"), "127.0.0.1");
  EXPECT_EQ(ConnectError(AF_INET, "127.0.0.1", server.port()), 0);
  // Bound to 127.0.0.1 itself, not to every address: the rest of 127/8 and
  // IPv6 loopback refuse.
  EXPECT_EQ(ConnectError(AF_INET, "127.0.0.2", server.port()), ECONNREFUSED);
  int ipv6 = ConnectError(AF_INET6, "::1", server.port());
  EXPECT_TRUE(ipv6 == ECONNREFUSED || ipv6 == EADDRNOTAVAIL || ipv6 == EAFNOSUPPORT) << ipv6;
}

TEST(PgServer, DestructorStopsTheServerAndRemovesItsDirectory) {
  auto begin = std::chrono::steady_clock::now();
  std::unique_ptr<PgServer> server = StartOrDie();
  auto started = std::chrono::steady_clock::now();
  std::string directory = server->directory();
  uint16_t port = server->port();
  ASSERT_TRUE(std::filesystem::exists(directory + "/data/PG_VERSION"));
  server.reset();
  auto destroyed = std::chrono::steady_clock::now();
  std::cout << "start " << std::chrono::duration<double>(started - begin).count()
            << " s, stop and remove " << std::chrono::duration<double>(destroyed - started).count()
            << " s\n";
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_EQ(ConnectError(AF_INET, "127.0.0.1", port), ECONNREFUSED);
}

// The watchdog: a process that dies by SIGKILL, with no destructor run,
// still leaves no server and no directory behind.
TEST(PgServer, WatchdogCleansUpAfterAKilledProcess) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    Result<std::unique_ptr<PgServer>> server = PgServer::Start();
    std::string report =
        server.ok() ? std::to_string((*server)->port()) + " " + (*server)->directory() : "";
    (void)!write(fds[1], report.data(), report.size());
    close(fds[1]);
    pause();
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, n);
  close(fds[0]);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_FALSE(report.empty()) << "the child could not start PostgreSQL";
  uint16_t port = static_cast<uint16_t>(std::stoi(report));
  std::string directory = report.substr(report.find(' ') + 1);

  for (int i = 0; i < 200 && std::filesystem::exists(directory); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_EQ(ConnectError(AF_INET, "127.0.0.1", port), ECONNREFUSED);
}

}  // namespace
}  // namespace ledger::testing
