#include "server_fixture.h"

#include <spdlog/spdlog.h>

#include "ledger/event_builder.h"
#include "ledger/wire/messages.h"

namespace ledger::testing {

std::string OrgEvent(const Uuid& org) {
  EventBuilder builder;
  std::string slug = "org-" + org.ToString();
  auto payload = fb::CreateOrganizationCreatedDirect(builder.builder(), "Acme", slug.c_str(),
                                                     "team", "{}", 0, 0);
  EnvelopeFields envelope;
  envelope.org = org;
  return builder.Finish(envelope, payload);
}

void ServerFixture::SetUp() {
  spdlog::set_level(spdlog::level::warn);  // connection chatter drowns test output
  auto tokens = server::TokenStore::Open(server::TokenStorePath(dir_.Sub("db")));
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  tokens_ = std::move(tokens).value();
  auto create = [&](bool admin, const Uuid& org) {
    server::TokenSpec spec;
    spec.admin = admin;
    spec.org = org;
    Result<std::string> token = tokens_->Create(spec);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : std::string();
  };
  org_token_ = create(false, org_);
  other_token_ = create(false, other_org_);
  admin_token_ = create(true, Uuid());
  LedgerOptions options;
  options.log = OptionsIn(dir_);
  options.log.path = dir_.Sub("db");
  auto ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ledger_ = std::move(ledger).value();
}

void ServerFixture::TearDown() { StopServer(); }

void ServerFixture::StartServer(const server::ServerLimits& limits, const std::string& metrics) {
  limits_ = limits;
  server::ServerOptions options;
  options.limits = limits;
  options.metrics_listen = metrics;
  auto started = server::Server::Start(ledger_.get(), tokens_.get(), options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  server_ = std::move(started).value();
}

void ServerFixture::StopServer() {
  if (server_) server_->Shutdown();
  server_.reset();
}

void ServerFixture::Restart() {
  StopServer();
  LedgerOptions options;
  options.log = OptionsIn(dir_);
  options.log.path = dir_.Sub("db");
  ledger_.reset();
  auto ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ledger_ = std::move(ledger).value();
  StartServer(limits_);
}

std::unique_ptr<RawConnection> ServerFixture::Connect(const std::string& token) {
  auto connection = std::make_unique<RawConnection>(port());
  EXPECT_TRUE(connection->connected());
  EXPECT_TRUE(connection->Hello(token.empty() ? org_token_ : token));
  return connection;
}

void ServerFixture::ExpectServing() {
  std::unique_ptr<RawConnection> connection = Connect(admin_token_);
  Uuid org = Uuid::Random();
  std::optional<std::string> reply = connection->AppendAndWait(
      99, Commands({OrgEvent(org), TeamEvent(org, "team-" + std::to_string(next_team_++))}));
  ASSERT_TRUE(reply) << "the server stopped serving";
  const wire::AppendResult* result = AsMessage(*reply).body_as_AppendResult();
  ASSERT_TRUE(result && result->results()->size() == 2);
  for (const wire::CommandResultMsg* command : *result->results()) EXPECT_EQ(command->code(), 0);
}

uint64_t ServerFixture::Stored(const Uuid& org) {
  Result<TreeHead> head = ledger_->log().Head(org);
  return head.ok() ? head->size : 0;
}

}  // namespace ledger::testing
