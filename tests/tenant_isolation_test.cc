// The tenant isolation matrix (issue 7): every client request, sent with a
// token that may not touch the org it names, and every token that is not
// valid (malformed, wrong secret, unknown, expired, revoked) at Hello or
// after it. Each is denied, appends nothing and reveals nothing: the answer
// for another org's data is word for word the answer for an org that does
// not exist, and no error text carries the other org's id or contents.
#include <gtest/gtest.h>

#include <thread>

#include "ledger/clock.h"
#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

using namespace std::chrono_literals;

struct Reply {
  uint64_t request_id = 0;
  uint16_t code = 0;
  std::string message;
  bool is_error = false;
};

std::optional<Reply> NextReply(RawConnection& connection) {
  std::optional<std::string> payload = connection.Next(5s);
  if (!payload) return std::nullopt;
  const wire::Message& message = AsMessage(*payload);
  Reply reply{message.request_id(), 0, "", false};
  if (const wire::Error* error = message.body_as_Error()) {
    reply = {message.request_id(), error->code(), error->message() ? error->message()->str() : "",
             true};
  }
  return reply;
}

// "lt_<id>_<secret>" -> id.
std::string TokenId(const std::string& token) { return token.substr(3, 16); }

class TenantIsolationTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    StartServer();
    auto admin = Connect(admin_token_);
    ASSERT_TRUE(admin->AppendAndWait(1, Commands({OrgEvent(other_org_), OrgEvent(org_)})));
    ASSERT_TRUE(admin->AppendAndWait(2, Commands({TeamEvent(other_org_, kSecret)})));
    other_before_ = Stored(other_org_);
    own_before_ = Stored(org_);
  }

  // Nothing reached either org's log.
  void ExpectNothingAppended() {
    EXPECT_EQ(Stored(other_org_), other_before_);
    EXPECT_EQ(Stored(org_), own_before_);
  }

  // No text a denied client receives may carry the other org's id or data.
  void ExpectReveals(const std::string& text, const std::string& what) {
    EXPECT_EQ(text.find(other_org_.ToString()), std::string::npos) << what << ": " << text;
    EXPECT_EQ(text.find(kSecret), std::string::npos) << what << ": " << text;
  }

  std::string Token(int64_t expires_at) {
    Result<std::string> token = tokens_->Create({.org = org_, .expires_at = expires_at});
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : "";
  }

  static constexpr const char* kSecret = "other-org-confidential-team";
  uint64_t other_before_ = 0, own_before_ = 0;
};

// Every request type that names an org, aimed at `org`, with request id `id`.
std::vector<std::pair<std::string, std::string>> RequestsFor(const Uuid& org, const Uuid& own,
                                                             uint64_t id) {
  std::string text = org.ToString();
  return {
      {"Append", wire::EncodeAppend(id, Commands({TeamEvent(org, "mine now")}))},
      // One foreign command refuses the whole request, own commands too.
      {"Append (mixed)",
       wire::EncodeAppend(id + 1, Commands({TeamEvent(own, "own"), TeamEvent(org, "theirs")}))},
      {"ReadOrg", wire::EncodeReadOrg(id + 2, text, 1, 0)},
      {"TreeHeadRequest (latest)", wire::EncodeTreeHeadRequest(id + 3, text, 0)},
      {"TreeHeadRequest (size 1)", wire::EncodeTreeHeadRequest(id + 4, text, 1)},
      {"Subscribe", wire::EncodeSubscribe(id + 5, text, 1)},
  };
}

TEST_F(TenantIsolationTest, EveryRequestForAnotherOrgIsForbiddenLikeAnOrgThatDoesNotExist) {
  auto connection = Connect(org_token_);
  auto existing = RequestsFor(other_org_, org_, 100);
  auto missing = RequestsFor(Uuid::Random(), org_, 200);
  for (size_t i = 0; i < existing.size(); ++i) {
    ASSERT_TRUE(connection->Send(existing[i].second));
    std::optional<Reply> to_other = NextReply(*connection);
    ASSERT_TRUE(connection->Send(missing[i].second));
    std::optional<Reply> to_nobody = NextReply(*connection);
    ASSERT_TRUE(to_other && to_nobody) << existing[i].first;
    EXPECT_TRUE(to_other->is_error) << existing[i].first;
    EXPECT_EQ(to_other->code, static_cast<uint16_t>(wire::WireCode::kForbidden))
        << existing[i].first;
    EXPECT_EQ(to_other->code, to_nobody->code) << existing[i].first;
    EXPECT_EQ(to_other->message, to_nobody->message) << existing[i].first;
    ExpectReveals(to_other->message, existing[i].first);
  }
  ExpectNothingAppended();
  // Still a working connection for its own org.
  std::optional<std::string> own = connection->AppendAndWait(300, Commands({TeamEvent(org_, "x")}));
  ASSERT_TRUE(own && AsMessage(*own).body_as_AppendResult());
}

TEST_F(TenantIsolationTest, OrgTokensGetNeitherTheGlobalFeedNorSealedValues) {
  auto connection = Connect(org_token_);
  ASSERT_TRUE(connection->Send(wire::EncodeSubscribe(7, "", 1)));
  std::optional<Reply> feed = NextReply(*connection);
  ASSERT_TRUE(feed && feed->is_error);
  EXPECT_EQ(feed->code, static_cast<uint16_t>(wire::WireCode::kForbidden));
  ASSERT_TRUE(connection->Send(wire::EncodeOpenSealed(8, {})));
  std::optional<Reply> sealed = NextReply(*connection);
  ASSERT_TRUE(sealed && sealed->is_error);
  EXPECT_EQ(sealed->code, static_cast<uint16_t>(wire::WireCode::kForbidden));
  ExpectReveals(feed->message + sealed->message, "global feed / OpenSealed");
  // Nothing else arrives: no event of any org leaked through the feed.
  EXPECT_FALSE(connection->Next(300ms));
}

// Hello with each invalid token, with requests pipelined behind it in the
// same write: one authentication error (the same words for every kind of
// bad token), the connection closes, and the pipelined requests are not
// served.
TEST_F(TenantIsolationTest, EveryInvalidTokenGetsTheSameRefusalAndNothingBehindItIsServed) {
  std::string wrong_secret = org_token_;
  wrong_secret.back() = wrong_secret.back() == 'a' ? 'b' : 'a';
  std::string expired = Token(NowMicros() - 1);
  std::string revoked = Token(0);
  ASSERT_TRUE(tokens_->Revoke(TokenId(revoked)).ok());
  std::string revoked_other = other_token_;
  ASSERT_TRUE(tokens_->Revoke(TokenId(revoked_other)).ok());
  const std::vector<std::pair<std::string, std::string>> tokens = {
      {"empty", ""},
      {"not a token", "hello"},
      {"bad prefix", "xx_" + org_token_.substr(3)},
      {"short secret", org_token_.substr(0, org_token_.size() - 1)},
      {"non-hex", "lt_zzzzzzzzzzzzzzzz_" + std::string(64, 'z')},
      {"wrong secret", wrong_secret},
      {"unknown id", "lt_0000000000000000_" + std::string(64, '0')},
      {"expired", expired},
      {"revoked", revoked},
      {"other org's, revoked", revoked_other},
      {"admin's id, org's secret", admin_token_.substr(0, 20) + org_token_.substr(20)},
  };
  std::string first_message;
  for (const auto& [kind, token] : tokens) {
    RawConnection connection(port());
    std::string bytes = wire::EncodeHello(1, {.token = token});
    bytes += wire::EncodeAppend(2, Commands({TeamEvent(org_, "behind a bad hello")}));
    bytes += wire::EncodeReadOrg(3, org_.ToString(), 1, 0);
    ASSERT_TRUE(connection.Send(bytes)) << kind;
    std::optional<Reply> reply = NextReply(connection);
    ASSERT_TRUE(reply) << kind;
    EXPECT_TRUE(reply->is_error) << kind;
    EXPECT_EQ(reply->code, static_cast<uint16_t>(wire::WireCode::kAuthenticationFailed)) << kind;
    if (first_message.empty()) first_message = reply->message;
    EXPECT_EQ(reply->message, first_message) << kind;
    ExpectReveals(reply->message, kind);
    EXPECT_TRUE(connection.WaitClosed()) << kind;
  }
  ExpectNothingAppended();
  ExpectServing();
}

TEST_F(TenantIsolationTest, RevokingATokenStopsItsOpenConnectionAtTheNextRequest) {
  std::string token = Token(0);
  auto connection = Connect(token);
  ASSERT_TRUE(connection->AppendAndWait(10, Commands({TeamEvent(org_, "before")})));
  uint64_t stored = Stored(org_);
  ASSERT_TRUE(tokens_->Revoke(TokenId(token)).ok());
  ASSERT_TRUE(connection->Send(wire::EncodeAppend(11, Commands({TeamEvent(org_, "after")}))));
  std::optional<Reply> reply = NextReply(*connection);
  ASSERT_TRUE(reply && reply->is_error);
  EXPECT_EQ(reply->code, static_cast<uint16_t>(wire::WireCode::kAuthenticationFailed));
  EXPECT_TRUE(connection->WaitClosed());
  EXPECT_EQ(Stored(org_), stored);
}

TEST_F(TenantIsolationTest, ATokenThatExpiresWhileConnectedStopsWorking) {
  std::string token = Token(NowMicros() + 1'500'000);
  auto connection = Connect(token);
  ASSERT_TRUE(connection->AppendAndWait(10, Commands({TeamEvent(org_, "in time")})));
  uint64_t stored = Stored(org_);
  std::this_thread::sleep_for(1600ms);
  ASSERT_TRUE(connection->Send(wire::EncodeReadOrg(11, org_.ToString(), 1, 0)));
  std::optional<Reply> reply = NextReply(*connection);
  ASSERT_TRUE(reply && reply->is_error);
  EXPECT_EQ(reply->code, static_cast<uint16_t>(wire::WireCode::kAuthenticationFailed));
  EXPECT_TRUE(connection->WaitClosed());
  EXPECT_EQ(Stored(org_), stored);
}

// A subscriber sends no requests; its feed stops within about a second of
// the revocation, before it delivers anything committed after it.
TEST_F(TenantIsolationTest, RevokingASubscribersTokenEndsItsFeed) {
  std::string token = Token(0);
  auto subscriber = Connect(token);
  ASSERT_TRUE(subscriber->Send(wire::EncodeSubscribe(5, org_.ToString(), own_before_ + 1)));
  ASSERT_TRUE(tokens_->Revoke(TokenId(token)).ok());
  std::this_thread::sleep_for(1100ms);
  auto admin = Connect(admin_token_);
  ASSERT_TRUE(admin->AppendAndWait(20, Commands({TeamEvent(org_, "after revocation")})));
  std::optional<std::string> payload;
  while ((payload = subscriber->Next(5s))) {
    const wire::Message& message = AsMessage(*payload);
    if (const wire::Error* error = message.body_as_Error()) {
      EXPECT_EQ(error->code(), static_cast<uint16_t>(wire::WireCode::kAuthenticationFailed));
      break;
    }
    const wire::SubscriptionEvents* events = message.body_as_SubscriptionEvents();
    ASSERT_TRUE(events) << wire::EnumNameBody(message.body_type());
    EXPECT_TRUE(!events->events() || events->events()->size() == 0)
        << "an event committed after the revocation reached the subscriber";
  }
  ASSERT_TRUE(payload) << "no authentication error";
  EXPECT_TRUE(subscriber->WaitClosed());
}

}  // namespace
}  // namespace ledger::testing
