// Hostile clients (issue 7): a client that pipelines requests and never reads
// the replies must not grow the server's memory. The server stops reading
// its socket once the unsent replies pass max_outbound_bytes, so TCP pushes
// back on the client. (Idle and trickling connections, oversized frames and
// connection floods are in server_test.cc and server_bad_input_test.cc.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <fstream>

#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

// This process's resident set, in bytes (the server runs in-process).
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

class HostileClientTest : public ServerFixture {};

TEST_F(HostileClientTest, AClientThatNeverReadsItsRepliesIsStoppedByBackPressure) {
  server::ServerLimits limits;
  limits.max_outbound_bytes = 64 << 10;
  StartServer(limits);
  auto writer = Connect();
  ASSERT_TRUE(writer->AppendAndWait(1, Commands({OrgEvent(org_)})));
  for (int i = 0; i < 8; ++i) {  // 400 events: each read below answers ~100 KiB
    std::vector<std::string> teams;
    for (int j = 0; j < 50; ++j) teams.push_back(TeamEvent(org_, std::to_string(i * 50 + j)));
    ASSERT_TRUE(writer->AppendAndWait(2 + i, Commands(teams)));
  }

  auto hostile = Connect();
  int fd = hostile->fd_for_test();
  ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  int64_t resident_before = ResidentBytes();
  // Were every request answered, 64 MiB of them would ask for ~60 GiB.
  constexpr size_t kGiveUpAfter = 64 << 20;
  size_t sent = 0;
  uint64_t next_id = 1;
  std::string pending;
  bool pushed_back = false;
  while (sent < kGiveUpAfter) {
    while (pending.size() < (64 << 10)) {
      pending += wire::EncodeReadOrg(next_id++, org_.ToString(), 1, 0);
    }
    ssize_t wrote = send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (wrote > 0) {
      sent += static_cast<size_t>(wrote);
      pending.erase(0, static_cast<size_t>(wrote));
      continue;
    }
    ASSERT_TRUE(wrote < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) << strerror(errno);
    pollfd writable{fd, POLLOUT, 0};
    if (poll(&writable, 1, 2000) == 0) {  // nothing drained for 2 s: the server stopped reading
      pushed_back = true;
      break;
    }
  }
  ASSERT_TRUE(pushed_back) << "the server read " << sent << " bytes of requests without pausing";
  // What it did read is bounded by the socket buffers, not by the requests.
  EXPECT_LT(sent, size_t{32} << 20);
  EXPECT_LT(ResidentBytes() - resident_before, int64_t{64} << 20);
  // Everyone else is served meanwhile.
  ExpectServing();
  auto reader = Connect();
  ASSERT_TRUE(reader->Send(wire::EncodeReadOrg(1, org_.ToString(), 1, 0)));
  std::optional<std::string> events = reader->Next();
  ASSERT_TRUE(events && AsMessage(*events).body_as_Events());
}

}  // namespace
}  // namespace ledger::testing
