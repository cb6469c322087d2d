#include "ledger/wire/messages.h"

#include <algorithm>
#include <utility>

namespace ledger::wire {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Byte strings that hold FlatBuffers (an event, a record body whose event
// starts 32 bytes in) are aligned to 8 so a reader can use them in place; the
// largest scalar in an event is 8 bytes.
constexpr size_t kNestedAlignment = 8;

Offset<flatbuffers::Vector<uint8_t>> AlignedBytes(FlatBufferBuilder* fbb, std::string_view bytes) {
  fbb->ForceVectorAlignment(bytes.size(), 1, kNestedAlignment);
  return fbb->CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Offset<flatbuffers::String> OptionalString(FlatBufferBuilder* fbb, std::string_view text) {
  return text.empty() ? 0 : fbb->CreateString(text.data(), text.size());
}

std::string_view View(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view() : std::string_view(text->c_str(), text->size());
}

std::string_view View(const flatbuffers::Vector<uint8_t>* bytes) {
  return bytes == nullptr
             ? std::string_view()
             : std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

template <typename Table>
std::string Finish(FlatBufferBuilder* fbb, uint64_t request_id, Offset<Table> body) {
  return FinishFrame(fbb, request_id, BodyTraits<Table>::enum_value, body.Union());
}

std::string EncodeEventBatch(uint64_t request_id, std::span<const StoredEvent> events,
                             std::optional<bool> caught_up) {
  size_t estimate = kMessageOverheadBytes;
  for (const StoredEvent& event : events) estimate += EventRecordBytesBound(event);
  FlatBufferBuilder fbb(estimate);
  std::vector<Offset<EventRecord>> records;
  records.reserve(events.size());
  for (const StoredEvent& event : events) records.push_back(BuildEventRecord(&fbb, event));
  auto vector = fbb.CreateVector(records);
  if (caught_up.has_value()) {
    return Finish(&fbb, request_id, CreateSubscriptionEvents(fbb, vector, *caught_up));
  }
  return Finish(&fbb, request_id, CreateEvents(fbb, vector));
}

}  // namespace

std::optional<uint16_t> NegotiateVersion(uint16_t client_max, uint16_t client_min,
                                         uint16_t server_max, uint16_t server_min) {
  if (client_min == 0) client_min = client_max;
  uint16_t high = std::min(client_max, server_max);
  uint16_t low = std::max(client_min, server_min);
  if (high < low) return std::nullopt;
  return high;
}

bool IsClientMessage(Body type) {
  switch (type) {
    case Body::Hello:
    case Body::Append:
    case Body::ReadOrg:
    case Body::Subscribe:
    case Body::TreeHeadRequest:
    case Body::Ping:
    case Body::OpenSealed:
      return true;
    case Body::NONE:
    case Body::HelloOk:
    case Body::AppendResult:
    case Body::Events:
    case Body::SubscriptionEvents:
    case Body::TreeHeadReply:
    case Body::Pong:
    case Body::Error:
    case Body::OpenedValues:
      return false;
  }
  return false;
}

bool IsServerMessage(Body type) {
  return type != Body::NONE && type <= Body::MAX && !IsClientMessage(type);
}

std::string FinishFrame(FlatBufferBuilder* fbb, uint64_t request_id, Body type, Offset<void> body) {
  FinishMessageBuffer(*fbb, CreateMessage(*fbb, request_id, type, body));
  return EncodeFrame(
      std::string_view(reinterpret_cast<const char*>(fbb->GetBufferPointer()), fbb->GetSize()));
}

std::string EncodeHello(uint64_t request_id, const HelloArgs& hello) {
  FlatBufferBuilder fbb(128 + hello.token.size() + hello.client_name.size());
  auto token = OptionalString(&fbb, hello.token);
  auto client_name = OptionalString(&fbb, hello.client_name);
  return Finish(
      &fbb, request_id,
      CreateHello(fbb, hello.protocol_version, token, client_name, hello.min_protocol_version));
}

std::string EncodeHelloOk(uint64_t request_id, const HelloOkArgs& ok) {
  FlatBufferBuilder fbb(128 + ok.org_id.size() + ok.server_name.size());
  auto org_id = OptionalString(&fbb, ok.org_id);
  auto server_name = OptionalString(&fbb, ok.server_name);
  return Finish(&fbb, request_id,
                CreateHelloOk(fbb, ok.protocol_version, org_id, server_name, ok.max_frame_payload,
                              ok.max_in_flight));
}

std::string EncodeAppend(uint64_t request_id, std::span<const Command> commands) {
  size_t estimate = kMessageOverheadBytes;
  for (const Command& command : commands) estimate += command.event.size() + 64;
  FlatBufferBuilder fbb(estimate);
  std::vector<Offset<CommandMsg>> messages;
  messages.reserve(commands.size());
  for (const Command& command : commands) messages.push_back(BuildCommand(&fbb, command));
  return Finish(&fbb, request_id, CreateAppend(fbb, fbb.CreateVector(messages)));
}

std::string EncodeAppendResult(uint64_t request_id, std::span<const CommandResult> results) {
  FlatBufferBuilder fbb(kMessageOverheadBytes + 128 * results.size());
  std::vector<Offset<CommandResultMsg>> messages;
  messages.reserve(results.size());
  for (const CommandResult& result : results) messages.push_back(BuildCommandResult(&fbb, result));
  return Finish(&fbb, request_id, CreateAppendResult(fbb, fbb.CreateVector(messages)));
}

std::string EncodeReadOrg(uint64_t request_id, std::string_view org_id, uint64_t from_seq,
                          uint32_t max_events) {
  FlatBufferBuilder fbb(128);
  auto org = OptionalString(&fbb, org_id);
  return Finish(&fbb, request_id, CreateReadOrg(fbb, org, from_seq, max_events));
}

std::string EncodeEvents(uint64_t request_id, std::span<const StoredEvent> events) {
  return EncodeEventBatch(request_id, events, std::nullopt);
}

std::string EncodeSubscribe(uint64_t request_id, std::string_view org_id, uint64_t from_seq) {
  FlatBufferBuilder fbb(128);
  auto org = OptionalString(&fbb, org_id);
  return Finish(&fbb, request_id, CreateSubscribe(fbb, org, from_seq));
}

std::string EncodeSubscriptionEvents(uint64_t request_id, std::span<const StoredEvent> events,
                                     bool caught_up) {
  return EncodeEventBatch(request_id, events, caught_up);
}

std::string EncodeTreeHeadRequest(uint64_t request_id, std::string_view org_id, uint64_t size) {
  FlatBufferBuilder fbb(128);
  auto org = OptionalString(&fbb, org_id);
  return Finish(&fbb, request_id, CreateTreeHeadRequest(fbb, org, size));
}

std::string EncodeTreeHeadReply(uint64_t request_id, std::string_view org_id, const TreeHead& head,
                                const HeadSignature& signature) {
  FlatBufferBuilder fbb(320);
  auto org = OptionalString(&fbb, org_id);
  auto root = fbb.CreateVector(head.root.data(), head.root.size());
  auto bytes = [&fbb](const std::string& value) {
    return value.empty()
               ? flatbuffers::Offset<flatbuffers::Vector<uint8_t>>()
               : fbb.CreateVector(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  };
  auto key = bytes(signature.key);
  auto signed_bytes = bytes(signature.signature);
  return Finish(
      &fbb, request_id,
      CreateTreeHeadReply(fbb, org, head.size, root, signature.timestamp, key, signed_bytes));
}

std::string EncodeOpenSealed(uint64_t request_id, std::span<const SealedValue> values) {
  size_t estimate = kMessageOverheadBytes;
  for (const SealedValue& value : values) estimate += value.ciphertext.size() + 128;
  FlatBufferBuilder fbb(estimate);
  std::vector<Offset<fb::Sealed>> sealed;
  sealed.reserve(values.size());
  for (const SealedValue& value : values) sealed.push_back(value.Build(fbb));
  return Finish(&fbb, request_id, CreateOpenSealed(fbb, fbb.CreateVector(sealed)));
}

std::string EncodeOpenedValues(uint64_t request_id,
                               std::span<const std::optional<std::string>> values) {
  size_t estimate = kMessageOverheadBytes;
  for (const std::optional<std::string>& value : values) estimate += value.value_or("").size() + 32;
  FlatBufferBuilder fbb(estimate);
  std::vector<Offset<OpenedValue>> opened;
  opened.reserve(values.size());
  for (const std::optional<std::string>& value : values) {
    Offset<flatbuffers::Vector<uint8_t>> plaintext = 0;
    if (value.has_value() && !value->empty()) {
      plaintext = fbb.CreateVector(reinterpret_cast<const uint8_t*>(value->data()), value->size());
    }
    opened.push_back(CreateOpenedValue(fbb, !value.has_value(), plaintext));
  }
  return Finish(&fbb, request_id, CreateOpenedValues(fbb, fbb.CreateVector(opened)));
}

std::string EncodePing(uint64_t request_id) {
  FlatBufferBuilder fbb(64);
  return Finish(&fbb, request_id, CreatePing(fbb));
}

std::string EncodePong(uint64_t request_id) {
  FlatBufferBuilder fbb(64);
  return Finish(&fbb, request_id, CreatePong(fbb));
}

std::string EncodeError(uint64_t request_id, uint16_t code, std::string_view message) {
  FlatBufferBuilder fbb(128 + message.size());
  auto text = OptionalString(&fbb, message);
  return Finish(&fbb, request_id, CreateError(fbb, code, text));
}

std::string EncodeError(uint64_t request_id, const WireError& error) {
  return EncodeError(request_id, static_cast<uint16_t>(error.code), error.message);
}

std::string EncodeError(uint64_t request_id, const Status& status) {
  return EncodeError(request_id, static_cast<uint16_t>(status.code()), status.message());
}

Offset<CommandMsg> BuildCommand(FlatBufferBuilder* fbb, const Command& command) {
  auto event = AlignedBytes(fbb, command.event);
  return CreateCommandMsg(*fbb, event, command.expected_version.value_or(0),
                          command.expected_version.has_value());
}

Offset<CommandResultMsg> BuildCommandResult(FlatBufferBuilder* fbb, const CommandResult& result) {
  auto message = OptionalString(fbb, result.status.message());
  Offset<flatbuffers::String> org_id = 0;
  Offset<flatbuffers::Vector<const EventPosition*>> positions = 0;
  if (!result.positions.empty()) {
    // A command's events all belong to its org (commands.h), so the org is
    // sent once rather than per position.
    org_id = fbb->CreateString(result.positions.front().org.ToString());
    std::vector<EventPosition> wire_positions;
    wire_positions.reserve(result.positions.size());
    for (const Position& position : result.positions) {
      wire_positions.emplace_back(position.org_seq, position.global_seq, position.recorded_at);
    }
    positions = fbb->CreateVectorOfStructs(wire_positions);
  }
  return CreateCommandResultMsg(*fbb, static_cast<uint16_t>(result.status.code()),
                                static_cast<uint16_t>(result.rule), message, result.first_seq,
                                result.event_count, result.replayed, org_id, positions);
}

Offset<EventRecord> BuildEventRecord(FlatBufferBuilder* fbb, const StoredEvent& event) {
  // A batch is mostly one org's events: its id is written once and shared.
  auto org_id = fbb->CreateSharedString(event.position.org.ToString());
  auto leaf_hash = fbb->CreateVector(event.leaf_hash.data(), event.leaf_hash.size());
  auto body = AlignedBytes(fbb, event.body);
  return CreateEventRecord(*fbb, org_id, event.position.org_seq, event.position.global_seq,
                           event.position.recorded_at, leaf_hash, body);
}

size_t EventRecordBytesBound(const StoredEvent& event) {
  // body: length prefix 4 + up to 7 alignment padding; leaf hash: 4 + 32 + 3;
  // org id: 4 + 36 + NUL + 3 (when not shared); table: 4 + 3 offsets + 3
  // scalars of 8 + padding 8 = 48; vtable 16; the vector slot 4. About 170
  // bytes; 256 leaves room for fields appended to EventRecord later.
  return event.body.size() + 256;
}

Command ToCommand(const CommandMsg& command) {
  Command out;
  out.event = std::string(View(command.event()));
  if (command.has_expected_version()) out.expected_version = command.expected_version();
  return out;
}

std::vector<Command> ToCommands(const Append& append) {
  std::vector<Command> out;
  if (append.commands() == nullptr) return out;
  out.reserve(append.commands()->size());
  for (const CommandMsg* command : *append.commands()) out.push_back(ToCommand(*command));
  return out;
}

std::optional<Status> StatusFromWire(uint16_t code, std::string_view message) {
  std::string text(message);
  if (code >= kWireCodeFirst) return std::nullopt;
  // No default: a Code added to status.h makes -Wswitch point here.
  switch (static_cast<Code>(code)) {
    case Code::kOk:
      return Status::Ok();
    case Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(text));
    case Code::kNotFound:
      return Status::NotFound(std::move(text));
    case Code::kCorruption:
      return Status::Corruption(std::move(text));
    case Code::kTampered:
      return Status::Tampered(std::move(text));
    case Code::kIoError:
      return Status::IoError(std::move(text));
    case Code::kLimitExceeded:
      return Status::LimitExceeded(std::move(text));
    case Code::kFailedPrecondition:
      return Status::FailedPrecondition(std::move(text));
    case Code::kRejected:
      return Status::Rejected(std::move(text));
    case Code::kUnavailable:
      return Status::Unavailable(std::move(text));
    case Code::kPermissionDenied:
      return Status::PermissionDenied(std::move(text));
    case Code::kInternal:
      return Status::Internal(std::move(text));
  }
  return std::nullopt;
}

Result<CommandResult> ToCommandResult(const CommandResultMsg& result) {
  std::optional<Status> status = StatusFromWire(result.code(), View(result.message()));
  if (!status.has_value()) {
    return Status::InvalidArgument("command result code " + std::to_string(result.code()) +
                                   " is not a ledger::Code this build knows");
  }
  CommandResult out;
  out.status = std::move(*status);
  out.rule = static_cast<Rule>(result.rule());
  out.first_seq = result.first_seq();
  out.event_count = result.event_count();
  out.replayed = result.replayed();
  if (result.positions() != nullptr && result.positions()->size() > 0) {
    std::optional<Uuid> org = Uuid::Parse(View(result.org_id()));
    if (!org.has_value()) {
      return Status::InvalidArgument("command result org_id \"" +
                                     std::string(View(result.org_id())) + "\" is not a UUID");
    }
    out.positions.reserve(result.positions()->size());
    for (const EventPosition* position : *result.positions()) {
      out.positions.push_back(
          Position{*org, position->org_seq(), position->global_seq(), position->recorded_at()});
    }
  }
  return out;
}

Result<std::vector<CommandResult>> ToCommandResults(const AppendResult& results) {
  std::vector<CommandResult> out;
  if (results.results() == nullptr) return out;
  out.reserve(results.results()->size());
  for (const CommandResultMsg* result : *results.results()) {
    Result<CommandResult> converted = ToCommandResult(*result);
    if (!converted.ok()) return converted.status();
    out.push_back(std::move(converted).value());
  }
  return out;
}

Result<StoredEvent> ToStoredEvent(const EventRecord& record) {
  std::optional<Uuid> org = Uuid::Parse(View(record.org_id()));
  if (!org.has_value()) {
    return Status::InvalidArgument("event record org_id \"" + std::string(View(record.org_id())) +
                                   "\" is not a UUID");
  }
  std::string_view leaf_hash = View(record.leaf_hash());
  StoredEvent out;
  if (leaf_hash.size() != out.leaf_hash.size()) {
    return Status::InvalidArgument("event record leaf_hash has " +
                                   std::to_string(leaf_hash.size()) + " bytes, expected 32");
  }
  out.position = Position{*org, record.org_seq(), record.global_seq(), record.recorded_at()};
  std::copy(leaf_hash.begin(), leaf_hash.end(), out.leaf_hash.begin());
  out.body = std::string(View(record.body()));
  return out;
}

Result<std::vector<StoredEvent>> ToStoredEvents(
    const flatbuffers::Vector<Offset<EventRecord>>* records) {
  std::vector<StoredEvent> out;
  if (records == nullptr) return out;
  out.reserve(records->size());
  for (const EventRecord* record : *records) {
    Result<StoredEvent> converted = ToStoredEvent(*record);
    if (!converted.ok()) return converted.status();
    out.push_back(std::move(converted).value());
  }
  return out;
}

Result<TreeHead> ToTreeHead(const TreeHeadReply& reply) {
  std::string_view root = View(reply.root());
  TreeHead out;
  if (root.size() != out.root.size()) {
    return Status::InvalidArgument("tree head root has " + std::to_string(root.size()) +
                                   " bytes, expected 32");
  }
  out.size = reply.size();
  std::copy(root.begin(), root.end(), out.root.begin());
  return out;
}

Result<HeadSignature> ToHeadSignature(const TreeHeadReply& reply) {
  HeadSignature out;
  out.key = std::string(View(reply.key()));
  out.signature = std::string(View(reply.signature()));
  if (out.key.empty() && out.signature.empty()) return out;
  if (out.key.size() != 32 || out.signature.size() != 64) {
    return Status::InvalidArgument("tree head key has " + std::to_string(out.key.size()) +
                                   " bytes and signature " + std::to_string(out.signature.size()) +
                                   ", expected 32 and 64");
  }
  out.timestamp = reply.timestamp();
  return out;
}

Result<SealedValue> ToSealedValue(const fb::Sealed& sealed) {
  std::optional<Uuid> subject = Uuid::Parse(View(sealed.subject_id()));
  if (!subject.has_value()) {
    return Status::InvalidArgument("sealed value subject_id \"" +
                                   std::string(View(sealed.subject_id())) + "\" is not a UUID");
  }
  std::string_view nonce = View(sealed.nonce());
  SealedValue out;
  if (nonce.size() != out.nonce.size()) {
    return Status::InvalidArgument("sealed value nonce has " + std::to_string(nonce.size()) +
                                   " bytes, expected 24");
  }
  out.subject = *subject;
  std::copy(nonce.begin(), nonce.end(), out.nonce.begin());
  out.ciphertext = std::string(View(sealed.ciphertext()));
  return out;
}

Result<std::vector<std::optional<std::string>>> ToOpenedValues(const OpenedValues& reply) {
  std::vector<std::optional<std::string>> out;
  if (reply.values() == nullptr) return out;
  out.reserve(reply.values()->size());
  for (const OpenedValue* value : *reply.values()) {
    std::string_view plaintext = View(value->plaintext());
    if (value->erased() && !plaintext.empty()) {
      return Status::InvalidArgument("opened value " + std::to_string(out.size()) +
                                     " is erased but carries plaintext");
    }
    out.push_back(value->erased() ? std::nullopt : std::optional<std::string>(plaintext));
  }
  return out;
}

}  // namespace ledger::wire
