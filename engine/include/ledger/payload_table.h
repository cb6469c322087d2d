// The reflection table of one payload type, for code that walks any event's
// fields with flatbuffers::IterateObject (hashing, seal requests, text
// checks, the projector's JSON and ids).
#pragma once

#include <flatbuffers/minireflect.h>

#include "ledger/fb/events_generated.h"

namespace ledger {

// Null for NONE and for types past this catalogue's MAX (a newer writer's).
inline const flatbuffers::TypeTable* PayloadTable(fb::Payload type) {
  if (type == fb::Payload::NONE || type > fb::Payload::MAX) return nullptr;
  const flatbuffers::TypeTable* union_table = fb::PayloadTypeTable();
  const flatbuffers::TypeCode& code = union_table->type_codes[static_cast<size_t>(type)];
  return union_table->type_refs[code.sequence_ref]();
}

}  // namespace ledger
