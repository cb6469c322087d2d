// Frames: how ledger.wire.Message payloads travel on a TCP byte stream
// (schemas/PROTOCOL.md, "Framing").
//
//   frame    := header payload
//   header   := magic:"LGW" version:u8(=1) length:fixed32le checksum:fixed64le   ; 16 bytes
//   checksum := XXH3-64 (seed 0) of the `length` payload bytes
//   payload  := ledger.wire.Message FlatBuffer (file identifier "LGWP")
//
// The checksum catches corruption (a buggy proxy, a buffer reused too early);
// it is not authentication and not tamper evidence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/fb/protocol_generated.h"
#include "ledger/wire/errors.h"

namespace ledger::wire {

inline constexpr std::string_view kMagic = "LGW";
inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kHeaderBytes = 16;

// The largest payload a peer must accept, and the default maximum of both
// sides. 16 MiB holds the largest event (limits::kEventBytesMax, 1 MiB) many
// times over and thousands of typical commands, while bounding the memory one
// connection can pin.
inline constexpr uint32_t kPayloadMaxDefault = 16u << 20;
// Before the handshake a server accepts only this much: Hello is a few
// hundred bytes, and an unauthenticated peer must not make it buffer 16 MiB.
inline constexpr uint32_t kHelloPayloadMax = 64u << 10;
// No configuration may exceed this: FlatBuffers cannot address 2 GiB, and a
// gigabyte per connection is already more than any sane deployment wants.
inline constexpr uint32_t kPayloadMaxLimit = 1u << 30;

// XXH3-64 with seed 0 over the payload bytes: the header's checksum field.
uint64_t PayloadChecksum(std::string_view payload);

// Appends header + payload to `out`.
// REQUIRES: payload.size() <= kPayloadMaxLimit.
void AppendFrame(std::string_view payload, std::string* out);
std::string EncodeFrame(std::string_view payload);

struct Frame {
  // A copy of the payload in its own allocation: std::string data is at least
  // 8-byte aligned, which FlatBuffers' verifier and accessors require.
  std::string payload;
};

// Splits a byte stream into frames. Feed it what the socket delivers, in any
// chunking, then call Next until it stops returning kFrame.
//
// Errors are final: after one, the stream has no trustworthy frame boundary,
// so Next keeps returning the same error and Feed drops its input; the
// connection must be closed.
//
// Memory: the decoder buffers at most one incomplete frame (whose length is
// already checked against the maximum) plus whatever one Feed adds. It never
// allocates a frame's claimed length up front, so a peer that announces a
// large frame and sends nothing pins only the bytes it really sent.
class FrameDecoder {
 public:
  enum class Outcome {
    kFrame,     // *frame holds the next payload
    kNeedMore,  // no complete frame yet; Feed more bytes
    kError,     // error() says what; the stream is unusable
  };

  // max_payload is clamped to kPayloadMaxLimit.
  explicit FrameDecoder(uint32_t max_payload = kPayloadMaxDefault);

  // Changes the maximum for frames whose header is not yet read, e.g. from
  // kHelloPayloadMax to the full limit once the handshake is done.
  void set_max_payload(uint32_t max_payload);
  uint32_t max_payload() const { return max_payload_; }

  void Feed(const char* data, size_t size);
  void Feed(std::string_view bytes) { Feed(bytes.data(), bytes.size()); }

  // Header errors (bad magic, unknown version, oversized length) are reported
  // as soon as the offending header bytes arrive, before any of the payload.
  Outcome Next(Frame* frame);

  // Call when the peer closed its side: nullopt if the stream ended on a
  // frame boundary, else kTruncatedFrame (or the error already seen).
  std::optional<WireError> EndOfStream();

  // REQUIRES: Next returned kError.
  const WireError& error() const { return *error_; }
  bool failed() const { return error_.has_value(); }
  // Bytes received but not yet returned as frames.
  size_t buffered_bytes() const { return buffer_.size() - start_; }

 private:
  // Checks the header bytes that have arrived; sets error_ on the first bad one.
  void CheckHeader(std::string_view available);
  void Fail(WireCode code, std::string message);
  void Consume(size_t bytes);

  uint32_t max_payload_;
  std::string buffer_;
  size_t start_ = 0;  // where the next frame starts in buffer_
  std::optional<WireError> error_;
};

// Verifier bounds for a Message: its tables nest 3 deep (Message, body,
// record), with room for fields added later; up to limits::kReadEventsMax
// records fit in one Events. The table bound caps verification time for a hostile buffer
// whose offsets all point at the same table.
inline constexpr unsigned kVerifierMaxDepth = 16;
inline constexpr unsigned kVerifierMaxTables = 250'000;

// Checks that `payload` is a ledger.wire.Message: the file identifier, the
// FlatBuffers verifier (bounded depth and table count, alignment checked) and
// a body type this build knows. Nested event bytes (CommandMsg.event) are NOT
// verified here: the engine verifies each command's event, so a malformed one
// fails that command alone (rule `malformed`).
//
// On success returns nullopt and sets *message (if given). kInvalidMessage
// leaves *message null. kUnknownMessageType still sets *message: the table
// verified, so request_id can be read to answer that request alone.
// REQUIRES: payload.data() is 8-byte aligned (Frame::payload is).
std::optional<WireError> VerifyMessage(std::string_view payload, const Message** message = nullptr);

}  // namespace ledger::wire
