// An event's payload as JSON for the events table, printed straight from the
// FlatBuffer by its type tables.
//
// FlatBuffers' own printer (GenerateText) was the rebuild's largest cost: it
// prints every sealed nonce and ciphertext byte through a std::stringstream,
// and those arrays then had to be parsed back only to be replaced by the
// opened value. This printer writes each sealed field as its opened value
// directly, in one pass.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "ledger/fb/events_generated.h"
#include "ledger/projections/sealed_opener.h"

namespace ledger::projections {

// Appends the payload of `event` (which must have a known payload type) as a
// JSON object: fields as the schema names them, in schema order, absent
// fields left out; enums by name (by number when the value has none); byte
// vectors as arrays of numbers; strings as AppendJsonString writes them;
// each Sealed as {"subject_id": S, "value": plaintext or null}.
// The UUIDs among the sealed fields' subjects go into `subjects`.
void AppendPayloadJson(const fb::Event& event, SealedOpener& opener,
                       std::set<std::string>* subjects, std::string* out);

// `text` as a JSON string literal, quotes included: valid UTF-8 as it is,
// invalid bytes as U+FFFD, NUL bytes dropped (PostgreSQL's jsonb refuses
// \u0000), other control characters as \u00XX.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace ledger::projections
