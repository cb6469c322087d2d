// libFuzzer target: a byte stream through FrameDecoder, then VerifyMessage
// and the converters on every frame it yields.
//
// Input: a stream of bytes as a peer would send it, the same format as the
// seeds in frame_corpus/ (and WireFuzzCorpus in tests/wire_test.cc). A hash
// of the input chooses the receiver's maximum payload and how the stream is
// cut into Feed calls, so every byte stays part of the stream.
//
// Invariants checked, beyond "no crash, no sanitizer report":
//   - chunking does not matter: the stream fed in random pieces yields the
//     same frames and the same final outcome as the stream fed at once;
//   - a frame re-encodes (EncodeFrame) to exactly the bytes it came from;
//   - while waiting for more, the decoder holds less than one header plus
//     one maximum payload (it never buffers past a frame it can judge);
//   - a message that verifies and converts survives encode -> decode.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ledger/wire/frame.h"
#include "ledger/wire/messages.h"

namespace {

using ledger::wire::FrameDecoder;

// Aborts with a message: libFuzzer records the input as a crash.
void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "frame_fuzz invariant broken: %s\n", what);
  std::abort();
}

struct Decoded {
  std::vector<std::string> payloads;
  FrameDecoder::Outcome last = FrameDecoder::Outcome::kNeedMore;
  ledger::wire::WireCode error = ledger::wire::WireCode::kInternal;
};

// Drains every complete frame; returns false once the decoder failed.
bool Drain(FrameDecoder& decoder, Decoded* out) {
  ledger::wire::Frame frame;
  while (true) {
    out->last = decoder.Next(&frame);
    if (out->last == FrameDecoder::Outcome::kFrame) {
      out->payloads.push_back(frame.payload);
      continue;
    }
    if (out->last == FrameDecoder::Outcome::kError) {
      out->error = decoder.error().code;
      return false;
    }
    Check(decoder.buffered_bytes() < ledger::wire::kHeaderBytes + decoder.max_payload(),
          "decoder buffers more than one frame while waiting");
    return true;
  }
}

// The end-of-stream verdict: a clean end only on a frame boundary.
void CheckEnd(FrameDecoder& decoder) {
  bool was_failed = decoder.failed();
  size_t pending = decoder.buffered_bytes();
  std::optional<ledger::wire::WireError> end = decoder.EndOfStream();
  if (was_failed) {
    Check(end.has_value(), "EndOfStream forgot the earlier error");
  } else if (pending == 0) {
    Check(!end.has_value(), "clean end of stream reported as an error");
  } else {
    Check(end.has_value() && end->code == ledger::wire::WireCode::kTruncatedFrame,
          "stream ending inside a frame is not truncated_frame");
  }
}

void CheckAppendRoundTrip(uint64_t request_id, const ledger::wire::Append& append) {
  std::vector<ledger::Command> commands = ledger::wire::ToCommands(append);
  std::string again = ledger::wire::EncodeAppend(request_id, commands);
  FrameDecoder decoder;
  decoder.Feed(again);
  ledger::wire::Frame frame;
  Check(decoder.Next(&frame) == FrameDecoder::Outcome::kFrame, "re-encoded Append is no frame");
  const ledger::wire::Message* message = nullptr;
  Check(!ledger::wire::VerifyMessage(frame.payload, &message), "re-encoded Append fails verify");
  Check(message->request_id() == request_id, "Append request_id changed");
  std::vector<ledger::Command> back = ledger::wire::ToCommands(*message->body_as_Append());
  Check(back.size() == commands.size(), "Append command count changed");
  for (size_t i = 0; i < back.size(); ++i) {
    Check(back[i].event == commands[i].event, "Append event bytes changed");
    Check(back[i].expected_version == commands[i].expected_version,
          "Append expected_version changed");
  }
}

void CheckEventsRoundTrip(uint64_t request_id, const ledger::wire::Events& events) {
  auto converted = ledger::wire::ToStoredEvents(events.events());
  if (!converted.ok()) return;
  std::string again = ledger::wire::EncodeEvents(request_id, *converted);
  std::string payload = again.substr(ledger::wire::kHeaderBytes);
  const ledger::wire::Message* message = nullptr;
  Check(!ledger::wire::VerifyMessage(payload, &message), "re-encoded Events fails verify");
  auto back = ledger::wire::ToStoredEvents(message->body_as_Events()->events());
  Check(back.ok() && back->size() == converted->size(), "Events count changed");
  for (size_t i = 0; i < back->size(); ++i) {
    const ledger::StoredEvent& a = (*back)[i];
    const ledger::StoredEvent& b = (*converted)[i];
    Check(a.position.org == b.position.org && a.position.org_seq == b.position.org_seq &&
              a.position.global_seq == b.position.global_seq &&
              a.position.recorded_at == b.position.recorded_at,
          "Events position changed");
    Check(a.leaf_hash == b.leaf_hash && a.body == b.body, "Events record bytes changed");
  }
}

// Every converter a receiver may call on a verified message must return a
// value or an error, never read out of bounds; two get a round trip.
void CheckMessage(const std::string& payload) {
  const ledger::wire::Message* message = nullptr;
  std::optional<ledger::wire::WireError> error = ledger::wire::VerifyMessage(payload, &message);
  if (error) {
    Check(error->code == ledger::wire::WireCode::kInvalidMessage ||
              error->code == ledger::wire::WireCode::kUnknownMessageType,
          "VerifyMessage returned a framing code");
    Check((message != nullptr) == (error->code == ledger::wire::WireCode::kUnknownMessageType),
          "message pointer disagrees with the error code");
    return;
  }
  ledger::wire::Body type = message->body_type();
  Check(ledger::wire::IsClientMessage(type) != ledger::wire::IsServerMessage(type),
        "a verified body type is neither or both client and server");
  uint64_t id = message->request_id();
  using ledger::wire::Body;
  switch (type) {
    case Body::Append:
      CheckAppendRoundTrip(id, *message->body_as_Append());
      break;
    case Body::AppendResult:
      (void)ledger::wire::ToCommandResults(*message->body_as_AppendResult());
      break;
    case Body::Events:
      CheckEventsRoundTrip(id, *message->body_as_Events());
      break;
    case Body::SubscriptionEvents:
      (void)ledger::wire::ToStoredEvents(message->body_as_SubscriptionEvents()->events());
      break;
    case Body::TreeHeadReply:
      (void)ledger::wire::ToTreeHead(*message->body_as_TreeHeadReply());
      (void)ledger::wire::ToHeadSignature(*message->body_as_TreeHeadReply());
      break;
    case Body::OpenSealed:
      if (const auto* values = message->body_as_OpenSealed()->values()) {
        for (const ledger::fb::Sealed* sealed : *values) {
          if (sealed != nullptr) (void)ledger::wire::ToSealedValue(*sealed);
        }
      }
      break;
    case Body::OpenedValues:
      (void)ledger::wire::ToOpenedValues(*message->body_as_OpenedValues());
      break;
    case Body::Error: {
      const ledger::wire::Error* e = message->body_as_Error();
      (void)ledger::wire::ErrorCodeName(e->code());
      std::string_view text = e->message() ? e->message()->string_view() : std::string_view();
      (void)ledger::wire::StatusFromWire(e->code(), text);
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string stream(reinterpret_cast<const char*>(data), size);
  uint64_t hash = ledger::wire::PayloadChecksum(stream);
  // Small limits too, so that frame_too_large is reached by small inputs.
  static constexpr uint32_t kLimits[] = {64, 4096, ledger::wire::kHelloPayloadMax,
                                         ledger::wire::kPayloadMaxDefault};
  uint32_t max_payload = kLimits[hash % 4];
  uint32_t chunk_seed = static_cast<uint32_t>(hash >> 32);

  // Fed at once.
  FrameDecoder whole(max_payload);
  Decoded at_once;
  whole.Feed(stream);
  Drain(whole, &at_once);
  CheckEnd(whole);

  // Fed in pieces of 1..64 bytes, draining after each (as a session does).
  FrameDecoder pieces(max_payload);
  Decoded chunked;
  uint32_t state = chunk_seed | 1;
  for (size_t at = 0; at < stream.size();) {
    state ^= state << 13, state ^= state >> 17, state ^= state << 5;  // xorshift32
    size_t piece = std::min<size_t>(1 + state % 64, stream.size() - at);
    pieces.Feed(stream.data() + at, piece);
    at += piece;
    if (!Drain(pieces, &chunked)) break;
  }
  Check(chunked.payloads == at_once.payloads, "chunking changed the frames");
  Check(chunked.last == at_once.last, "chunking changed the outcome");
  if (at_once.last == FrameDecoder::Outcome::kError) {
    Check(chunked.error == at_once.error, "chunking changed the error");
  }
  CheckEnd(pieces);

  size_t offset = 0;
  for (const std::string& payload : at_once.payloads) {
    std::string frame = ledger::wire::EncodeFrame(payload);
    Check(stream.compare(offset, frame.size(), frame) == 0, "frame does not re-encode to itself");
    offset += frame.size();
    CheckMessage(payload);
  }
  return 0;
}
