// The C++ client against the real ledgerd server, in-process, over loopback:
// appends (sync and pipelined), reads, subscriptions (catch-up, live, the
// global feed), tokens, tree heads, and reconnecting across a server restart.
#include "ledger/client/client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>

#include "ledger/event_builder.h"
#include "ledger/ledger.h"
#include "ledger/server/server.h"
#include "ledger/server/tokens.h"
#include "test_util.h"

namespace ledger::client {
namespace {

using std::chrono::milliseconds;
using testing::TeamEvent;
using testing::TempDir;

constexpr auto kWait = std::chrono::seconds(20);

std::string OrgCreated(const Uuid& org, const std::string& slug) {
  EventBuilder builder;
  EnvelopeFields envelope;
  envelope.org = org;
  return builder.Finish(envelope, fb::CreateOrganizationCreatedDirect(builder.builder(), "Acme",
                                                                      slug.c_str(), "team", "{}"));
}

std::vector<Command> Teams(const Uuid& org, int count, const std::string& prefix = "team") {
  std::vector<Command> commands;
  for (int i = 0; i < count; ++i) {
    commands.push_back({TeamEvent(org, prefix + std::to_string(i)), std::nullopt});
  }
  return commands;
}

// What a subscription delivered, for a test thread to wait on.
class Feed {
 public:
  EventsCallback OnEvents(bool global = false) {
    return [this, global](std::span<const StoredEvent> events, bool caught_up) {
      std::lock_guard lock(mu_);
      for (const StoredEvent& event : events) {
        seqs_.push_back(global ? event.position.global_seq : event.position.org_seq);
        names_.push_back(testing::TeamName(event));
      }
      caught_up_ = caught_up_ || caught_up;
      changed_.notify_all();
    };
  }
  EndCallback OnEnd() {
    return [this](const Status& status) {
      std::lock_guard lock(mu_);
      ended_ = status;
      changed_.notify_all();
    };
  }
  bool WaitForCount(size_t count) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kWait, [&] { return seqs_.size() >= count && caught_up_; });
  }
  std::optional<Status> WaitForEnd() {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, kWait, [&] { return ended_.has_value(); });
    return ended_;
  }
  std::optional<Status> ended() {
    std::lock_guard lock(mu_);
    return ended_;
  }
  std::vector<uint64_t> seqs() {
    std::lock_guard lock(mu_);
    return seqs_;
  }
  std::vector<std::string> names() {
    std::lock_guard lock(mu_);
    return names_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<uint64_t> seqs_;
  std::vector<std::string> names_;
  bool caught_up_ = false;
  std::optional<Status> ended_;
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t seq = first; seq <= last; ++seq) out.push_back(seq);
  return out;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenLedger();
    auto tokens = server::TokenStore::Open(dir_.Sub("tokens"));
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    tokens_ = std::move(tokens).value();
    admin_token_ = CreateToken({.admin = true});
    org_token_ = CreateToken({.admin = false, .org = org_});
    StartServer(0);
  }

  void OpenLedger() {
    LedgerOptions options;
    options.log = testing::OptionsIn(dir_);
    auto ledger = Ledger::Open(options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
  }

  std::string CreateToken(const server::TokenSpec& spec) {
    Result<std::string> token = tokens_->Create(spec);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : "";
  }

  void StartServer(uint16_t port, uint32_t max_in_flight = 0) {
    server::ServerOptions options;
    options.port = port;
    if (max_in_flight != 0) options.limits.max_in_flight = max_in_flight;
    auto started = server::Server::Start(ledger_.get(), tokens_.get(), options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
  }

  ClientOptions Options(const std::string& token) const {
    ClientOptions options;
    options.port = server_ ? server_->port() : port_;
    options.token = token;
    options.client_name = "client_test";
    return options;
  }

  std::unique_ptr<Client> ConnectOrDie(const std::string& token) {
    return ConnectOrDie(Options(token));
  }
  std::unique_ptr<Client> ConnectOrDie(const ClientOptions& options) {
    auto client = Client::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  // Creates org_ with `teams` teams after it; returns the org's version.
  uint64_t CreateOrg(Client& client, int teams) {
    std::vector<Command> commands = {{OrgCreated(org_, "acme"), uint64_t{0}}};
    for (Command& team : Teams(org_, teams)) commands.push_back(std::move(team));
    auto results = client.Append(commands);
    EXPECT_TRUE(results.ok()) << results.status().ToString();
    if (!results.ok()) return 0;
    for (const CommandResult& result : *results) {
      EXPECT_TRUE(result.status.ok()) << result.status.ToString();
    }
    return results->back().first_seq;
  }

  TempDir dir_;
  Uuid org_ = Uuid::Random();
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<server::TokenStore> tokens_;
  std::string admin_token_;
  std::string org_token_;
  std::unique_ptr<server::Server> server_;
  uint16_t port_ = 0;
};

TEST(ClientAddress, ParsesHostPortAndBracketedIpv6) {
  ClientOptions options;
  ASSERT_TRUE(ParseAddress("10.1.2.3:7400", &options).ok());
  EXPECT_EQ(options.host, "10.1.2.3");
  EXPECT_EQ(options.port, 7400);
  ASSERT_TRUE(ParseAddress("[::1]:9", &options).ok());
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 9);
  for (const char* bad :
       {"localhost", "localhost:0", "localhost:65536", "::1:80", ":80", "host:80x", "[]:80"}) {
    EXPECT_EQ(ParseAddress(bad, &options).code(), Code::kInvalidArgument) << bad;
  }
}

TEST(ClientConnect, NothingListeningIsUnavailable) {
  ClientOptions options;
  options.port = 1;  // privileged and unused on a test machine: refused at once
  options.token = "t";
  auto client = Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kUnavailable) << client.status().ToString();
}

TEST_F(ClientTest, WrongTokenIsPermissionDenied) {
  auto client = Client::Connect(Options("not-a-token"));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kPermissionDenied);
  EXPECT_NE(client.status().message().find("authentication_failed (110)"), std::string::npos)
      << client.status().message();
}

TEST_F(ClientTest, SessionNamesTheTokensOrg) {
  auto org_client = ConnectOrDie(org_token_);
  auto admin_client = ConnectOrDie(admin_token_);
  ASSERT_TRUE(org_client && admin_client);
  EXPECT_EQ(org_client->session().org, org_);
  EXPECT_FALSE(admin_client->session().org.has_value());
  EXPECT_GT(org_client->session().max_in_flight, 0u);
  EXPECT_EQ(org_client->session().protocol_version, 1);
  EXPECT_TRUE(org_client->Ping().ok());
}

TEST_F(ClientTest, SyncAppendThenReadBack) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  std::vector<Command> commands = {{OrgCreated(org_, "acme"), uint64_t{0}}};
  for (Command& team : Teams(org_, 10)) commands.push_back(std::move(team));
  auto results = client->Append(commands);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 11u);
  for (size_t i = 0; i < results->size(); ++i) {
    const CommandResult& result = (*results)[i];
    ASSERT_TRUE(result.status.ok()) << result.status.ToString();
    EXPECT_EQ(result.first_seq, i + 1);
    ASSERT_EQ(result.positions.size(), 1u);
    EXPECT_EQ(result.positions[0].org, org_);
  }

  auto events = client->ReadOrg(org_, 2);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 10u);
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].position.org_seq, i + 2);
    EXPECT_EQ(testing::TeamName((*events)[i]), "team" + std::to_string(i));
  }
  auto limited = client->ReadOrg(org_, 1, 3);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 3u);
}

TEST_F(ClientTest, RejectedCommandCarriesItsRule) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  uint64_t version = CreateOrg(*client, 0);
  std::vector<Command> commands = {{TeamEvent(org_, "late"), version + 5}};
  auto results = client->Append(commands);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  EXPECT_EQ((*results)[0].status.code(), Code::kRejected);
  EXPECT_EQ((*results)[0].rule, Rule::kVersionConflict);
}

TEST_F(ClientTest, OtherOrgsEventsAreForbidden) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  Uuid other = Uuid::Random();
  std::vector<Command> commands = {{OrgCreated(other, "other"), std::nullopt}};
  auto results = client->Append(commands);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), Code::kPermissionDenied);
  EXPECT_NE(results.status().message().find("forbidden (112)"), std::string::npos)
      << results.status().message();
  // The connection stays usable.
  EXPECT_TRUE(client->Ping().ok());
}

TEST_F(ClientTest, ThousandPipelinedAppendsAreAcknowledgedContiguously) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  ASSERT_EQ(CreateOrg(*client, 0), 1u);
  constexpr int kRequests = 1000;
  std::mutex mu;
  std::condition_variable done;
  std::vector<uint64_t> first_seqs(kRequests, 0);
  int answered = 0;
  Status failure;
  for (int i = 0; i < kRequests; ++i) {
    client->AppendAsync(Teams(org_, 1, "t" + std::to_string(i)),
                        [&, i](Result<std::vector<CommandResult>> results) {
                          std::lock_guard lock(mu);
                          if (!results.ok()) {
                            failure = results.status();
                          } else if (!(*results)[0].status.ok()) {
                            failure = (*results)[0].status;
                          } else {
                            first_seqs[i] = (*results)[0].first_seq;
                          }
                          ++answered;
                          done.notify_all();
                        });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(done.wait_for(lock, kWait, [&] { return answered == kRequests; }));
  ASSERT_TRUE(failure.ok()) << failure.ToString();
  // One connection's Appends are decided in the order they were sent.
  EXPECT_EQ(first_seqs, Range(2, kRequests + 1));
}

TEST_F(ClientTest, FutureAppendsFromManyThreads) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  CreateOrg(*client, 0);
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<Result<std::vector<CommandResult>>>> futures;
      for (int i = 0; i < 100; ++i) {
        futures.push_back(client->AppendAsync(Teams(org_, 5, std::to_string(t) + "-")));
      }
      for (auto& future : futures) {
        auto results = future.get();
        if (!results.ok()) continue;
        for (const CommandResult& result : *results) accepted += result.status.ok();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 4 * 100 * 5);
  auto head = client->TreeHead(org_);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 1u + 4 * 100 * 5);
}

TEST_F(ClientTest, SubscribeCatchesUpThenFollowsLive) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  CreateOrg(*client, 5);
  Feed feed;
  auto subscription = client->Subscribe(org_, 1, feed.OnEvents(), feed.OnEnd());
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  ASSERT_TRUE(feed.WaitForCount(6));
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(client->Append(Teams(org_, 3, "live")).ok());
  }
  ASSERT_TRUE(feed.WaitForCount(21));
  EXPECT_EQ(feed.seqs(), Range(1, 21));
  EXPECT_EQ((*subscription)->last_delivered_seq(), 21u);
  EXPECT_EQ(feed.names()[1], "team0");
}

TEST_F(ClientTest, SubscribeFromTheMiddleAndToAnOrgWithoutEvents) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  // An org feed may name an org with no events yet: it waits for them.
  Feed feed;
  auto subscription = client->Subscribe(org_, 4, feed.OnEvents(), feed.OnEnd());
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  CreateOrg(*client, 6);
  ASSERT_TRUE(feed.WaitForCount(4));
  EXPECT_EQ(feed.seqs(), Range(4, 7));
}

TEST_F(ClientTest, GlobalFeedNeedsAnAdminToken) {
  auto org_client = ConnectOrDie(org_token_);
  ASSERT_TRUE(org_client);
  CreateOrg(*org_client, 2);
  Feed refused;
  auto denied = org_client->Subscribe(std::nullopt, 1, refused.OnEvents(), refused.OnEnd());
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("forbidden (112)"), std::string::npos);

  auto admin = ConnectOrDie(admin_token_);
  ASSERT_TRUE(admin);
  Uuid other = Uuid::Random();
  std::vector<Command> commands = {{OrgCreated(other, "other"), std::nullopt}};
  ASSERT_TRUE(admin->Append(commands).ok());
  Feed feed;
  auto subscription = admin->Subscribe(std::nullopt, 1, feed.OnEvents(true), feed.OnEnd());
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  ASSERT_TRUE(feed.WaitForCount(4));
  EXPECT_EQ(feed.seqs(), Range(1, 4));
}

TEST_F(ClientTest, CancelledSubscriptionDeliversNothingMore) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  CreateOrg(*client, 1);
  Feed feed;
  auto subscription = client->Subscribe(org_, 1, feed.OnEvents(), feed.OnEnd());
  ASSERT_TRUE(subscription.ok());
  ASSERT_TRUE(feed.WaitForCount(2));
  subscription->reset();
  ASSERT_TRUE(client->Append(Teams(org_, 3)).ok());
  ASSERT_TRUE(client->Ping().ok());  // later than any batch for those events
  EXPECT_EQ(feed.seqs().size(), 2u);
}

TEST_F(ClientTest, CancelledSubscriptionsDoNotStarveRequests) {
  // The server holds a slot for each subscription until the connection
  // closes; with every slot held by cancelled ones, the client reconnects
  // (and the live subscription resumes where it was).
  server_.reset();
  StartServer(0, /*max_in_flight=*/3);
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  ASSERT_EQ(client->session().max_in_flight, 3u);
  CreateOrg(*client, 2);
  Feed live;
  auto kept = client->Subscribe(org_, 1, live.OnEvents(), live.OnEnd());
  ASSERT_TRUE(kept.ok());
  for (int i = 0; i < 2; ++i) {
    Feed dropped;
    auto cancelled = client->Subscribe(org_, 1, dropped.OnEvents(), dropped.OnEnd());
    ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  }
  auto results = client->Append(Teams(org_, 2, "after"));
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_TRUE(live.WaitForCount(5));
  EXPECT_EQ(live.seqs(), Range(1, 5));
  EXPECT_FALSE(live.ended().has_value());
}

TEST_F(ClientTest, ClosingTheClientEndsSubscriptions) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  Feed feed;
  auto subscription = client->Subscribe(org_, 1, feed.OnEvents(), feed.OnEnd());
  ASSERT_TRUE(subscription.ok());
  client.reset();
  std::optional<Status> end = feed.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), Code::kUnavailable);
}

TEST_F(ClientTest, TreeHeadMatchesTheEventLog) {
  auto client = ConnectOrDie(org_token_);
  ASSERT_TRUE(client);
  CreateOrg(*client, 9);
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{3}, uint64_t{10}}) {
    auto remote = client->TreeHead(org_, size);
    ASSERT_TRUE(remote.ok()) << remote.status().ToString();
    auto local = size == 0 ? ledger_->log().Head(org_) : ledger_->log().HeadAt(org_, size);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(remote->size, local->size);
    EXPECT_EQ(remote->root, local->root);
  }
  auto beyond = client->TreeHead(org_, 11);
  EXPECT_EQ(beyond.status().code(), Code::kInvalidArgument);
  auto unknown = client->TreeHead(Uuid::Random());
  EXPECT_FALSE(unknown.ok());
}

TEST_F(ClientTest, ReconnectsAcrossAServerRestartWithoutGapOrRepeat) {
  ClientOptions options = Options(org_token_);
  options.max_reconnect_attempts = 2;
  options.reconnect_backoff_max = milliseconds(200);
  auto client = ConnectOrDie(options);
  ASSERT_TRUE(client);
  CreateOrg(*client, 4);
  Feed feed;
  auto subscription = client->Subscribe(org_, 1, feed.OnEvents(), feed.OnEnd());
  ASSERT_TRUE(subscription.ok());
  ASSERT_TRUE(feed.WaitForCount(5));

  port_ = server_->port();
  server_->Shutdown();
  server_.reset();
  // While the server is down, a request fails: the client could not reach it.
  auto down = client->Append(Teams(org_, 1, "down"));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Code::kUnavailable) << down.status().ToString();

  // A restart on the same database and port: the next call reconnects, and
  // the subscription resumes after the last event it delivered.
  ledger_.reset();
  OpenLedger();
  StartServer(port_);
  ASSERT_EQ(server_->port(), port_);
  auto up = client->Append(Teams(org_, 3, "up"));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE(feed.WaitForCount(8));
  EXPECT_EQ(feed.seqs(), Range(1, 8));
  EXPECT_FALSE(feed.ended().has_value());
  std::vector<std::string> names = feed.names();
  EXPECT_EQ(names.back(), "up2");
}

// Clients sharing one IoThread: their pipelined appends all land in order,
// a client closed with requests in flight fails them and leaves the others
// working, and one client's callback may not block on another of the same
// thread (it would wait for itself).
TEST_F(ClientTest, ClientsSharingAnIoThreadWorkAndCloseIndependently) {
  auto shared = std::make_shared<IoThread>();
  ClientOptions options = Options(org_token_);
  options.io_thread = shared;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(ConnectOrDie(options));
    ASSERT_TRUE(clients.back());
  }
  std::weak_ptr<IoThread> watch = shared;
  shared.reset();  // only the clients hold it now
  options.io_thread.reset();
  ASSERT_EQ(CreateOrg(*clients[0], 0), 1u);

  constexpr int kPerClient = 200;
  std::mutex mu;
  std::condition_variable done;
  int answered = 0;
  int accepted = 0;
  std::vector<std::vector<uint64_t>> seqs(clients.size());
  for (int i = 0; i < kPerClient; ++i) {
    for (size_t c = 0; c < clients.size(); ++c) {
      clients[c]->AppendAsync(Teams(org_, 1, std::to_string(c) + "-" + std::to_string(i)),
                              [&, c](Result<std::vector<CommandResult>> results) {
                                std::lock_guard lock(mu);
                                if (results.ok() && (*results)[0].status.ok()) {
                                  ++accepted;
                                  seqs[c].push_back((*results)[0].first_seq);
                                }
                                ++answered;
                                done.notify_all();
                              });
    }
  }
  // Closed with its requests queued or in flight: each is answered (or was
  // already), nothing runs on the destroyed client afterwards.
  clients.back().reset();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(done.wait_for(lock, kWait, [&] { return answered == 8 * kPerClient; }));
  }
  EXPECT_GE(accepted, 7 * kPerClient);
  for (size_t c = 0; c + 1 < clients.size(); ++c) {
    ASSERT_EQ(seqs[c].size(), size_t{kPerClient}) << "client " << c;
    EXPECT_TRUE(std::is_sorted(seqs[c].begin(), seqs[c].end())) << "client " << c;
  }

  // A blocking call from a callback of another client on the same thread.
  std::promise<Status> from_callback;
  clients[0]->AppendAsync(Teams(org_, 1, "cb"), [&](Result<std::vector<CommandResult>>) {
    from_callback.set_value(clients[1]->Append(Teams(org_, 1, "nested")).status());
  });
  auto nested = from_callback.get_future();
  ASSERT_EQ(nested.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(nested.get().code(), Code::kFailedPrecondition);

  auto head = clients[1]->TreeHead(org_);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  // The closed client's unanswered requests may or may not have been applied.
  EXPECT_GE(head->size, 1u + accepted + 1);
  EXPECT_LE(head->size, 1u + 8 * kPerClient + 1);
  EXPECT_FALSE(watch.expired());
  clients.clear();
  EXPECT_TRUE(watch.expired());  // the last client stopped the thread
}

}  // namespace
}  // namespace ledger::client
