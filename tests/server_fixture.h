// An in-process ledgerd on an ephemeral loopback port over a ledger in a
// temporary directory, with tokens for two orgs and an admin.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/server/server.h"
#include "raw_connection.h"
#include "test_util.h"

namespace ledger::testing {

// An OrganizationCreated for `org` (slug derived from its id).
std::string OrgEvent(const Uuid& org);

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  void StartServer(const server::ServerLimits& limits = {}, const std::string& metrics = "");
  void StopServer();
  // Stops the server, closes and reopens the ledger, starts a server again.
  void Restart();

  uint16_t port() const { return server_->port(); }
  // A connection that said Hello with `token` (the org token by default).
  std::unique_ptr<RawConnection> Connect(const std::string& token = "");
  // Appends one event on a fresh connection and checks it is accepted: the
  // server still serves after whatever the test did to another connection.
  void ExpectServing();
  // Events stored for an org (directly from the log).
  uint64_t Stored(const Uuid& org);

  TempDir dir_;
  Uuid org_ = Uuid::Random();
  Uuid other_org_ = Uuid::Random();
  std::string org_token_, other_token_, admin_token_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<server::TokenStore> tokens_;
  std::unique_ptr<server::Server> server_;
  server::ServerLimits limits_;
  int next_team_ = 0;
};

}  // namespace ledger::testing
