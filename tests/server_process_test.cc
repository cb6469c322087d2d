// The ledgerd binary under load, stopped by SIGTERM (orderly: every accepted
// append acknowledged, exit 0) and by SIGKILL (abrupt): in both cases every
// acknowledged event is in the log afterwards, at the position acknowledged.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "ledger/server/tokens.h"
#include "ledger/wire/messages.h"
#include "raw_connection.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

using namespace std::chrono_literals;

class LedgerdProcess {
 public:
  explicit LedgerdProcess(const std::string& db) : db_(db), port_file_(db + ".port") {}
  ~LedgerdProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  bool Start() {
    std::remove(port_file_.c_str());
    pid_ = fork();
    if (pid_ == 0) {
      execl(LEDGERD_BINARY, LEDGERD_BINARY, "--db", db_.c_str(), "--listen", "127.0.0.1:0",
            "--port-file", port_file_.c_str(), "--log-level", "warn", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      std::ifstream in(port_file_);
      if (in >> port_) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // Sends `signal` and returns the exit status (-signal if killed by one).
  int Stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  uint16_t port() const { return port_; }

 private:
  std::string db_, port_file_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct Acknowledged {
  Uuid org;
  uint64_t org_seq;
  std::string team;
};

// One client: creates its org, then appends batches of teams with up to
// eight requests in flight until the connection ends. Records each
// acknowledged event; `saw_shutdown` when the server said shutting_down.
void Load(uint16_t port, const std::string& token, std::mutex* mutex,
          std::vector<Acknowledged>* acknowledged, std::atomic<int>* shutdowns,
          std::atomic<int>* started) {
  RawConnection connection(port);
  if (!connection.Hello(token)) return;
  Uuid org = Uuid::Random();
  if (!connection.AppendAndWait(1, Commands({OrgEvent(org)}))) return;
  ++*started;
  std::map<uint64_t, std::vector<std::string>> in_flight;
  uint64_t next_id = 2;
  for (;;) {
    while (in_flight.size() < 8) {
      std::vector<std::string> names, events;
      for (int i = 0; i < 10; ++i) {
        names.push_back("team-" + std::to_string(next_id) + "-" + std::to_string(i));
        events.push_back(TeamEvent(org, names.back()));
      }
      if (!connection.Send(wire::EncodeAppend(next_id, Commands(events)))) return;
      in_flight[next_id++] = names;
    }
    std::optional<std::string> reply = connection.Next(20s);
    if (!reply) return;
    const wire::Message& message = AsMessage(*reply);
    if (const wire::Error* error = message.body_as_Error()) {
      if (error->code() == static_cast<uint16_t>(wire::WireCode::kShuttingDown)) ++*shutdowns;
      if (message.request_id() == 0) return;
      continue;
    }
    const wire::AppendResult* result = message.body_as_AppendResult();
    if (!result) continue;
    std::vector<std::string>& names = in_flight[message.request_id()];
    std::lock_guard lock(*mutex);
    for (uint32_t i = 0; i < result->results()->size(); ++i) {
      const wire::CommandResultMsg* command = result->results()->Get(i);
      if (command->code() == 0) acknowledged->push_back({org, command->first_seq(), names[i]});
    }
    in_flight.erase(message.request_id());
  }
}

class LedgerdProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tokens = server::TokenStore::Open(server::TokenStorePath(db_));
    ASSERT_TRUE(tokens.ok());
    server::TokenSpec admin;
    admin.admin = true;
    Result<std::string> token = (*tokens)->Create(admin);
    ASSERT_TRUE(token.ok());
    token_ = *token;
  }

  // Runs four loaded clients, stops the server with `signal` once at least
  // `min_events` were acknowledged, and returns ledgerd's exit status.
  int RunAndStop(int signal, size_t min_events) {
    LedgerdProcess ledgerd(db_);
    EXPECT_TRUE(ledgerd.Start());
    std::vector<std::thread> clients;
    std::atomic<int> started{0};
    for (int i = 0; i < 4; ++i) {
      clients.emplace_back(Load, ledgerd.port(), token_, &mutex_, &acknowledged_, &shutdowns_,
                           &started);
    }
    for (int i = 0; i < 600; ++i) {
      std::this_thread::sleep_for(10ms);
      std::lock_guard lock(mutex_);
      if (acknowledged_.size() >= min_events) break;
    }
    int status = ledgerd.Stop(signal);
    for (std::thread& client : clients) client.join();
    EXPECT_EQ(started.load(), 4);
    return status;
  }

  // Every acknowledged event is stored at its acknowledged position.
  void ExpectAllAcknowledgedStored() {
    ASSERT_GT(acknowledged_.size(), 0u);
    LogOptions options;
    options.path = db_;
    options.master_key_path = db_ + ".master-key";
    std::unique_ptr<EventLog> log = OpenOrDie(options);
    for (const Acknowledged& ack : acknowledged_) {
      Result<StoredEvent> stored = log->Get(ack.org, ack.org_seq);
      ASSERT_TRUE(stored.ok()) << "acknowledged event lost: " << ack.team;
      ASSERT_EQ(TeamName(*stored), ack.team);
    }
    Result<std::vector<Uuid>> orgs = log->Orgs();
    ASSERT_TRUE(orgs.ok());
    for (const Uuid& org : *orgs) ASSERT_TRUE(log->VerifyOrg(org).ok());
  }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  std::string token_;
  std::mutex mutex_;
  std::vector<Acknowledged> acknowledged_;
  std::atomic<int> shutdowns_{0};
};

TEST_F(LedgerdProcessTest, SigtermUnderLoadAcknowledgesAcceptedAppendsAndExitsCleanly) {
  EXPECT_EQ(RunAndStop(SIGTERM, 2000), 0);
  // Every client was told the server is stopping, after its last reply.
  EXPECT_EQ(shutdowns_.load(), 4);
  ExpectAllAcknowledgedStored();
}

TEST_F(LedgerdProcessTest, SigkillUnderLoadLosesNoAcknowledgedEvent) {
  EXPECT_EQ(RunAndStop(SIGKILL, 2000), -SIGKILL);
  ExpectAllAcknowledgedStored();
  // And the server comes back on the same log and continues it.
  size_t before = acknowledged_.size();
  EXPECT_EQ(RunAndStop(SIGKILL, before + 500), -SIGKILL);
  ExpectAllAcknowledgedStored();
}

}  // namespace
}  // namespace ledger::testing
