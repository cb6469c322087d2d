// Wire error codes: what an Error message tells a client about a frame, a
// message, the handshake or the server (schemas/PROTOCOL.md has the table).
//
// They share ONE number space with ledger::Code (status.h), which stays below
// 100: an Error's `code` is either, so a client in any language maps a number
// to one name without knowing where it came from. Stable: clients switch on
// these numbers. Only append; never renumber or reuse.
#pragma once

#include <cstdint>
#include <string>

namespace ledger::wire {

// Codes below this are ledger::Code values.
inline constexpr uint16_t kWireCodeFirst = 100;

enum class WireCode : uint16_t {
  // Framing: the byte stream cannot be trusted any more, so the connection
  // closes (there is no way to find the next frame boundary).
  kBadMagic = 100,                 // the frame does not start with "LGW"
  kUnsupportedFrameVersion = 101,  // "LGW" followed by a frame version other than 1
  kFrameTooLarge = 102,            // the header claims more than the receiver's maximum
  kChecksumMismatch = 103,         // XXH3-64 of the payload differs from the header's
  kTruncatedFrame = 104,           // the stream ended inside a frame

  // Messages.
  kInvalidMessage = 105,      // payload is not a valid ledger.wire.Message FlatBuffer
  kUnknownMessageType = 106,  // valid Message, but its body type is unknown (or none)
  kUnexpectedMessage = 107,   // a known type the receiver never accepts (second Hello, ...)
  kBadRequestId = 108,        // request_id is 0, or equals one still in flight

  // Handshake and authorization.
  kNotAuthenticated = 109,            // the first message was not Hello
  kAuthenticationFailed = 110,        // the token is unknown, expired or revoked
  kUnsupportedProtocolVersion = 111,  // no protocol version both sides speak
  kForbidden = 112,                   // the token may not touch that org (or feed)

  // Flow control and server state.
  kTooManyInFlight = 113,     // more requests in flight than HelloOk.max_in_flight
  kShuttingDown = 114,        // the server is stopping; retry elsewhere or later
  kUnhealthy = 115,           // the server cannot serve this now (e.g. its log failed)
  kInternal = 116,            // a server bug; the message says what
  kTooManyConnections = 117,  // the server is at its connection limit
};

// "checksum_mismatch" for kChecksumMismatch; "unknown" for numbers not listed.
const char* WireCodeName(WireCode code);

// The name of any code an Error or a CommandResultMsg carries: a
// ledger::Code's name (CodeName) below 100, a WireCodeName from 100 on.
const char* ErrorCodeName(uint16_t code);

// Whether the server closes the connection after sending an Error with this
// code. Framing errors must close (no next frame boundary); handshake errors
// close because nothing else may happen before a successful Hello.
bool ClosesConnection(WireCode code);

// A wire error with the detail for logs and for Error.message.
struct WireError {
  WireCode code = WireCode::kInternal;
  std::string message;

  // "checksum_mismatch: frame payload of 120 bytes: ..."
  std::string ToString() const;
};

}  // namespace ledger::wire
