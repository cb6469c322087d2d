#include "ledger/wire/errors.h"

#include "ledger/status.h"

namespace ledger::wire {

const char* WireCodeName(WireCode code) {
  switch (code) {
    case WireCode::kBadMagic:
      return "bad_magic";
    case WireCode::kUnsupportedFrameVersion:
      return "unsupported_frame_version";
    case WireCode::kFrameTooLarge:
      return "frame_too_large";
    case WireCode::kChecksumMismatch:
      return "checksum_mismatch";
    case WireCode::kTruncatedFrame:
      return "truncated_frame";
    case WireCode::kInvalidMessage:
      return "invalid_message";
    case WireCode::kUnknownMessageType:
      return "unknown_message_type";
    case WireCode::kUnexpectedMessage:
      return "unexpected_message";
    case WireCode::kBadRequestId:
      return "bad_request_id";
    case WireCode::kNotAuthenticated:
      return "not_authenticated";
    case WireCode::kAuthenticationFailed:
      return "authentication_failed";
    case WireCode::kUnsupportedProtocolVersion:
      return "unsupported_protocol_version";
    case WireCode::kForbidden:
      return "forbidden";
    case WireCode::kTooManyInFlight:
      return "too_many_in_flight";
    case WireCode::kShuttingDown:
      return "shutting_down";
    case WireCode::kUnhealthy:
      return "unhealthy";
    case WireCode::kInternal:
      return "internal";
    case WireCode::kTooManyConnections:
      return "too_many_connections";
  }
  return "unknown";
}

const char* ErrorCodeName(uint16_t code) {
  if (code < kWireCodeFirst) return CodeName(static_cast<Code>(code));
  return WireCodeName(static_cast<WireCode>(code));
}

bool ClosesConnection(WireCode code) {
  switch (code) {
    case WireCode::kBadMagic:
    case WireCode::kUnsupportedFrameVersion:
    case WireCode::kFrameTooLarge:
    case WireCode::kChecksumMismatch:
    case WireCode::kTruncatedFrame:
    // The payload cannot be read, so neither can its request_id: the reply
    // could not name the request it answers.
    case WireCode::kInvalidMessage:
    // A peer that sends the other side's messages or reuses ids has lost
    // track of the conversation; answering would only add to the confusion.
    case WireCode::kUnexpectedMessage:
    case WireCode::kBadRequestId:
    case WireCode::kNotAuthenticated:
    case WireCode::kAuthenticationFailed:
    case WireCode::kUnsupportedProtocolVersion:
    case WireCode::kShuttingDown:
    case WireCode::kTooManyConnections:
      return true;
    // A newer client may try a type this server does not know; the request
    // fails alone, so clients can probe for features.
    case WireCode::kUnknownMessageType:
    case WireCode::kForbidden:
    case WireCode::kTooManyInFlight:
    case WireCode::kUnhealthy:
    case WireCode::kInternal:
      return false;
  }
  return true;
}

std::string WireError::ToString() const { return std::string(WireCodeName(code)) + ": " + message; }

}  // namespace ledger::wire
