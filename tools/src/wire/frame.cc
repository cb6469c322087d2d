#include "ledger/wire/frame.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace ledger::wire {
namespace {

// Header layout: offsets of the fields after the magic.
constexpr size_t kVersionOffset = 3;
constexpr size_t kLengthOffset = 4;
constexpr size_t kChecksumOffset = 8;

// Consumed bytes are dropped from the front of the buffer once they are at
// least this many and at least half the buffer, so compaction moves each byte
// O(1) times on average however the stream is chunked.
constexpr size_t kCompactAtLeast = 64 << 10;
// An empty buffer keeps its capacity up to this size; beyond it (after a large
// frame) the memory is returned, so idle connections stay small.
constexpr size_t kKeepCapacity = 1 << 20;

uint32_t GetFixed32(const char* p) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(p[i]);
  return value;
}

uint64_t GetFixed64(const char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(p[i]);
  return value;
}

void PutFixed(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

std::string Printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

uint64_t PayloadChecksum(std::string_view payload) {
  // XXH3_64bits is XXH3-64 with seed 0, the definition PROTOCOL.md gives.
  return XXH3_64bits(payload.data(), payload.size());
}

void AppendFrame(std::string_view payload, std::string* out) {
  out->reserve(out->size() + kHeaderBytes + payload.size());
  out->append(kMagic);
  out->push_back(static_cast<char>(kFrameVersion));
  PutFixed(out, payload.size(), 4);
  PutFixed(out, PayloadChecksum(payload), 8);
  out->append(payload);
}

std::string EncodeFrame(std::string_view payload) {
  std::string frame;
  AppendFrame(payload, &frame);
  return frame;
}

FrameDecoder::FrameDecoder(uint32_t max_payload)
    : max_payload_(std::min(max_payload, kPayloadMaxLimit)) {}

void FrameDecoder::set_max_payload(uint32_t max_payload) {
  max_payload_ = std::min(max_payload, kPayloadMaxLimit);
}

void FrameDecoder::Feed(const char* data, size_t size) {
  // After an error nothing more will be decoded; keeping the bytes would only
  // let the peer grow our memory.
  if (error_.has_value()) return;
  buffer_.append(data, size);
}

void FrameDecoder::Fail(WireCode code, std::string message) {
  error_ = WireError{code, std::move(message)};
  buffer_.clear();
  buffer_.shrink_to_fit();
  start_ = 0;
}

void FrameDecoder::CheckHeader(std::string_view available) {
  // Each field is judged as soon as its bytes are here, so a peer speaking
  // another protocol (an HTTP "GET ", a TLS hello) is refused on its first
  // byte, and an oversized length before any payload is buffered.
  size_t magic = std::min(available.size(), kMagic.size());
  if (available.substr(0, magic) != kMagic.substr(0, magic)) {
    Fail(WireCode::kBadMagic,
         "frame starts with \"" +
             Printable(available.substr(0, std::min<size_t>(8, available.size()))) +
             "\", expected \"LGW\"");
    return;
  }
  if (available.size() > kVersionOffset &&
      static_cast<uint8_t>(available[kVersionOffset]) != kFrameVersion) {
    Fail(WireCode::kUnsupportedFrameVersion,
         "frame version " + std::to_string(static_cast<uint8_t>(available[kVersionOffset])) +
             ", this build reads version " + std::to_string(kFrameVersion));
    return;
  }
  if (available.size() >= kLengthOffset + 4) {
    uint32_t length = GetFixed32(available.data() + kLengthOffset);
    if (length > max_payload_) {
      Fail(WireCode::kFrameTooLarge, "frame payload of " + std::to_string(length) +
                                         " bytes, the maximum is " + std::to_string(max_payload_));
    }
  }
}

FrameDecoder::Outcome FrameDecoder::Next(Frame* frame) {
  if (error_.has_value()) return Outcome::kError;
  std::string_view available = std::string_view(buffer_).substr(start_);
  CheckHeader(available);
  if (error_.has_value()) return Outcome::kError;
  if (available.size() < kHeaderBytes) return Outcome::kNeedMore;

  uint32_t length = GetFixed32(available.data() + kLengthOffset);
  if (available.size() - kHeaderBytes < length) return Outcome::kNeedMore;

  frame->payload.assign(available.data() + kHeaderBytes, length);
  uint64_t expected = GetFixed64(available.data() + kChecksumOffset);
  uint64_t actual = PayloadChecksum(frame->payload);
  if (actual != expected) {
    frame->payload.clear();
    Fail(WireCode::kChecksumMismatch,
         "frame payload of " + std::to_string(length) + " bytes: header says XXH3-64 " +
             std::to_string(expected) + ", payload hashes to " + std::to_string(actual));
    return Outcome::kError;
  }
  Consume(kHeaderBytes + length);
  return Outcome::kFrame;
}

void FrameDecoder::Consume(size_t bytes) {
  start_ += bytes;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
    if (buffer_.capacity() > kKeepCapacity) buffer_.shrink_to_fit();
  } else if (start_ >= kCompactAtLeast && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

std::optional<WireError> FrameDecoder::EndOfStream() {
  if (error_.has_value()) return error_;
  size_t pending = buffered_bytes();
  if (pending == 0) return std::nullopt;
  std::string detail;
  if (pending < kHeaderBytes) {
    detail = "the stream ended " + std::to_string(pending) + " bytes into a 16-byte frame header";
  } else {
    uint32_t length = GetFixed32(buffer_.data() + start_ + kLengthOffset);
    detail = "the stream ended " + std::to_string(pending - kHeaderBytes) + " bytes into a " +
             std::to_string(length) + "-byte frame payload";
  }
  Fail(WireCode::kTruncatedFrame, std::move(detail));
  return error_;
}

std::optional<WireError> VerifyMessage(std::string_view payload, const Message** message) {
  if (message != nullptr) *message = nullptr;
  // Also keeps the verifier's own precondition (size below 2 GiB) for callers
  // that did not come through a FrameDecoder.
  if (payload.size() > kPayloadMaxLimit) {
    return WireError{WireCode::kInvalidMessage,
                     "payload of " + std::to_string(payload.size()) + " bytes is over the limit"};
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(payload.data());
  // The root offset and the file identifier: BufferHasIdentifier reads both.
  if (payload.size() < 2 * sizeof(flatbuffers::uoffset_t) ||
      !flatbuffers::BufferHasIdentifier(bytes, MessageIdentifier())) {
    return WireError{WireCode::kInvalidMessage,
                     "payload of " + std::to_string(payload.size()) +
                         " bytes is not a ledger.wire.Message (file identifier \"LGWP\")"};
  }
  flatbuffers::Verifier::Options options;
  options.max_depth = kVerifierMaxDepth;
  options.max_tables = kVerifierMaxTables;
  options.check_alignment = true;
  // The engine verifies each command's event itself (see frame.h).
  options.check_nested_flatbuffers = false;
  flatbuffers::Verifier verifier(bytes, payload.size(), options);
  if (!verifier.VerifyBuffer<Message>(MessageIdentifier())) {
    return WireError{WireCode::kInvalidMessage,
                     "payload of " + std::to_string(payload.size()) +
                         " bytes fails the FlatBuffers verifier for ledger.wire.Message"};
  }
  const Message* parsed = GetMessage(bytes);
  Body type = parsed->body_type();
  // The generated verifier accepts union types it does not know (so that old
  // readers skip new types); this check is what refuses them. NONE is refused
  // too: a message must say what it is.
  if (type == Body::NONE || type > Body::MAX) {
    if (message != nullptr) *message = parsed;
    std::string what = type == Body::NONE
                           ? std::string("no body")
                           : "body type " + std::to_string(static_cast<unsigned>(type)) +
                                 " (this build knows 1.." +
                                 std::to_string(static_cast<unsigned>(Body::MAX)) + ")";
    return WireError{WireCode::kUnknownMessageType,
                     "request " + std::to_string(parsed->request_id()) + ": " + what};
  }
  if (parsed->body() == nullptr) {
    return WireError{WireCode::kInvalidMessage, "request " + std::to_string(parsed->request_id()) +
                                                    ": " + EnumNameBody(type) +
                                                    " message without its body table"};
  }
  if (message != nullptr) *message = parsed;
  return std::nullopt;
}

}  // namespace ledger::wire
