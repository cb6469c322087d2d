// The tenant isolation matrix for the CLI (issue 7): every `ledger`
// subcommand that talks to ledgerd, aimed at another org, with that org's
// neighbour's token, a malformed token, an expired token and a revoked one.
// Each fails, prints nothing of the other org, appends nothing, and says the
// same for the other org as for an org that does not exist.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "audit_cli.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

constexpr const char* kSecret = "other-org-confidential-team";

// The output with `org` written as ORG and elapsed times (`ledger append`'s
// summary: "0.02 s, 0 events/s") as T, so that two runs compare equal.
std::string Normalized(std::string text, const std::string& org) {
  for (size_t at = text.find(org); at != std::string::npos; at = text.find(org, at + 3)) {
    text.replace(at, org.size(), "ORG");
  }
  static const std::regex kElapsed(R"([0-9.]+ s, [0-9.]+ events/s)");
  return std::regex_replace(text, kElapsed, "T");
}

class TenantIsolationCliTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    StartServer();
    auto admin = Connect(admin_token_);
    ASSERT_TRUE(admin->AppendAndWait(1, Commands({OrgEvent(other_org_), OrgEvent(org_)})));
    ASSERT_TRUE(admin->AppendAndWait(2, Commands({TeamEvent(other_org_, kSecret)})));
  }

  // Each subcommand's arguments aimed at `org`, given --connect and --token.
  std::vector<std::pair<std::string, std::vector<std::string>>> AimedAt(const Uuid& org) {
    std::string id = org.ToString();
    std::string lines = dir_.Sub("append-" + id + ".jsonl");
    std::ofstream(lines) << R"({"envelope": {"org_id": ")" << id
                         << R"("}, "payload_type": "TeamCreated", "payload": {"team_id": ")"
                         << Uuid::Random().ToString() << R"(", "name": "planted"}})"
                         << "\n";
    return {
        {"append", {"append", "--file", lines}},
        {"head", {"head", "--org", id}},
        {"prove", {"prove", "--org", id, "--seq", "1"}},
        {"verify", {"verify", "--org", id}},
        {"replay", {"replay", "--org", id, "--at", "2"}},
        {"history", {"history", "--org", id, "--entity", "organization:" + id}},
        {"diff", {"diff", "--org", id, "--from", "1", "--to", "2"}},
        {"export", {"export", "--org", id}},
        {"evidence",
         {"evidence", "--org", id, "--from", "1", "--to", "2", "--out",
          dir_.Sub("evidence-" + id)}},
    };
  }

  CliResult Run(std::vector<std::string> args, const std::string& token) {
    args.insert(args.end(), {"--connect", "127.0.0.1:" + std::to_string(port()), "--token", token});
    return RunLedger(dir_, args);
  }
};

TEST_F(TenantIsolationCliTest, EverySubcommandIsDeniedForEveryBadTokenAndRevealsNothing) {
  std::string expired = *tokens_->Create({.org = org_, .expires_at = 1});
  std::string revoked = *tokens_->Create({.org = org_});
  ASSERT_TRUE(tokens_->Revoke(revoked.substr(3, 16)).ok());
  const std::vector<std::pair<std::string, std::string>> tokens = {
      {"the neighbour's token", org_token_},
      {"a malformed token", "lt_not-a-token"},
      {"an expired token", expired},
      {"a revoked token", revoked},
  };
  uint64_t other_before = Stored(other_org_), own_before = Stored(org_);
  Uuid nobody = Uuid::Random();
  auto aimed_at_other = AimedAt(other_org_);
  auto aimed_at_nobody = AimedAt(nobody);
  for (const auto& [who, token] : tokens) {
    for (size_t i = 0; i < aimed_at_other.size(); ++i) {
      const std::string what = aimed_at_other[i].first + " with " + who;
      CliResult other = Run(aimed_at_other[i].second, token);
      EXPECT_NE(other.code, 0) << what << "\n" << other.out << other.err;
      EXPECT_EQ(other.out.find(kSecret), std::string::npos) << what;
      EXPECT_EQ(other.err.find(kSecret), std::string::npos) << what;
      // `verify` reports per org on stdout; the others say why on stderr.
      EXPECT_FALSE(other.err.empty() && other.out.empty()) << what << ": no reason given";
      // The org named on the command line may be echoed back; nothing else
      // may tell the other org from one that does not exist.
      CliResult missing = Run(aimed_at_nobody[i].second, token);
      EXPECT_EQ(missing.code, other.code) << what;
      EXPECT_EQ(Normalized(missing.err, nobody.ToString()),
                Normalized(other.err, other_org_.ToString()))
          << what;
      EXPECT_EQ(Normalized(missing.out, nobody.ToString()),
                Normalized(other.out, other_org_.ToString()))
          << what;
    }
  }
  EXPECT_EQ(Stored(other_org_), other_before);
  EXPECT_EQ(Stored(org_), own_before);
}

}  // namespace
}  // namespace ledger::testing
