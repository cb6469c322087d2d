// The wire protocol's frame codec and messages (schemas/PROTOCOL.md): every
// message type round-trips, the decoder is indifferent to how the stream is
// chunked, and every damaged or hostile input yields its precise wire error
// before the decoder buffers what the peer merely claims.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "ledger/event_builder.h"
#include "ledger/limits.h"
#include "ledger/rules.h"
#include "ledger/wire/errors.h"
#include "ledger/wire/frame.h"
#include "ledger/wire/messages.h"
#include "test_util.h"

namespace ledger::wire {
namespace {

using ledger::testing::OpenOrDie;
using ledger::testing::OptionsIn;
using ledger::testing::TeamEvent;
using ledger::testing::TempDir;

// A TeamCreated event with fixed ids, so frames built from it are the same
// bytes on every run (the fuzz seeds below).
std::string FixedTeamEvent(const std::string& name) {
  EventBuilder builder;
  auto team = fb::CreateTeamCreatedDirect(builder.builder(), "7d444840-9dc0-11d1-b245-5ffdce74fad2",
                                          name.c_str(), "a fuzz seed");
  EnvelopeFields envelope;
  envelope.org = *Uuid::Parse("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  envelope.event_id = "6fa459ea-ee8a-3ca4-894e-db77e160355e";
  envelope.idempotency_key = "seed-" + name;
  return builder.Finish(envelope, team);
}

// A stored event as the log would hand it out (header + event bytes, leaf
// hash of exactly those bytes), without opening a database.
StoredEvent FakeStoredEvent(const Uuid& org, uint64_t org_seq, std::string_view event) {
  StoredEvent stored;
  stored.position =
      Position{org, org_seq, 1000 + org_seq, 1'700'000'000'000'000 + 7 * int64_t(org_seq)};
  stored.body = std::string(32, '\0');
  stored.body[0] = 1;
  stored.body += event;
  stored.leaf_hash = LeafHash(stored.body);
  return stored;
}

// Decodes exactly one frame out of `bytes` and verifies it.
const Message* DecodeOne(const std::string& bytes, Frame* frame) {
  FrameDecoder decoder;
  decoder.Feed(bytes);
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Outcome::kFrame);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_FALSE(decoder.EndOfStream().has_value());
  const Message* message = nullptr;
  std::optional<WireError> error = VerifyMessage(frame->payload, &message);
  EXPECT_FALSE(error.has_value()) << error->ToString();
  return message;
}

// Every frame in `stream`, fed in chunks whose sizes `next_chunk` picks.
template <typename ChunkSize>
std::vector<std::string> DecodeAll(std::string_view stream, ChunkSize next_chunk) {
  FrameDecoder decoder;
  std::vector<std::string> payloads;
  size_t offset = 0;
  Frame frame;
  while (offset < stream.size()) {
    size_t size = std::min(next_chunk(), stream.size() - offset);
    decoder.Feed(stream.data() + offset, size);
    offset += size;
    FrameDecoder::Outcome outcome;
    while ((outcome = decoder.Next(&frame)) == FrameDecoder::Outcome::kFrame) {
      payloads.push_back(frame.payload);
    }
    EXPECT_EQ(outcome, FrameDecoder::Outcome::kNeedMore);
  }
  EXPECT_FALSE(decoder.EndOfStream().has_value());
  return payloads;
}

std::string Header(uint32_t length, uint64_t checksum = 0) {
  std::string header = "LGW\x01";
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>(length >> (8 * i)));
  for (int i = 0; i < 8; ++i) header.push_back(static_cast<char>(checksum >> (8 * i)));
  return header;
}

WireCode ErrorOf(std::string_view bytes, uint32_t max_payload = kPayloadMaxDefault) {
  FrameDecoder decoder(max_payload);
  decoder.Feed(bytes);
  Frame frame;
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kError);
  return decoder.failed() ? decoder.error().code : WireCode::kInternal;
}

// ---------------------------------------------------------------------------
// Frame layout

TEST(WireFrame, HeaderIsMagicVersionLittleEndianLengthAndChecksum) {
  std::string payload = "0123456789";
  std::string frame = EncodeFrame(payload);
  ASSERT_EQ(frame.size(), kHeaderBytes + payload.size());
  EXPECT_EQ(frame.substr(0, 4), std::string("LGW\x01"));
  EXPECT_EQ(frame.substr(4, 4), std::string("\x0a\x00\x00\x00", 4));
  EXPECT_EQ(frame.substr(8, 8), Header(10, PayloadChecksum(payload)).substr(8, 8));
  EXPECT_EQ(frame.substr(16), payload);
}

TEST(WireFrame, ChecksumIsXxh3SixtyFourWithSeedZero) {
  // Published XXH3-64 values (seed 0), so an implementation in another
  // language can check its hash against ours (PROTOCOL.md repeats them).
  EXPECT_EQ(PayloadChecksum(""), 0x2D06800538D394C2ull);
  EXPECT_EQ(PayloadChecksum("a"), 0xE6C632B61E964E1Full);
}

// ---------------------------------------------------------------------------
// Round trip of every message type

TEST(WireMessages, HelloAndHelloOkRoundTrip) {
  Frame frame;
  const Message* hello = DecodeOne(EncodeHello(1, {.protocol_version = 3,
                                                   .min_protocol_version = 1,
                                                   .token = "s3cret",
                                                   .client_name = "billing/2.3"}),
                                   &frame);
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->request_id(), 1u);
  ASSERT_EQ(hello->body_type(), Body::Hello);
  EXPECT_EQ(hello->body_as_Hello()->protocol_version(), 3);
  EXPECT_EQ(hello->body_as_Hello()->min_protocol_version(), 1);
  EXPECT_EQ(hello->body_as_Hello()->token()->str(), "s3cret");
  EXPECT_EQ(hello->body_as_Hello()->client_name()->str(), "billing/2.3");

  Frame ok_frame;
  std::string org = Uuid::Random().ToString();
  const Message* ok = DecodeOne(EncodeHelloOk(1, {.protocol_version = 1,
                                                  .org_id = org,
                                                  .server_name = "ledgerd-a",
                                                  .max_frame_payload = 1 << 20,
                                                  .max_in_flight = 32}),
                                &ok_frame);
  ASSERT_NE(ok, nullptr);
  ASSERT_EQ(ok->body_type(), Body::HelloOk);
  const HelloOk* body = ok->body_as_HelloOk();
  EXPECT_EQ(body->protocol_version(), 1);
  EXPECT_EQ(body->org_id()->str(), org);
  EXPECT_EQ(body->server_name()->str(), "ledgerd-a");
  EXPECT_EQ(body->max_frame_payload(), 1u << 20);
  EXPECT_EQ(body->max_in_flight(), 32u);

  // An admin token: no org.
  Frame admin_frame;
  const Message* admin = DecodeOne(EncodeHelloOk(2, {.server_name = "x"}), &admin_frame);
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->body_as_HelloOk()->org_id(), nullptr);
}

TEST(WireMessages, AppendRoundTripsCommandsWithAlignedNestedEvents) {
  Uuid org = Uuid::Random();
  std::vector<Command> commands = {
      {TeamEvent(org, "a"), std::nullopt},
      {TeamEvent(org, "b"), 0},  // "a new org": version 0 is a real expectation
      {TeamEvent(org, "c"), 41},
      {"", std::nullopt},  // nonsense is the engine's to reject, per command
  };
  Frame frame;
  const Message* message = DecodeOne(EncodeAppend(7, commands), &frame);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->request_id(), 7u);
  ASSERT_EQ(message->body_type(), Body::Append);
  std::vector<Command> decoded = ToCommands(*message->body_as_Append());
  ASSERT_EQ(decoded.size(), commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    EXPECT_EQ(decoded[i].event, commands[i].event) << i;
    EXPECT_EQ(decoded[i].expected_version, commands[i].expected_version) << i;
  }
  // The event bytes can be read in place: 8-aligned and a valid Event.
  const CommandMsg* first = message->body_as_Append()->commands()->Get(0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first->event()->data()) % 8, 0u);
  flatbuffers::Verifier verifier(first->event()->data(), first->event()->size());
  EXPECT_TRUE(fb::VerifyEventBuffer(verifier));
  EXPECT_EQ(first->event_nested_root()->envelope()->org_id()->str(), org.ToString());
}

TEST(WireMessages, MalformedNestedEventDoesNotFailTheMessage) {
  // The engine answers a bad event with rule `malformed` for that command
  // alone; the wire layer must not turn it into an error of the whole Append.
  std::vector<Command> commands = {{std::string(40, '\x7f'), std::nullopt}};
  Frame frame;
  const Message* message = DecodeOne(EncodeAppend(9, commands), &frame);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(ToCommands(*message->body_as_Append())[0].event, commands[0].event);
}

TEST(WireMessages, AppendResultRoundTripsEveryKindOfResult) {
  Uuid org = Uuid::Random();
  std::vector<CommandResult> results(4);
  results[0].first_seq = 5;
  results[0].event_count = 2;
  results[0].positions = {Position{org, 5, 100, 1'700'000'000'000'001},
                          Position{org, 6, 101, 1'700'000'000'000'002}};
  results[1].status = Status::Rejected("agent_limit: employee 9c1d... holds 3 agents");
  results[1].rule = Rule::kAgentLimit;
  results[2].first_seq = 2;
  results[2].event_count = 1;
  results[2].replayed = true;
  results[3].status = Status::IoError("fsync failed");

  Frame frame;
  const Message* message = DecodeOne(EncodeAppendResult(11, results), &frame);
  ASSERT_NE(message, nullptr);
  ASSERT_EQ(message->body_type(), Body::AppendResult);
  Result<std::vector<CommandResult>> decoded = ToCommandResults(*message->body_as_AppendResult());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const CommandResult& want = results[i];
    const CommandResult& got = (*decoded)[i];
    EXPECT_EQ(got.status.code(), want.status.code()) << i;
    EXPECT_EQ(got.status.message(), want.status.message()) << i;
    EXPECT_EQ(got.rule, want.rule) << i;
    EXPECT_EQ(got.first_seq, want.first_seq) << i;
    EXPECT_EQ(got.event_count, want.event_count) << i;
    EXPECT_EQ(got.replayed, want.replayed) << i;
    ASSERT_EQ(got.positions.size(), want.positions.size()) << i;
    for (size_t p = 0; p < want.positions.size(); ++p) {
      EXPECT_EQ(got.positions[p].org, want.positions[p].org);
      EXPECT_EQ(got.positions[p].org_seq, want.positions[p].org_seq);
      EXPECT_EQ(got.positions[p].global_seq, want.positions[p].global_seq);
      EXPECT_EQ(got.positions[p].recorded_at, want.positions[p].recorded_at);
    }
  }
  // The raw numbers are the stable ones from status.h and rules.h.
  const CommandResultMsg* rejected = message->body_as_AppendResult()->results()->Get(1);
  EXPECT_EQ(rejected->code(), 8);
  EXPECT_EQ(rejected->rule(), 13);
}

TEST(WireMessages, ReadOrgSubscribeAndTreeHeadRequestsRoundTrip) {
  std::string org = Uuid::Random().ToString();
  Frame a, b, c, d;
  const Message* read = DecodeOne(EncodeReadOrg(21, org, 17, 500), &a);
  ASSERT_NE(read, nullptr);
  ASSERT_EQ(read->body_type(), Body::ReadOrg);
  EXPECT_EQ(read->body_as_ReadOrg()->org_id()->str(), org);
  EXPECT_EQ(read->body_as_ReadOrg()->from_seq(), 17u);
  EXPECT_EQ(read->body_as_ReadOrg()->max_events(), 500u);

  const Message* subscribe = DecodeOne(EncodeSubscribe(22, org, 3), &b);
  ASSERT_NE(subscribe, nullptr);
  ASSERT_EQ(subscribe->body_type(), Body::Subscribe);
  EXPECT_EQ(subscribe->body_as_Subscribe()->org_id()->str(), org);
  EXPECT_EQ(subscribe->body_as_Subscribe()->from_seq(), 3u);

  const Message* global = DecodeOne(EncodeSubscribe(23, "", 0), &c);
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->body_as_Subscribe()->org_id(), nullptr);  // the global feed

  const Message* head = DecodeOne(EncodeTreeHeadRequest(24, org, 99), &d);
  ASSERT_NE(head, nullptr);
  ASSERT_EQ(head->body_type(), Body::TreeHeadRequest);
  EXPECT_EQ(head->body_as_TreeHeadRequest()->org_id()->str(), org);
  EXPECT_EQ(head->body_as_TreeHeadRequest()->size(), 99u);
}

TEST(WireMessages, EventsFromARealLogRoundTripWithTheirExactStoredBytes) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  Uuid org = Uuid::Random();
  std::vector<std::string> events = {TeamEvent(org, "a"), TeamEvent(org, "b"), TeamEvent(org, "c")};
  std::vector<std::string_view> views(events.begin(), events.end());
  ASSERT_TRUE(log->Append(views).ok());
  std::vector<StoredEvent> stored;
  ASSERT_TRUE(log->ReadOrg(org, 1, 10, &stored).ok());
  ASSERT_EQ(stored.size(), 3u);

  for (bool subscription : {false, true}) {
    Frame frame;
    std::string bytes =
        subscription ? EncodeSubscriptionEvents(31, stored, true) : EncodeEvents(31, stored);
    const Message* message = DecodeOne(bytes, &frame);
    ASSERT_NE(message, nullptr);
    const flatbuffers::Vector<flatbuffers::Offset<EventRecord>>* records;
    if (subscription) {
      ASSERT_EQ(message->body_type(), Body::SubscriptionEvents);
      EXPECT_TRUE(message->body_as_SubscriptionEvents()->caught_up());
      records = message->body_as_SubscriptionEvents()->events();
    } else {
      ASSERT_EQ(message->body_type(), Body::Events);
      records = message->body_as_Events()->events();
    }
    Result<std::vector<StoredEvent>> decoded = ToStoredEvents(records);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_EQ(decoded->size(), stored.size());
    for (size_t i = 0; i < stored.size(); ++i) {
      const StoredEvent& got = (*decoded)[i];
      EXPECT_EQ(got.body, stored[i].body);
      EXPECT_EQ(got.leaf_hash, stored[i].leaf_hash);
      EXPECT_EQ(got.leaf_hash, LeafHash(got.body));  // what a client checks
      EXPECT_EQ(got.position.org, org);
      EXPECT_EQ(got.position.org_seq, stored[i].position.org_seq);
      EXPECT_EQ(got.position.global_seq, stored[i].position.global_seq);
      EXPECT_EQ(got.position.recorded_at, stored[i].position.recorded_at);
      EXPECT_EQ(got.event_bytes(), events[i]);
      // The event inside the body is 8-aligned in the payload: readable in place.
      EXPECT_EQ(reinterpret_cast<uintptr_t>(records->Get(i)->body()->data() + 32) % 8, 0u);
    }
  }
  Frame empty_frame;
  const Message* empty = DecodeOne(EncodeEvents(32, {}), &empty_frame);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->body_as_Events()->events()->size(), 0u);
}

TEST(WireMessages, TreeHeadReplyPingPongAndErrorRoundTrip) {
  TreeHead head;
  head.size = 12345;
  for (size_t i = 0; i < head.root.size(); ++i) head.root[i] = static_cast<uint8_t>(i * 7);
  std::string org = Uuid::Random().ToString();
  Frame a, b, c, d, e;
  const Message* reply = DecodeOne(EncodeTreeHeadReply(41, org, head), &a);
  ASSERT_NE(reply, nullptr);
  ASSERT_EQ(reply->body_type(), Body::TreeHeadReply);
  EXPECT_EQ(reply->body_as_TreeHeadReply()->org_id()->str(), org);
  Result<TreeHead> decoded = ToTreeHead(*reply->body_as_TreeHeadReply());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size, head.size);
  EXPECT_EQ(decoded->root, head.root);

  const Message* ping = DecodeOne(EncodePing(42), &b);
  ASSERT_NE(ping, nullptr);
  EXPECT_EQ(ping->body_type(), Body::Ping);
  EXPECT_EQ(ping->request_id(), 42u);
  const Message* pong = DecodeOne(EncodePong(42), &c);
  ASSERT_NE(pong, nullptr);
  EXPECT_EQ(pong->body_type(), Body::Pong);

  const Message* wire_error =
      DecodeOne(EncodeError(0, WireError{WireCode::kShuttingDown, "bye"}), &d);
  ASSERT_NE(wire_error, nullptr);
  ASSERT_EQ(wire_error->body_type(), Body::Error);
  EXPECT_EQ(wire_error->request_id(), 0u);
  EXPECT_EQ(wire_error->body_as_Error()->code(), 114);
  EXPECT_EQ(wire_error->body_as_Error()->message()->str(), "bye");

  const Message* ledger_error = DecodeOne(EncodeError(43, Status::NotFound("no such org")), &e);
  ASSERT_NE(ledger_error, nullptr);
  EXPECT_EQ(ledger_error->body_as_Error()->code(), 2);
  std::optional<Status> status = StatusFromWire(ledger_error->body_as_Error()->code(),
                                                ledger_error->body_as_Error()->message()->str());
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), Code::kNotFound);
  EXPECT_EQ(status->message(), "no such org");
}

TEST(WireMessages, EveryTypeIsSentByExactlyOneSide) {
  std::set<Body> client = {Body::Hello,           Body::Append, Body::ReadOrg,   Body::Subscribe,
                           Body::TreeHeadRequest, Body::Ping,   Body::OpenSealed};
  for (int i = 1; i <= static_cast<int>(Body::MAX); ++i) {
    Body type = static_cast<Body>(i);
    EXPECT_EQ(IsClientMessage(type), client.count(type) == 1) << EnumNameBody(type);
    EXPECT_NE(IsClientMessage(type), IsServerMessage(type)) << EnumNameBody(type);
  }
  EXPECT_FALSE(IsClientMessage(Body::NONE));
  EXPECT_FALSE(IsServerMessage(Body::NONE));
  EXPECT_FALSE(IsServerMessage(static_cast<Body>(200)));
}

TEST(WireMessages, VersionNegotiationPicksTheHighestCommonVersion) {
  EXPECT_EQ(NegotiateVersion(1, 1, 1, 1), 1);
  EXPECT_EQ(NegotiateVersion(5, 1, 3, 1), 3);  // newer client, older server
  EXPECT_EQ(NegotiateVersion(2, 1, 4, 2), 2);  // older client, newer server
  EXPECT_EQ(NegotiateVersion(4, 0, 5, 1), 4);  // client_min 0: only client_max
  EXPECT_EQ(NegotiateVersion(5, 0, 3, 1), std::nullopt);
  EXPECT_EQ(NegotiateVersion(7, 6, 5, 1), std::nullopt);  // client too new
  EXPECT_EQ(NegotiateVersion(1, 1, 5, 2), std::nullopt);  // client too old
  EXPECT_EQ(NegotiateVersion(kProtocolVersion, 0), kProtocolVersion);
}

TEST(WireMessages, ConvertersRefuseWhatTheEngineCannotRepresent) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(CreateCommandResultMsg(fbb, 99, 0));
  auto* unknown_code = flatbuffers::GetRoot<CommandResultMsg>(fbb.GetBufferPointer());
  EXPECT_EQ(ToCommandResult(*unknown_code).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(StatusFromWire(static_cast<uint16_t>(WireCode::kForbidden), "x").has_value());

  fbb.Clear();
  std::vector<EventPosition> positions = {EventPosition(1, 1, 1)};
  fbb.Finish(CreateCommandResultMsg(fbb, 0, 0, 0, 1, 1, false, fbb.CreateString("not-a-uuid"),
                                    fbb.CreateVectorOfStructs(positions)));
  auto* bad_org = flatbuffers::GetRoot<CommandResultMsg>(fbb.GetBufferPointer());
  EXPECT_EQ(ToCommandResult(*bad_org).status().code(), Code::kInvalidArgument);

  fbb.Clear();
  std::vector<uint8_t> short_hash(31);
  fbb.Finish(CreateEventRecordDirect(fbb, Uuid::Random().ToString().c_str(), 1, 1, 1, &short_hash));
  auto* record = flatbuffers::GetRoot<EventRecord>(fbb.GetBufferPointer());
  EXPECT_EQ(ToStoredEvent(*record).status().code(), Code::kInvalidArgument);

  fbb.Clear();
  fbb.Finish(CreateTreeHeadReplyDirect(fbb, "x", 1, &short_hash));
  EXPECT_EQ(
      ToTreeHead(*flatbuffers::GetRoot<TreeHeadReply>(fbb.GetBufferPointer())).status().code(),
      Code::kInvalidArgument);
}

TEST(WireMessages, EventRecordBoundCoversTheEncodedSize) {
  std::mt19937_64 random(7);
  Uuid org = Uuid::Random();
  Uuid other = Uuid::Random();
  for (int round = 0; round < 50; ++round) {
    std::vector<StoredEvent> events;
    size_t bound = kMessageOverheadBytes;
    size_t count = 1 + random() % 40;
    for (size_t i = 0; i < count; ++i) {
      std::string event(random() % 2000, 'e');
      events.push_back(FakeStoredEvent(random() % 2 ? org : other, i + 1, event));
      bound += EventRecordBytesBound(events.back());
    }
    std::string frame = EncodeSubscriptionEvents(~0ull, events, true);
    EXPECT_LE(frame.size() - kHeaderBytes, bound) << "round " << round;
  }
}

// ---------------------------------------------------------------------------
// The decoder and the byte stream

std::string MixedStream(std::vector<std::string>* payloads) {
  Uuid org = Uuid::Random();
  std::vector<std::string> frames = {
      EncodeHello(1, {.token = "t", .client_name = "c"}),
      EncodePing(2),
      EncodeAppend(3, std::vector<Command>{{TeamEvent(org, "x"), 4}, {TeamEvent(org, "y"), {}}}),
      EncodeFrame(""),  // an empty payload is a valid frame (and an invalid message)
      EncodeFrame(std::string(200'000, 'z')),  // crosses the decoder's compaction threshold
      EncodeError(0, WireError{WireCode::kUnhealthy, "log failed"}),
      EncodeReadOrg(5, org.ToString(), 1, 0),
  };
  std::string stream;
  for (const std::string& frame : frames) {
    stream += frame;
    payloads->push_back(frame.substr(kHeaderBytes));
  }
  return stream;
}

TEST(WireDecoder, OneByteAtATimeYieldsTheSameFrames) {
  std::vector<std::string> expected;
  std::string stream = MixedStream(&expected);
  EXPECT_EQ(DecodeAll(stream, [] { return size_t{1}; }), expected);
}

TEST(WireDecoder, RandomChunkingsYieldTheSameFrames) {
  std::vector<std::string> expected;
  std::string stream = MixedStream(&expected);
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 random(seed);
    // Small chunks split headers; large ones hold several frames.
    size_t scale = seed % 3 == 0 ? 17 : seed % 3 == 1 ? 1500 : 70'000;
    EXPECT_EQ(DecodeAll(stream, [&] { return 1 + random() % scale; }), expected) << seed;
  }
}

TEST(WireDecoder, SeveralFramesInOneFeed) {
  std::vector<std::string> expected;
  std::string stream = MixedStream(&expected);
  FrameDecoder decoder;
  decoder.Feed(stream);
  Frame frame;
  std::vector<std::string> got;
  while (decoder.Next(&frame) == FrameDecoder::Outcome::kFrame) got.push_back(frame.payload);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kNeedMore);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireDecoder, EveryFlippedPayloadByteIsAChecksumMismatch) {
  std::string frame = EncodeAppend(3, std::vector<Command>{{TeamEvent(Uuid::Random(), "x"), {}}});
  for (size_t i = kHeaderBytes; i < frame.size(); ++i) {
    std::string damaged = frame;
    damaged[i] ^= 0x10;
    EXPECT_EQ(ErrorOf(damaged), WireCode::kChecksumMismatch) << "byte " << i;
  }
  std::string bad_sum = frame;
  bad_sum[12] ^= 1;  // the checksum field itself
  EXPECT_EQ(ErrorOf(bad_sum), WireCode::kChecksumMismatch);
}

TEST(WireDecoder, TruncatedFrameNeedsMoreThenFailsAtEndOfStream) {
  std::string frame = EncodePing(1);
  for (size_t cut :
       {size_t{1}, size_t{3}, size_t{4}, kHeaderBytes - 1, kHeaderBytes, frame.size() - 1}) {
    FrameDecoder decoder;
    decoder.Feed(frame.data(), cut);
    Frame out;
    EXPECT_EQ(decoder.Next(&out), FrameDecoder::Outcome::kNeedMore) << cut;
    std::optional<WireError> end = decoder.EndOfStream();
    ASSERT_TRUE(end.has_value()) << cut;
    EXPECT_EQ(end->code, WireCode::kTruncatedFrame) << cut;
    EXPECT_EQ(decoder.Next(&out), FrameDecoder::Outcome::kError);
  }
  // A stream that ends on a frame boundary is a clean end.
  FrameDecoder clean;
  clean.Feed(frame + frame);
  Frame out;
  EXPECT_EQ(clean.Next(&out), FrameDecoder::Outcome::kFrame);
  EXPECT_EQ(clean.Next(&out), FrameDecoder::Outcome::kFrame);
  EXPECT_FALSE(clean.EndOfStream().has_value());
}

TEST(WireDecoder, OversizedLengthIsRefusedFromTheHeaderAlone) {
  // Only the header arrives: a peer claiming 4 GiB must be refused before it
  // sends (and before we buffer) a single payload byte.
  for (uint32_t claimed : {kPayloadMaxDefault + 1, 0xFFFFFFFFu}) {
    FrameDecoder decoder;
    decoder.Feed(Header(claimed));
    Frame frame;
    ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kError);
    EXPECT_EQ(decoder.error().code, WireCode::kFrameTooLarge);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
  // Even the first 8 bytes (magic, version, length) suffice.
  EXPECT_EQ(ErrorOf(Header(kHelloPayloadMax + 1).substr(0, 8), kHelloPayloadMax),
            WireCode::kFrameTooLarge);
}

TEST(WireDecoder, ExactlyTheMaximumIsAcceptedOneMoreByteIsNot) {
  for (uint32_t max : {uint32_t{1000}, kPayloadMaxDefault}) {
    std::string payload(max, 'p');
    FrameDecoder decoder(max);
    decoder.Feed(EncodeFrame(payload));
    Frame frame;
    ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kFrame) << max;
    EXPECT_EQ(frame.payload.size(), max);
    payload.push_back('p');
    EXPECT_EQ(ErrorOf(EncodeFrame(payload), max), WireCode::kFrameTooLarge) << max;
  }
}

TEST(WireDecoder, RaisingTheMaximumAfterTheHandshakeAppliesToLaterFrames) {
  FrameDecoder decoder(kHelloPayloadMax);
  std::string big = EncodeFrame(std::string(kHelloPayloadMax + 1, 'b'));
  decoder.Feed(EncodeHello(1, {.token = "t"}));
  Frame frame;
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kFrame);
  decoder.set_max_payload(kPayloadMaxDefault);
  decoder.Feed(big);
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kFrame);
  FrameDecoder clamped(0xFFFFFFFFu);
  EXPECT_EQ(clamped.max_payload(), kPayloadMaxLimit);
}

TEST(WireDecoder, ForeignProtocolsAreRefusedOnTheirFirstBytes) {
  EXPECT_EQ(ErrorOf("G"), WireCode::kBadMagic);             // "GET / HTTP/1.1"
  EXPECT_EQ(ErrorOf("\x16\x03\x01"), WireCode::kBadMagic);  // a TLS ClientHello
  EXPECT_EQ(ErrorOf("LGX"), WireCode::kBadMagic);
  EXPECT_EQ(ErrorOf("LGWP"), WireCode::kUnsupportedFrameVersion);  // "LGWP" is the payload's id
  EXPECT_EQ(ErrorOf(std::string("LGW\x00", 4)), WireCode::kUnsupportedFrameVersion);
  EXPECT_EQ(ErrorOf("LGW\x02"), WireCode::kUnsupportedFrameVersion);
}

TEST(WireDecoder, ErrorsAreFinalAndLaterBytesAreDropped) {
  FrameDecoder decoder;
  decoder.Feed(Header(kPayloadMaxDefault + 1));
  Frame frame;
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kError);
  decoder.Feed(EncodePing(1));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Outcome::kError);
  EXPECT_EQ(decoder.error().code, WireCode::kFrameTooLarge);
  std::optional<WireError> end = decoder.EndOfStream();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code, WireCode::kFrameTooLarge);
}

// ---------------------------------------------------------------------------
// Message verification

// REQUIRES: `payload` outlives *message (std::string storage is 8-aligned, as
// a decoded frame's).
WireCode VerifyError(const std::string& payload, const Message** message = nullptr) {
  std::optional<WireError> error = VerifyMessage(payload, message);
  return error.has_value() ? error->code : WireCode::kInternal;
}

TEST(WireVerify, GarbageAndForeignFlatBuffersAreInvalidMessages) {
  EXPECT_EQ(VerifyError(""), WireCode::kInvalidMessage);
  EXPECT_EQ(VerifyError("LGWP"), WireCode::kInvalidMessage);
  EXPECT_EQ(VerifyError(std::string(64, '\xff')), WireCode::kInvalidMessage);
  // A well-formed FlatBuffer of another schema: an event, identifier LGEV.
  EXPECT_EQ(VerifyError(TeamEvent(Uuid::Random(), "x")), WireCode::kInvalidMessage);
  // The right identifier on garbage.
  std::string fake = std::string("\x08\x00\x00\x00LGWP", 8) + std::string(32, '\x01');
  EXPECT_EQ(VerifyError(fake), WireCode::kInvalidMessage);
  // A real message cut short, or with an offset pointing out of the buffer.
  std::string hello = EncodeHello(1, {.token = "tok", .client_name = "name"}).substr(kHeaderBytes);
  for (size_t keep = 0; keep < hello.size(); ++keep) {
    EXPECT_EQ(VerifyError(hello.substr(0, keep)), WireCode::kInvalidMessage) << keep;
  }
  std::string wild = hello;
  wild[0] = '\x7f';
  EXPECT_EQ(VerifyError(wild), WireCode::kInvalidMessage);
}

TEST(WireVerify, UnknownBodyTypeIsReportedWithItsRequestId) {
  flatbuffers::FlatBufferBuilder fbb;
  std::string frame = FinishFrame(&fbb, 77, static_cast<Body>(200), CreatePing(fbb).Union());
  std::string payload = frame.substr(kHeaderBytes);
  const Message* message = nullptr;
  EXPECT_EQ(VerifyError(payload, &message), WireCode::kUnknownMessageType);
  ASSERT_NE(message, nullptr);  // so the server can answer request 77 alone
  EXPECT_EQ(message->request_id(), 77u);
  EXPECT_FALSE(ClosesConnection(WireCode::kUnknownMessageType));

  fbb.Clear();
  frame = FinishFrame(&fbb, 78, Body::NONE, 0);
  EXPECT_EQ(VerifyError(frame.substr(kHeaderBytes)), WireCode::kUnknownMessageType);

  // A known type whose table is missing is malformed, not unknown.
  fbb.Clear();
  frame = FinishFrame(&fbb, 79, Body::Ping, 0);
  payload = frame.substr(kHeaderBytes);
  EXPECT_EQ(VerifyError(payload, &message), WireCode::kInvalidMessage);
  EXPECT_EQ(message, nullptr);
}

TEST(WireVerify, ManyOffsetsToOneTableHitTheTableBound) {
  // 300,000 vector slots pointing at one small record: 1.2 MB of payload that
  // would cost 300,000 table verifications. The table bound stops it.
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint8_t> hash(32);
  std::vector<uint8_t> body(40);
  auto record =
      CreateEventRecordDirect(fbb, "1b4e28ba-2fa1-11d2-883f-0016d3cca427", 1, 1, 1, &hash, &body);
  std::vector<flatbuffers::Offset<EventRecord>> slots(kVerifierMaxTables + 50'000, record);
  std::string frame =
      FinishFrame(&fbb, 1, Body::Events, CreateEvents(fbb, fbb.CreateVector(slots)).Union());
  EXPECT_EQ(VerifyError(frame.substr(kHeaderBytes)), WireCode::kInvalidMessage);

  // The bound leaves room for the largest legitimate read.
  ASSERT_GE(kVerifierMaxTables, limits::kReadEventsMax + 2);
}

// ---------------------------------------------------------------------------
// Error codes and the protocol document

TEST(WireErrors, CodesAreNamedUniqueAndAboveTheLedgerCodes) {
  std::set<std::string> names;
  int count = 0;
  for (int n = kWireCodeFirst; n < kWireCodeFirst + 100; ++n) {
    std::string name = WireCodeName(static_cast<WireCode>(n));
    if (name == "unknown") break;
    ++count;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ErrorCodeName(static_cast<uint16_t>(n)), name);
  }
  EXPECT_EQ(count, static_cast<int>(WireCode::kTooManyConnections) - kWireCodeFirst + 1);
  EXPECT_STREQ(ErrorCodeName(8), "rejected");
  EXPECT_STREQ(ErrorCodeName(3), "corruption");
  // Every code the status enum has stays below the wire range.
  EXPECT_LT(static_cast<int>(Code::kInternal), kWireCodeFirst);
  for (WireCode framing :
       {WireCode::kBadMagic, WireCode::kUnsupportedFrameVersion, WireCode::kFrameTooLarge,
        WireCode::kChecksumMismatch, WireCode::kTruncatedFrame, WireCode::kNotAuthenticated}) {
    EXPECT_TRUE(ClosesConnection(framing)) << WireCodeName(framing);
  }
  EXPECT_TRUE(ClosesConnection(WireCode::kTooManyConnections));
  EXPECT_FALSE(ClosesConnection(WireCode::kTooManyInFlight));
  EXPECT_FALSE(ClosesConnection(WireCode::kForbidden));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(WireErrors, ProtocolDocumentListsEveryCodeAndRuleByNumberAndName) {
  std::string doc = ReadFile(std::string(LEDGER_TESTS_DIR) + "/../schemas/PROTOCOL.md");
  ASSERT_FALSE(doc.empty());
  auto row = [](int number, const std::string& name) {
    return "| " + std::to_string(number) + " | `" + name + "` |";
  };
  for (int n = 0; n <= static_cast<int>(Code::kRejected); ++n) {
    EXPECT_NE(doc.find(row(n, CodeName(static_cast<Code>(n)))), std::string::npos)
        << "PROTOCOL.md lacks " << row(n, CodeName(static_cast<Code>(n)));
  }
  for (int n = kWireCodeFirst; std::string(WireCodeName(static_cast<WireCode>(n))) != "unknown";
       ++n) {
    std::string name = WireCodeName(static_cast<WireCode>(n));
    EXPECT_NE(doc.find(row(n, name)), std::string::npos) << "PROTOCOL.md lacks " << row(n, name);
  }
  for (int n = 0; n == 0 || std::string(RuleName(static_cast<Rule>(n))) != "unknown"; ++n) {
    std::string name = RuleName(static_cast<Rule>(n));
    EXPECT_NE(doc.find(row(n, name)), std::string::npos) << "PROTOCOL.md lacks " << row(n, name);
  }
  for (int n = 1; n <= static_cast<int>(Body::MAX); ++n) {
    std::string name = EnumNameBody(static_cast<Body>(n));
    EXPECT_NE(doc.find(row(n, name)), std::string::npos) << "PROTOCOL.md lacks " << row(n, name);
  }
}

// ---------------------------------------------------------------------------
// Seeds for a future libFuzzer target over FrameDecoder + VerifyMessage.
// Run with LEDGER_WRITE_FRAME_CORPUS=1 to (re)write them into the source tree;
// otherwise the test checks that each stored seed still decodes as its name
// says, so the corpus cannot silently rot into all-invalid inputs.

struct Seed {
  std::string name;
  std::string bytes;
  size_t frames;                  // complete, verified messages
  std::optional<WireCode> error;  // from the decoder, VerifyMessage or EndOfStream
};

std::vector<Seed> Seeds() {
  Uuid org = *Uuid::Parse("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  std::vector<Command> commands = {{FixedTeamEvent("platform"), 0},
                                   {FixedTeamEvent("billing"), std::nullopt}};
  CommandResult ok;
  ok.first_seq = 1;
  ok.event_count = 1;
  ok.positions = {Position{org, 1, 1, 1'700'000'000'000'000}};
  CommandResult rejected;
  rejected.status = Status::Rejected("duplicate_id: team 7d444840-9dc0-11d1-b245-5ffdce74fad2");
  rejected.rule = Rule::kDuplicateId;
  std::vector<CommandResult> results = {ok, rejected};
  std::vector<StoredEvent> events = {FakeStoredEvent(org, 1, commands[0].event),
                                     FakeStoredEvent(org, 2, commands[1].event)};
  TreeHead head{2, LeafHash("seed")};

  std::string hello = EncodeHello(1, {.token = "seed-token", .client_name = "fuzz-seed"});
  std::string append = EncodeAppend(2, commands);
  std::string flipped = append;
  flipped[flipped.size() / 2] ^= 0x01;
  flatbuffers::FlatBufferBuilder fbb;
  std::string unknown = FinishFrame(&fbb, 3, static_cast<Body>(200), CreatePing(fbb).Union());

  return {
      {"hello", hello, 1, std::nullopt},
      {"hello_ok",
       EncodeHelloOk(1, {.org_id = org.ToString(), .server_name = "ledgerd", .max_in_flight = 64}),
       1, std::nullopt},
      {"append", append, 1, std::nullopt},
      {"append_result", EncodeAppendResult(2, results), 1, std::nullopt},
      {"read_org", EncodeReadOrg(4, org.ToString(), 1, 100), 1, std::nullopt},
      {"events", EncodeEvents(4, events), 1, std::nullopt},
      {"subscribe", EncodeSubscribe(5, "", 1), 1, std::nullopt},
      {"subscription_events", EncodeSubscriptionEvents(5, events, true), 1, std::nullopt},
      {"tree_head_request", EncodeTreeHeadRequest(6, org.ToString(), 0), 1, std::nullopt},
      {"tree_head_reply", EncodeTreeHeadReply(6, org.ToString(), head), 1, std::nullopt},
      {"ping_pong", EncodePing(7) + EncodePong(7), 2, std::nullopt},
      {"error", EncodeError(0, WireError{WireCode::kShuttingDown, "bye"}), 1, std::nullopt},
      {"session", hello + append + EncodePing(8), 3, std::nullopt},
      {"truncated_append", append.substr(0, append.size() - 5), 0, WireCode::kTruncatedFrame},
      {"truncated_header", hello.substr(0, 11), 0, WireCode::kTruncatedFrame},
      {"flipped_byte", flipped, 0, WireCode::kChecksumMismatch},
      {"oversized_header", Header(0xFFFFFFFFu), 0, WireCode::kFrameTooLarge},
      {"bad_magic", "GET / HTTP/1.1\r\n\r\n", 0, WireCode::kBadMagic},
      {"unknown_type", unknown, 0, WireCode::kUnknownMessageType},
      {"garbage_payload", EncodeFrame(std::string(48, '\x5a')), 0, WireCode::kInvalidMessage},
  };
}

// What a server loop would see: verified messages, then the first error.
std::pair<size_t, std::optional<WireCode>> RunSeed(std::string_view bytes) {
  FrameDecoder decoder;
  decoder.Feed(bytes);
  Frame frame;
  size_t messages = 0;
  FrameDecoder::Outcome outcome;
  while ((outcome = decoder.Next(&frame)) == FrameDecoder::Outcome::kFrame) {
    std::optional<WireError> error = VerifyMessage(frame.payload);
    if (error.has_value()) return {messages, error->code};
    ++messages;
  }
  if (outcome == FrameDecoder::Outcome::kError) return {messages, decoder.error().code};
  std::optional<WireError> end = decoder.EndOfStream();
  return {messages, end.has_value() ? std::optional(end->code) : std::nullopt};
}

TEST(WireFuzzCorpus, SeedFramesDecodeAsTheirNamesSay) {
  std::filesystem::path dir = std::filesystem::path(LEDGER_TESTS_DIR) / "fuzz" / "frame_corpus";
  bool write = std::getenv("LEDGER_WRITE_FRAME_CORPUS") != nullptr;
  if (write) std::filesystem::create_directories(dir);
  for (const Seed& seed : Seeds()) {
    auto [frames, error] = RunSeed(seed.bytes);
    EXPECT_EQ(frames, seed.frames) << seed.name;
    EXPECT_EQ(error, seed.error) << seed.name;
    std::filesystem::path path = dir / (seed.name + ".bin");
    if (write) {
      std::ofstream(path, std::ios::binary) << seed.bytes;
      continue;
    }
    std::string stored = ReadFile(path.string());
    ASSERT_FALSE(stored.empty()) << path << " is missing; run with LEDGER_WRITE_FRAME_CORPUS=1";
    auto [stored_frames, stored_error] = RunSeed(stored);
    EXPECT_EQ(stored_frames, seed.frames) << path;
    EXPECT_EQ(stored_error, seed.error) << path;
  }
}

}  // namespace
}  // namespace ledger::wire
