// Seal requests: personal fields a client asks the ledger to seal, because
// the data keys live with the ledger (DESIGN.md decision 9), not with the
// services that append over the wire.
//
// A seal request is a Sealed table whose nonce is 24 zero bytes and whose
// ciphertext is the plaintext followed by 16 zero bytes (the room the
// Poly1305 tag takes). Sealing it replaces nonce and ciphertext IN PLACE
// with a random nonce and the real ciphertext, which has exactly that
// length, so the FlatBuffer keeps its layout and nothing is rebuilt. The
// ledger seals before deciding, so the hashed, stored bytes never hold
// plaintext.
#pragma once

#include <string>

#include "ledger/fb/events_generated.h"
#include "ledger/status.h"
#include "ledger/subject_keys.h"

namespace ledger {

// Whether the event (verified) holds at least one seal request. Cheap for
// event types without personal fields.
bool HasSealRequests(const fb::Event& event);

// Seals every request in `event_bytes` (a verified ledger.fb.Event) under
// its subject's key. kFailedPrecondition for a forgotten subject.
Status FulfilSealRequests(std::string* event_bytes, SubjectKeys& keys);

}  // namespace ledger
