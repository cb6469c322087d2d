// Every bad input ledgerd can receive gets its specific error; the server
// keeps serving other connections and appends nothing because of it.
#include <gtest/gtest.h>

#include <cstring>

#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

uint16_t CodeOf(wire::WireCode code) { return static_cast<uint16_t>(code); }

// The Error a connection receives next, or null.
struct ErrorReply {
  uint64_t request_id = 0;
  uint16_t code = 0;
  std::string message;
};
std::optional<ErrorReply> NextError(RawConnection& connection) {
  std::optional<std::string> payload = connection.Next();
  if (!payload) return std::nullopt;
  const wire::Error* error = AsMessage(*payload).body_as_Error();
  if (!error) return std::nullopt;
  return ErrorReply{AsMessage(*payload).request_id(), error->code(),
                    error->message() ? error->message()->str() : ""};
}

class ServerBadInputTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    server::ServerLimits limits;
    limits.max_commands_per_request = 5;
    StartServer(limits);
  }
  // After each bad input: the connection got `code` (and closed if
  // `closes`), the others are served, and nothing was appended to org_.
  void ExpectRefused(RawConnection& connection, wire::WireCode code, bool closes) {
    std::optional<ErrorReply> error = NextError(connection);
    ASSERT_TRUE(error) << "no Error for " << wire::WireCodeName(code);
    EXPECT_EQ(error->code, CodeOf(code)) << error->message;
    EXPECT_FALSE(error->message.empty());
    if (closes) {
      EXPECT_EQ(error->request_id, 0u);
      EXPECT_TRUE(connection.WaitClosed());
    }
    EXPECT_EQ(Stored(org_), 0u);
    ExpectServing();
  }
  std::string AppendFrame() { return wire::EncodeAppend(3, Commands({OrgEvent(org_)})); }
};

TEST_F(ServerBadInputTest, WrongChecksumClosesTheConnection) {
  auto connection = Connect();
  std::string frame = AppendFrame();
  frame[8] ^= 0x01;  // the checksum field
  ASSERT_TRUE(connection->Send(frame));
  ExpectRefused(*connection, wire::WireCode::kChecksumMismatch, true);
}

TEST_F(ServerBadInputTest, CorruptedPayloadFailsTheChecksum) {
  auto connection = Connect();
  std::string frame = AppendFrame();
  frame[frame.size() - 3] ^= 0x40;
  ASSERT_TRUE(connection->Send(frame));
  ExpectRefused(*connection, wire::WireCode::kChecksumMismatch, true);
}

TEST_F(ServerBadInputTest, TruncatedFrameAppendsNothing) {
  auto connection = Connect();
  std::string frame = AppendFrame();
  ASSERT_TRUE(connection->Send(std::string_view(frame).substr(0, frame.size() / 2)));
  connection->ShutdownWrite();
  EXPECT_TRUE(connection->WaitClosed());
  EXPECT_EQ(Stored(org_), 0u);
  ExpectServing();
}

TEST_F(ServerBadInputTest, OversizedFrameIsRefusedFromItsHeaderAlone) {
  auto connection = Connect();
  std::string header = wire::EncodeFrame("x").substr(0, wire::kHeaderBytes);
  uint32_t huge = wire::kPayloadMaxDefault + 1;
  std::memcpy(header.data() + 4, &huge, 4);
  ASSERT_TRUE(connection->Send(header));  // no payload follows: the header is enough
  ExpectRefused(*connection, wire::WireCode::kFrameTooLarge, true);
}

TEST_F(ServerBadInputTest, BeforeHelloOnlySmallFramesAreRead) {
  RawConnection connection(port());
  std::string header = wire::EncodeFrame("x").substr(0, wire::kHeaderBytes);
  uint32_t big = wire::kHelloPayloadMax + 1;
  std::memcpy(header.data() + 4, &big, 4);
  ASSERT_TRUE(connection.Send(header));
  ExpectRefused(connection, wire::WireCode::kFrameTooLarge, true);
}

TEST_F(ServerBadInputTest, BadMagicClosesTheConnection) {
  auto connection = Connect();
  ASSERT_TRUE(connection->Send("GET / HTTP/1.1\r\n\r\n"));
  ExpectRefused(*connection, wire::WireCode::kBadMagic, true);
}

TEST_F(ServerBadInputTest, InvalidFlatBufferClosesTheConnection) {
  auto connection = Connect();
  ASSERT_TRUE(connection->Send(wire::EncodeFrame(std::string(64, '\x7f'))));
  ExpectRefused(*connection, wire::WireCode::kInvalidMessage, true);
}

TEST_F(ServerBadInputTest, UnknownMessageTypeFailsThatRequestOnly) {
  auto connection = Connect();
  flatbuffers::FlatBufferBuilder fbb;
  auto empty = wire::CreatePing(fbb);
  wire::MessageBuilder message(fbb);
  message.add_request_id(77);
  message.add_body_type(static_cast<wire::Body>(200));
  message.add_body(empty.Union());
  wire::FinishMessageBuffer(fbb, message.Finish());
  ASSERT_TRUE(connection->Send(wire::EncodeFrame(
      std::string_view(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()))));
  std::optional<ErrorReply> error = NextError(*connection);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->request_id, 77u);
  EXPECT_EQ(error->code, CodeOf(wire::WireCode::kUnknownMessageType));
  // The connection stays usable.
  ASSERT_TRUE(connection->Send(wire::EncodePing(78)));
  std::optional<std::string> pong = connection->Next();
  ASSERT_TRUE(pong);
  EXPECT_EQ(AsMessage(*pong).body_type(), wire::Body::Pong);
}

TEST_F(ServerBadInputTest, ServerMessageFromAClientIsUnexpected) {
  auto connection = Connect();
  ASSERT_TRUE(connection->Send(wire::EncodePong(5)));
  ExpectRefused(*connection, wire::WireCode::kUnexpectedMessage, true);
}

TEST_F(ServerBadInputTest, SecondHelloIsUnexpected) {
  auto connection = Connect();
  ASSERT_TRUE(connection->Send(wire::EncodeHello(2, {.token = org_token_})));
  ExpectRefused(*connection, wire::WireCode::kUnexpectedMessage, true);
}

TEST_F(ServerBadInputTest, RequestIdZeroOrInFlightIsRefused) {
  auto connection = Connect();
  ASSERT_TRUE(connection->Send(wire::EncodePing(0)));
  ExpectRefused(*connection, wire::WireCode::kBadRequestId, true);
}

TEST_F(ServerBadInputTest, MissingHelloIsNotAuthenticated) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.Send(AppendFrame()));
  ExpectRefused(connection, wire::WireCode::kNotAuthenticated, true);
}

TEST_F(ServerBadInputTest, MissingTokenFailsAuthentication) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.Send(wire::EncodeHello(1, {.token = ""})));
  ExpectRefused(connection, wire::WireCode::kAuthenticationFailed, true);
}

TEST_F(ServerBadInputTest, WrongTokenFailsAuthenticationAndSaysNoMore) {
  std::string wrong = org_token_;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  RawConnection connection(port());
  ASSERT_TRUE(connection.Send(wire::EncodeHello(1, {.token = wrong})));
  std::optional<ErrorReply> error = NextError(connection);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, CodeOf(wire::WireCode::kAuthenticationFailed));
  RawConnection unknown(port());
  ASSERT_TRUE(unknown.Send(wire::EncodeHello(1, {.token = "lt_0000000000000000_00"})));
  std::optional<ErrorReply> other = NextError(unknown);
  ASSERT_TRUE(other);
  // The same words for a wrong secret and an unknown token.
  EXPECT_EQ(error->message, other->message);
  ExpectServing();
}

TEST_F(ServerBadInputTest, UnsupportedProtocolVersionIsRefused) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.Send(wire::EncodeHello(
      1, {.protocol_version = 9, .min_protocol_version = 9, .token = org_token_})));
  ExpectRefused(connection, wire::WireCode::kUnsupportedProtocolVersion, true);
}

TEST_F(ServerBadInputTest, ForeignTokenIsForbiddenAndLearnsNothing) {
  auto admin = Connect(admin_token_);
  ASSERT_TRUE(admin->AppendAndWait(1, Commands({OrgEvent(other_org_)})));
  auto connection = Connect(org_token_);
  // Append, read, head and subscribe to the other org: all forbidden, with
  // the same answer as for an org that does not exist.
  std::vector<std::string> requests = {
      wire::EncodeAppend(11, Commands({TeamEvent(other_org_, "mine now")})),
      wire::EncodeReadOrg(12, other_org_.ToString(), 1, 0),
      wire::EncodeTreeHeadRequest(13, other_org_.ToString(), 0),
      wire::EncodeSubscribe(14, other_org_.ToString(), 1),
      wire::EncodeReadOrg(15, Uuid::Random().ToString(), 1, 0)};
  std::string expected_message;
  for (const std::string& request : requests) {
    ASSERT_TRUE(connection->Send(request));
    std::optional<ErrorReply> error = NextError(*connection);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, CodeOf(wire::WireCode::kForbidden));
    EXPECT_EQ(error->message.find(other_org_.ToString()), std::string::npos) << error->message;
    if (expected_message.empty()) expected_message = error->message;
  }
  EXPECT_EQ(Stored(other_org_), 1u);
  // The connection stays open for its own org.
  std::optional<std::string> own = connection->AppendAndWait(16, Commands({OrgEvent(org_)}));
  ASSERT_TRUE(own && AsMessage(*own).body_as_AppendResult());
}

TEST_F(ServerBadInputTest, TooManyCommandsInOneRequestIsALimit) {
  auto connection = Connect();
  std::vector<std::string> events(6, OrgEvent(org_));
  ASSERT_TRUE(connection->Send(wire::EncodeAppend(4, Commands(events))));
  std::optional<ErrorReply> error = NextError(*connection);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->request_id, 4u);
  EXPECT_EQ(error->code, static_cast<uint16_t>(Code::kLimitExceeded));
  EXPECT_EQ(Stored(org_), 0u);
  ExpectServing();
}

TEST_F(ServerBadInputTest, MalformedEventFailsItsCommandOnly) {
  auto connection = Connect();
  std::vector<Command> commands = Commands({OrgEvent(org_)});
  commands.push_back({std::string(40, '\x01'), std::nullopt});
  std::optional<std::string> reply = connection->AppendAndWait(5, commands);
  ASSERT_TRUE(reply && AsMessage(*reply).body_as_AppendResult());
  auto* results = AsMessage(*reply).body_as_AppendResult()->results();
  EXPECT_EQ(results->Get(0)->code(), 0);
  EXPECT_EQ(results->Get(1)->code(), static_cast<uint16_t>(Code::kRejected));
  EXPECT_EQ(results->Get(1)->rule(), static_cast<uint16_t>(Rule::kMalformed));
  EXPECT_EQ(Stored(org_), 1u);
}

}  // namespace
}  // namespace ledger::testing
