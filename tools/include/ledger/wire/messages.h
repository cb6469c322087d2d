// Building and reading ledger.wire messages (schemas/protocol.fbs): one
// Encode* function per message type, each returning a complete frame ready
// to write to the socket, and converters between the wire tables and the
// engine's types (Command, CommandResult, StoredEvent, TreeHead, SealedValue).
// Shared by ledgerd and its C++ clients, so both sides agree on every field by
// construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/commands.h"
#include "ledger/event_log.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"
#include "ledger/subject_keys.h"
#include "ledger/wire/errors.h"
#include "ledger/wire/frame.h"

namespace ledger::wire {

// The protocol versions this build speaks (PROTOCOL.md, "Versions").
inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr uint16_t kProtocolVersionMin = 1;

// The highest version in both [client_min, client_max] and [server_min,
// server_max]; client_min 0 means client_max. nullopt: no common version
// (the server answers kUnsupportedProtocolVersion).
std::optional<uint16_t> NegotiateVersion(uint16_t client_max, uint16_t client_min,
                                         uint16_t server_max = kProtocolVersion,
                                         uint16_t server_min = kProtocolVersionMin);

// Who sends each message type. A server refuses server types from a client
// (and a client the reverse) with kUnexpectedMessage.
bool IsClientMessage(Body type);
bool IsServerMessage(Body type);

// ---------------------------------------------------------------------------
// Encoders: each returns header + Message payload.

struct HelloArgs {
  uint16_t protocol_version = kProtocolVersion;
  uint16_t min_protocol_version = kProtocolVersionMin;
  // Initialized so that callers may name only the fields they set.
  std::string_view token{};
  std::string_view client_name{};
};

struct HelloOkArgs {
  uint16_t protocol_version = kProtocolVersion;
  std::string_view org_id{};  // empty for an admin token
  std::string_view server_name{};
  uint32_t max_frame_payload = kPayloadMaxDefault;
  uint32_t max_in_flight = 0;
};

std::string EncodeHello(uint64_t request_id, const HelloArgs& hello);
std::string EncodeHelloOk(uint64_t request_id, const HelloOkArgs& ok);
std::string EncodeAppend(uint64_t request_id, std::span<const Command> commands);
std::string EncodeAppendResult(uint64_t request_id, std::span<const CommandResult> results);
std::string EncodeReadOrg(uint64_t request_id, std::string_view org_id, uint64_t from_seq,
                          uint32_t max_events);
// To stay under a frame maximum, pack events while kMessageOverheadBytes plus
// the sum of their EventRecordBytesBound fits.
std::string EncodeEvents(uint64_t request_id, std::span<const StoredEvent> events);
std::string EncodeSubscribe(uint64_t request_id, std::string_view org_id, uint64_t from_seq);
std::string EncodeSubscriptionEvents(uint64_t request_id, std::span<const StoredEvent> events,
                                     bool caught_up);
std::string EncodeTreeHeadRequest(uint64_t request_id, std::string_view org_id, uint64_t size);
// The signature fields of a TreeHeadReply (PROTOCOL.md): all empty (and
// timestamp 0) from a server that does not sign heads.
struct HeadSignature {
  int64_t timestamp = 0;  // microseconds since the epoch
  std::string key;        // 32 bytes: Ed25519 public key
  std::string signature;  // 64 bytes: Ed25519 signature
};
std::string EncodeTreeHeadReply(uint64_t request_id, std::string_view org_id, const TreeHead& head,
                                const HeadSignature& signature = {});
std::string EncodeOpenSealed(uint64_t request_id, std::span<const SealedValue> values);
// One per requested value, in order; nullopt: erased (the subject was forgotten).
std::string EncodeOpenedValues(uint64_t request_id,
                               std::span<const std::optional<std::string>> values);
std::string EncodePing(uint64_t request_id);
std::string EncodePong(uint64_t request_id);
// `code` is a ledger::Code (below 100) or a WireCode.
std::string EncodeError(uint64_t request_id, uint16_t code, std::string_view message);
std::string EncodeError(uint64_t request_id, const WireError& error);
// REQUIRES: !status.ok().
std::string EncodeError(uint64_t request_id, const Status& status);

// ---------------------------------------------------------------------------
// Parts, for messages built by hand (tests, fuzz seeds, future types).

// Finishes Message{request_id, body} with the "LGWP" identifier and returns
// it framed. `fbb` is left finished; Clear() it before reuse.
std::string FinishFrame(flatbuffers::FlatBufferBuilder* fbb, uint64_t request_id, Body type,
                        flatbuffers::Offset<void> body);

flatbuffers::Offset<CommandMsg> BuildCommand(flatbuffers::FlatBufferBuilder* fbb,
                                             const Command& command);
flatbuffers::Offset<CommandResultMsg> BuildCommandResult(flatbuffers::FlatBufferBuilder* fbb,
                                                         const CommandResult& result);
flatbuffers::Offset<EventRecord> BuildEventRecord(flatbuffers::FlatBufferBuilder* fbb,
                                                  const StoredEvent& event);

// Upper bounds, in payload bytes, of one EventRecord and of everything else in
// an Events or SubscriptionEvents message.
size_t EventRecordBytesBound(const StoredEvent& event);
inline constexpr size_t kMessageOverheadBytes = 256;

// ---------------------------------------------------------------------------
// Converters from verified messages (VerifyMessage) to engine types.

// The event bytes are copied: std::string storage is 8-byte aligned, which
// the engine's FlatBuffers verifier requires, whatever the sender's layout.
Command ToCommand(const CommandMsg& command);
std::vector<Command> ToCommands(const Append& append);

// kInvalidArgument for a code this build does not know or an org_id that is
// not a UUID while positions are present.
Result<CommandResult> ToCommandResult(const CommandResultMsg& result);
Result<std::vector<CommandResult>> ToCommandResults(const AppendResult& results);

// kInvalidArgument for an org_id that is not a UUID or a leaf hash that is not
// 32 bytes. The leaf hash is NOT recomputed here: a client that wants to check
// it compares it with LeafHash(body) (merkle.h).
Result<StoredEvent> ToStoredEvent(const EventRecord& record);
Result<std::vector<StoredEvent>> ToStoredEvents(
    const flatbuffers::Vector<flatbuffers::Offset<EventRecord>>* records);

// kInvalidArgument unless the root is 32 bytes.
Result<TreeHead> ToTreeHead(const TreeHeadReply& reply);
// kInvalidArgument unless key and signature are both absent or 32 and 64
// bytes. The signature is NOT verified here (signed_head.h does).
Result<HeadSignature> ToHeadSignature(const TreeHeadReply& reply);

// A sealed field as stored in an event, ready for OpenSealed. kInvalidArgument
// for a subject_id that is not a UUID or a nonce that is not 24 bytes. The
// ciphertext is not checked: only the ledger's key can.
Result<SealedValue> ToSealedValue(const fb::Sealed& sealed);

// nullopt for an erased value. kInvalidArgument for an erased value that
// carries plaintext.
Result<std::vector<std::optional<std::string>>> ToOpenedValues(const OpenedValues& reply);

// The Status a (code, message) pair from the wire stands for; nullopt for a
// code that is not a ledger::Code this build knows.
std::optional<Status> StatusFromWire(uint16_t code, std::string_view message);

}  // namespace ledger::wire
