// ledgerd over real sockets on loopback: acknowledgements, pipelining, many
// connections, every bad input, subscriptions, limits, restart and shutdown.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <thread>

#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

using namespace std::chrono_literals;

// The Error in a payload, or null. The pointer points into `payload`: keep
// the payload alive while using it.
const wire::Error* ErrorIn(const std::optional<std::string>& payload) {
  return payload ? AsMessage(*payload).body_as_Error() : nullptr;
}

std::vector<std::string> Teams(const Uuid& org, int count, const std::string& prefix) {
  std::vector<std::string> events;
  for (int i = 0; i < count; ++i) events.push_back(TeamEvent(org, prefix + std::to_string(i)));
  return events;
}

class ServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    StartServer();
  }
  // Creates org_ through the server.
  void CreateOrg(RawConnection& connection) {
    std::optional<std::string> reply = connection.AppendAndWait(1, Commands({OrgEvent(org_)}));
    ASSERT_TRUE(reply && AsMessage(*reply).body_as_AppendResult());
  }
};

TEST_F(ServerTest, AppendIsAcknowledgedWithPositionsAndReadBack) {
  auto connection = Connect();
  std::vector<std::string> events = Teams(org_, 2, "t");
  events.insert(events.begin(), OrgEvent(org_));
  std::optional<std::string> reply = connection->AppendAndWait(7, Commands(events));
  ASSERT_TRUE(reply);
  const wire::AppendResult* result = AsMessage(*reply).body_as_AppendResult();
  ASSERT_TRUE(result);
  ASSERT_EQ(result->results()->size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    const wire::CommandResultMsg* command = result->results()->Get(i);
    EXPECT_EQ(command->code(), 0) << command->message()->str();
    EXPECT_EQ(command->first_seq(), i + 1);
    EXPECT_EQ(command->positions()->Get(0)->org_seq(), i + 1);
  }
  // Acknowledged means stored: the log already has them.
  EXPECT_EQ(Stored(org_), 3u);

  ASSERT_TRUE(connection->Send(wire::EncodeReadOrg(8, org_.ToString(), 2, 0)));
  std::optional<std::string> read = connection->Next();
  ASSERT_TRUE(read);
  const wire::Events* stored = AsMessage(*read).body_as_Events();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->events()->size(), 2u);
  EXPECT_EQ(stored->events()->Get(0)->org_seq(), 2u);

  ASSERT_TRUE(connection->Send(wire::EncodeTreeHeadRequest(9, org_.ToString(), 0)));
  std::optional<std::string> head_reply = connection->Next();
  ASSERT_TRUE(head_reply && AsMessage(*head_reply).body_as_TreeHeadReply());
  Result<TreeHead> head = wire::ToTreeHead(*AsMessage(*head_reply).body_as_TreeHeadReply());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 3u);
  EXPECT_EQ(head->root, ledger_->log().Head(org_)->root);
}

TEST_F(ServerTest, PipelinedAppendsAreDecidedInOrderAndAllAcknowledged) {
  auto connection = Connect();
  CreateOrg(*connection);
  constexpr int kRequests = 200;
  std::string frames;
  for (int i = 0; i < kRequests; ++i) {
    frames += wire::EncodeAppend(100 + i, Commands({TeamEvent(org_, "p" + std::to_string(i))}));
  }
  ASSERT_TRUE(connection->Send(frames));  // all at once, no waiting
  std::map<uint64_t, uint64_t> seq_of_request;
  for (int i = 0; i < kRequests; ++i) {
    std::optional<std::string> reply = connection->Next();
    ASSERT_TRUE(reply);
    const wire::AppendResult* result = AsMessage(*reply).body_as_AppendResult();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->results()->Get(0)->code(), 0);
    seq_of_request[AsMessage(*reply).request_id()] = result->results()->Get(0)->first_seq();
  }
  ASSERT_EQ(seq_of_request.size(), size_t{kRequests});
  uint64_t expected = 2;
  for (const auto& [request, seq] : seq_of_request) EXPECT_EQ(seq, expected++) << request;
  EXPECT_EQ(Stored(org_), uint64_t{kRequests} + 1);
}

TEST_F(ServerTest, HundredConnectionsAppendConcurrently) {
  CreateOrg(*Connect());
  constexpr int kConnections = 100, kEach = 10;
  std::vector<std::thread> clients;
  std::atomic<int> acknowledged{0};
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      RawConnection connection(port());
      if (!connection.Hello(org_token_)) return;
      for (int i = 0; i < kEach; ++i) {
        std::string name = "c" + std::to_string(c) + "-" + std::to_string(i);
        std::optional<std::string> reply =
            connection.AppendAndWait(i + 1, Commands({TeamEvent(org_, name)}));
        if (reply && AsMessage(*reply).body_as_AppendResult() &&
            AsMessage(*reply).body_as_AppendResult()->results()->Get(0)->code() == 0) {
          ++acknowledged;
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(acknowledged.load(), kConnections * kEach);
  EXPECT_EQ(Stored(org_), uint64_t{kConnections * kEach} + 1);
}

TEST_F(ServerTest, RuleViolationIsRejectedWithItsRuleAndAppendsNothing) {
  auto connection = Connect();
  // A team for an org that was never created.
  std::optional<std::string> reply = connection->AppendAndWait(5, Commands(Teams(org_, 1, "x")));
  ASSERT_TRUE(reply);
  const wire::CommandResultMsg* result =
      AsMessage(*reply).body_as_AppendResult()->results()->Get(0);
  EXPECT_EQ(result->code(), static_cast<uint16_t>(Code::kRejected));
  EXPECT_NE(result->rule(), 0);
  EXPECT_FALSE(result->message()->str().empty());
  EXPECT_EQ(Stored(org_), 0u);
  ExpectServing();
}

TEST_F(ServerTest, AppendsSurviveARestart) {
  {
    auto connection = Connect();
    CreateOrg(*connection);
    ASSERT_TRUE(connection->AppendAndWait(2, Commands(Teams(org_, 5, "r"))));
  }
  Restart();
  auto connection = Connect();
  ASSERT_TRUE(connection->Send(wire::EncodeReadOrg(3, org_.ToString(), 1, 0)));
  std::optional<std::string> read = connection->Next();
  ASSERT_TRUE(read && AsMessage(*read).body_as_Events());
  EXPECT_EQ(AsMessage(*read).body_as_Events()->events()->size(), 6u);
  // And the write model reloaded: the next command continues the sequence.
  std::optional<std::string> reply = connection->AppendAndWait(4, Commands(Teams(org_, 1, "s")));
  ASSERT_TRUE(reply);
  EXPECT_EQ(AsMessage(*reply).body_as_AppendResult()->results()->Get(0)->first_seq(), 7u);
}

TEST_F(ServerTest, SubscriptionCatchesUpThenDeliversLiveEventsWithoutGaps) {
  auto writer = Connect();
  CreateOrg(*writer);
  ASSERT_TRUE(writer->AppendAndWait(2, Commands(Teams(org_, 4, "a"))));
  auto reader = Connect();
  ASSERT_TRUE(reader->Send(wire::EncodeSubscribe(10, org_.ToString(), 2)));
  std::optional<std::string> first = reader->Next();
  ASSERT_TRUE(first);
  const wire::SubscriptionEvents* batch = AsMessage(*first).body_as_SubscriptionEvents();
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->caught_up());
  ASSERT_EQ(batch->events()->size(), 4u);  // org seqs 2..5
  EXPECT_EQ(batch->events()->Get(0)->org_seq(), 2u);

  ASSERT_TRUE(writer->AppendAndWait(3, Commands(Teams(org_, 3, "b"))));
  ASSERT_TRUE(writer->AppendAndWait(4, Commands(Teams(org_, 2, "c"))));
  uint64_t next = 6;
  while (next <= 10) {
    std::optional<std::string> live = reader->Next();
    ASSERT_TRUE(live) << "no live batch for org seq " << next;
    const wire::SubscriptionEvents* events = AsMessage(*live).body_as_SubscriptionEvents();
    ASSERT_TRUE(events);
    EXPECT_EQ(AsMessage(*live).request_id(), 10u);
    for (const wire::EventRecord* record : *events->events()) EXPECT_EQ(record->org_seq(), next++);
  }
}

// A catch-up larger than the output limit must not stall once appends stop:
// subscriptions pause at half the limit and resume as the output drains.
TEST_F(ServerTest, CatchUpLargerThanTheOutputLimitCompletesWithoutNewCommits) {
  StopServer();
  server::ServerLimits limits;
  limits.max_outbound_bytes = 8 * 1024;  // a few batches
  limits.max_read_events = 4;
  StartServer(limits);
  auto writer = Connect();
  CreateOrg(*writer);
  constexpr uint64_t kEvents = 400;  // well over 8 KiB of records
  for (uint64_t i = 0; i < kEvents / 50; ++i) {
    ASSERT_TRUE(writer->AppendAndWait(2 + i, Commands(Teams(org_, 50, "t" + std::to_string(i)))));
  }
  auto reader = Connect();
  ASSERT_TRUE(reader->Send(wire::EncodeSubscribe(10, org_.ToString(), 1)));
  uint64_t next = 1;
  while (next <= kEvents + 1) {
    std::optional<std::string> batch = reader->Next();
    ASSERT_TRUE(batch) << "the catch-up stalled at org seq " << next;
    const wire::SubscriptionEvents* events = AsMessage(*batch).body_as_SubscriptionEvents();
    ASSERT_TRUE(events);
    for (const wire::EventRecord* record : *events->events()) EXPECT_EQ(record->org_seq(), next++);
  }
}

// A commit that lands between a subscriber's read of the log and its
// registration for the next commit must still reach it, though no commit
// follows: bursts of back-to-back group commits, then silence, many times.
// Before the fix, a subscriber stayed behind until the next append (found
// by the crash loop, whose workload pauses for its checks).
TEST_F(ServerTest, SubscribersReachTheLastCommitWhenAppendsStop) {
  auto first = Connect();
  CreateOrg(*first);
  constexpr int kWriters = 4, kSubscribers = 8, kRounds = 100, kEach = 5;
  std::vector<std::unique_ptr<RawConnection>> writers, subscribers;
  for (int w = 0; w < kWriters; ++w) writers.push_back(Connect());
  std::vector<uint64_t> next(kSubscribers, 2);  // org seq 1 is the org
  for (int s = 0; s < kSubscribers; ++s) {
    subscribers.push_back(Connect());
    ASSERT_TRUE(subscribers.back()->Send(wire::EncodeSubscribe(1, org_.ToString(), 2)));
  }
  uint64_t last = 1;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> burst;
    for (int w = 0; w < kWriters; ++w) {
      burst.emplace_back([&, w] {
        for (int i = 0; i < kEach; ++i) {
          std::string name =
              "r" + std::to_string(round) + "w" + std::to_string(w) + "-" + std::to_string(i);
          writers[w]->AppendAndWait(round * kEach + i + 1, Commands({TeamEvent(org_, name)}));
        }
      });
    }
    for (std::thread& writer : burst) writer.join();
    last += kWriters * kEach;
    ASSERT_EQ(Stored(org_), last);
    for (int s = 0; s < kSubscribers; ++s) {
      while (next[s] <= last) {
        std::optional<std::string> batch = subscribers[s]->Next(5s);
        ASSERT_TRUE(batch) << "subscriber " << s << " stuck at org seq " << next[s] - 1 << " of "
                           << last << " after round " << round;
        const wire::SubscriptionEvents* events = AsMessage(*batch).body_as_SubscriptionEvents();
        ASSERT_TRUE(events);
        for (const wire::EventRecord* record : *events->events()) {
          ASSERT_EQ(record->org_seq(), next[s]++);
        }
      }
    }
  }
}

TEST_F(ServerTest, GlobalFeedNeedsAnAdminToken) {
  auto writer = Connect();
  CreateOrg(*writer);
  ASSERT_TRUE(writer->Send(wire::EncodeSubscribe(2, "", 1)));
  std::optional<std::string> reply = writer->Next();
  const wire::Error* denied = ErrorIn(reply);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->code(), static_cast<uint16_t>(wire::WireCode::kForbidden));

  auto admin = Connect(admin_token_);
  ASSERT_TRUE(admin->Send(wire::EncodeSubscribe(3, "", 1)));
  std::optional<std::string> batch = admin->Next();
  ASSERT_TRUE(batch && AsMessage(*batch).body_as_SubscriptionEvents());
  EXPECT_EQ(AsMessage(*batch).body_as_SubscriptionEvents()->events()->size(), 1u);
}

TEST_F(ServerTest, ShutdownAcknowledgesAcceptedAppendsThenSaysShuttingDown) {
  auto connection = Connect();
  CreateOrg(*connection);
  std::string frames;
  constexpr int kRequests = 100;
  for (int i = 0; i < kRequests; ++i) {
    frames += wire::EncodeAppend(10 + i, Commands(Teams(org_, 5, "z" + std::to_string(i) + "-")));
  }
  ASSERT_TRUE(connection->Send(frames));
  std::thread stopper([&] { server_->Shutdown(); });
  uint64_t acknowledged_events = 0;
  const wire::Error* last_error = nullptr;
  std::optional<std::string> payload;
  while ((payload = connection->Next())) {
    const wire::Message& message = AsMessage(*payload);
    if (const wire::AppendResult* result = message.body_as_AppendResult()) {
      for (const wire::CommandResultMsg* command : *result->results()) {
        EXPECT_EQ(command->code(), 0);
        acknowledged_events += command->event_count();
      }
    } else if ((last_error = message.body_as_Error())) {
      EXPECT_EQ(message.request_id(), 0u);
      break;
    }
  }
  stopper.join();
  ASSERT_TRUE(last_error);
  EXPECT_EQ(last_error->code(), static_cast<uint16_t>(wire::WireCode::kShuttingDown));
  // Exactly what was acknowledged is stored: nothing lost, nothing extra.
  EXPECT_EQ(Stored(org_), acknowledged_events + 1);
}

TEST_F(ServerTest, TooManyConnectionsAreRefusedWithAnError) {
  StopServer();
  server::ServerLimits limits;
  limits.max_connections = 3;
  StartServer(limits);
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 3; ++i) open.push_back(Connect());
  RawConnection extra(port());
  std::optional<std::string> reply = extra.Next();
  const wire::Error* refused = ErrorIn(reply);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code(), static_cast<uint16_t>(wire::WireCode::kTooManyConnections));
  EXPECT_TRUE(extra.WaitClosed());
  open.pop_back();
  // A slot frees once a connection closes.
  for (int attempt = 0; attempt < 50; ++attempt) {
    RawConnection again(port());
    if (again.Hello(org_token_)) return;
    std::this_thread::sleep_for(20ms);
  }
  FAIL() << "no connection accepted after one closed";
}

TEST_F(ServerTest, IdleAndTricklingConnectionsAreClosedButSubscribersStay) {
  StopServer();
  server::ServerLimits limits;
  limits.idle_timeout = 300ms;
  StartServer(limits);
  auto idle = Connect();
  auto subscriber = Connect();
  ASSERT_TRUE(subscriber->Send(wire::EncodeSubscribe(1, org_.ToString(), 1)));
  ASSERT_TRUE(subscriber->Next());  // the empty caught-up batch
  RawConnection trickle(port());
  std::string hello = wire::EncodeHello(1, {.token = org_token_});
  auto started = std::chrono::steady_clock::now();
  bool trickle_closed = false;
  for (char byte : hello) {
    if (!trickle.Send(std::string_view(&byte, 1))) {
      trickle_closed = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - started > 3s) break;
  }
  EXPECT_TRUE(trickle_closed || trickle.WaitClosed(2s)) << "a trickling client kept its connection";
  EXPECT_TRUE(idle->WaitClosed(3s));
  // The subscriber waits for events and is not idle: a ping still works.
  ASSERT_TRUE(subscriber->Send(wire::EncodePing(2)));
  std::optional<std::string> pong = subscriber->Next();
  ASSERT_TRUE(pong);
  EXPECT_EQ(AsMessage(*pong).body_type(), wire::Body::Pong);
}

TEST_F(ServerTest, MetricsEndpointCountsAppendsAndRejections) {
  StopServer();
  StartServer({}, "127.0.0.1:0");
  ASSERT_NE(server_->metrics_port(), 0);
  auto connection = Connect();
  CreateOrg(*connection);
  ASSERT_TRUE(connection->AppendAndWait(2, Commands({OrgEvent(org_)})));  // duplicate: rejected
  RawConnection http(server_->metrics_port());
  ASSERT_TRUE(http.Send("GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n"));
  std::string body;
  char buffer[4096];
  // Plain HTTP, not frames: read until the server closes.
  for (;;) {
    ssize_t got = recv(http.fd_for_test(), buffer, sizeof(buffer), 0);
    if (got <= 0) break;
    body.append(buffer, static_cast<size_t>(got));
  }
  EXPECT_NE(body.find("ledger_events_appended_total 1"), std::string::npos) << body;
  EXPECT_NE(body.find("ledger_commands_rejected_total{rule="), std::string::npos);
  EXPECT_NE(body.find("ledger_group_fsync_seconds_bucket"), std::string::npos);
  EXPECT_NE(body.find("ledger_connections "), std::string::npos);
}

}  // namespace
}  // namespace ledger::testing
