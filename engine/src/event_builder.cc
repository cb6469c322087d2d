#include "ledger/event_builder.h"

namespace ledger {
namespace {

flatbuffers::Offset<flatbuffers::String> OptionalString(flatbuffers::FlatBufferBuilder& builder,
                                                        const std::string& text) {
  return text.empty() ? 0 : builder.CreateString(text);
}

}  // namespace

std::string EventBuilder::FinishUnion(const EnvelopeFields& envelope, fb::Payload type,
                                      flatbuffers::Offset<void> payload) {
  auto org_id = builder_.CreateString(envelope.org.ToString());
  auto event_id = builder_.CreateString(envelope.event_id.empty() ? Uuid::Random().ToString()
                                                                  : envelope.event_id);
  auto actor =
      fb::CreateActor(builder_, envelope.actor.kind, builder_.CreateString(envelope.actor.id));
  auto correlation = OptionalString(builder_, envelope.correlation_id);
  auto causation = OptionalString(builder_, envelope.causation_id);
  auto idempotency_key = OptionalString(builder_, envelope.idempotency_key);
  auto fields = fb::CreateEnvelope(builder_, org_id, event_id, actor, correlation, causation,
                                   envelope.occurred_at, idempotency_key);
  builder_.Finish(fb::CreateEvent(builder_, fields, type, payload), fb::EventIdentifier());
  std::string bytes(reinterpret_cast<const char*>(builder_.GetBufferPointer()), builder_.GetSize());
  builder_.Clear();
  return bytes;
}

}  // namespace ledger
