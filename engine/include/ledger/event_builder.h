// Builds ledger.fb.Event FlatBuffers: the payload first (through builder()),
// then Finish adds the envelope. One builder is reused for many events.
//
//   EventBuilder b;
//   auto team = fb::CreateTeamCreatedDirect(b.builder(), team_id.c_str(), "Platform");
//   std::string bytes = b.Finish(org, actor, team);
#pragma once

#include <cstdint>
#include <string>

#include "ledger/fb/events_generated.h"
#include "ledger/uuid.h"

namespace ledger {

struct ActorRef {
  fb::ActorKind kind = fb::ActorKind::System;
  std::string id = "system";
};

struct EnvelopeFields {
  Uuid org;
  ActorRef actor;
  std::string event_id;         // empty: a random UUID
  std::string correlation_id;   // empty: not set
  std::string causation_id;     // empty: not set
  int64_t occurred_at = 0;      // microseconds since the epoch; 0: not set
  std::string idempotency_key;  // empty: not set
};

class EventBuilder {
 public:
  flatbuffers::FlatBufferBuilder& builder() { return builder_; }

  // Finishes the event around `payload` (built with builder()) and returns
  // its bytes; the builder is then ready for the next event.
  template <typename Table>
  std::string Finish(const EnvelopeFields& envelope, flatbuffers::Offset<Table> payload) {
    return FinishUnion(envelope, fb::PayloadTraits<Table>::enum_value, payload.Union());
  }

 private:
  std::string FinishUnion(const EnvelopeFields& envelope, fb::Payload type,
                          flatbuffers::Offset<void> payload);

  flatbuffers::FlatBufferBuilder builder_{1024};
};

}  // namespace ledger
