// SIGKILLs a child that appends in a loop, many times, and checks after each
// restart that every acknowledged event is present, in order, and that every
// org's tree verifies.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "ledger/limits.h"
#include "test_util.h"

namespace ledger {
namespace {

using testing::OptionsIn;
using testing::TempDir;

struct Ack {
  uint64_t org_seq;
  std::string event_id;
};

// Runs the child until `run_ms` after its first output (the "open" line),
// kills it with SIGKILL, returns all it printed. Timing from the open keeps
// the kill inside the append loop however slow the start is (sanitizers).
std::string RunAndKill(const std::vector<std::string>& args, int run_ms) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_t child = fork();
  if (child == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[65536];
  constexpr auto kStartLimit = std::chrono::seconds(60);
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  bool started = false;
  bool killed = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!killed && left.count() <= 0) {
      kill(child, SIGKILL);
      killed = true;
    }
    pollfd wait_for{pipe_fds[0], POLLIN, 0};
    poll(&wait_for, 1, killed ? 1000 : static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (!(wait_for.revents & (POLLIN | POLLHUP))) continue;
    ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
    if (got <= 0) break;
    output.append(buffer, got);
    if (!started) {
      started = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child ended on its own: status " << status;
  return output;
}

// Adds complete "ack" lines; a line cut by the kill is ignored (it may be
// incomplete, and the check below only relies on complete acknowledgements).
void CollectAcks(const std::string& output, std::map<std::string, std::vector<Ack>>* acks) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // no trailing newline: cut by the kill
    std::istringstream fields(line);
    std::string word, org, event_id;
    uint64_t seq = 0;
    if (fields >> word >> org >> seq >> event_id && word == "ack") {
      (*acks)[org].push_back({seq, event_id});
    }
  }
}

TEST(CrashTest, EveryAcknowledgedEventSurvivesRepeatedSigkill) {
  constexpr int kKills = 25;
  TempDir dir;
  LogOptions options = OptionsIn(dir);
  std::vector<std::string> orgs = {Uuid::Random().ToString(), Uuid::Random().ToString(),
                                   Uuid::Random().ToString()};
  std::vector<std::string> args = {LEDGER_CRASH_CHILD, options.path, options.master_key_path};
  args.insert(args.end(), orgs.begin(), orgs.end());
  std::map<std::string, std::vector<Ack>> acks;
  std::mt19937 random(12345);
  for (int round = 0; round < kKills; ++round) {
    CollectAcks(RunAndKill(args, 40 + random() % 200), &acks);
    auto log = testing::OpenOrDie(options);
    for (const auto& [org_text, org_acks] : acks) {
      Uuid org = *Uuid::Parse(org_text);
      std::vector<StoredEvent> stored;
      ASSERT_TRUE(log->ReadOrg(org, 1, limits::kReadEventsMax, &stored).ok());
      // Events can be durable without an ack (killed between the fsync and
      // the print), so acks may skip sequences; each must be where it said.
      uint64_t previous = 0;
      for (const Ack& ack : org_acks) {
        ASSERT_GT(ack.org_seq, previous) << "acks out of order";
        previous = ack.org_seq;
        ASSERT_LE(ack.org_seq, stored.size()) << "round " << round << ": acked event lost";
        ASSERT_EQ(stored[ack.org_seq - 1].event()->envelope()->event_id()->str(), ack.event_id)
            << "round " << round << " org " << org_text << " seq " << ack.org_seq;
      }
      Status verified = log->VerifyOrg(org);
      ASSERT_TRUE(verified.ok()) << "round " << round << ": " << verified.ToString();
    }
  }
  size_t total = 0;
  for (const auto& [org, org_acks] : acks) total += org_acks.size();
  EXPECT_GT(total, 100u) << "the child barely appended: the test proved little";
  std::printf("%d kills, %zu acknowledged events checked\n", kKills, total);
}

}  // namespace
}  // namespace ledger
