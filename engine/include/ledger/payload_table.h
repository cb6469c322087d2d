// The reflection table of one payload type, for code that walks any event's
// fields with flatbuffers::IterateObject (hashing, seal requests) or with
// ForEachField below (text checks, the projector's JSON).
#pragma once

#include <flatbuffers/minireflect.h>

#include <cstddef>
#include <cstdint>

#include "ledger/fb/events_generated.h"

namespace ledger {

// Null for NONE and for types past this catalogue's MAX (a newer writer's).
inline const flatbuffers::TypeTable* PayloadTable(fb::Payload type) {
  if (type == fb::Payload::NONE || type > fb::Payload::MAX) return nullptr;
  const flatbuffers::TypeTable* union_table = fb::PayloadTypeTable();
  const flatbuffers::TypeCode& code = union_table->type_codes[static_cast<size_t>(type)];
  return union_table->type_refs[code.sequence_ref]();
}

// One field present in a table, as its type table describes it.
struct TableField {
  size_t index;                       // into type->names and type->type_codes
  flatbuffers::TypeCode code;         // base type, is_repeating
  const flatbuffers::TypeTable* ref;  // the field's table or enum type; null if none
  const uint8_t* slot;                // the field in the table: a scalar, or an offset
};

// Calls visit(TableField) for each field present in a verified `table`, in
// the type table's order, until visit returns false; returns false then.
// Unlike minireflect's IterateObject it does not call out per vector
// element, so a walk that only wants strings and tables skips the bytes of
// every nonce and ciphertext.
template <typename Visit>
bool ForEachField(const flatbuffers::Table* table, const flatbuffers::TypeTable* type,
                  Visit&& visit) {
  for (size_t i = 0; i < type->num_elems; ++i) {
    const uint8_t* slot = table->GetAddressOf(
        flatbuffers::FieldIndexToOffset(static_cast<flatbuffers::voffset_t>(i)));
    if (slot == nullptr) continue;
    flatbuffers::TypeCode code = type->type_codes[i];
    const flatbuffers::TypeTable* ref =
        code.sequence_ref >= 0 ? type->type_refs[code.sequence_ref]() : nullptr;
    if (!visit(TableField{i, code, ref, slot})) return false;
  }
  return true;
}

// What an offset slot (a string, table or vector field; a vector's element
// of those) points to.
inline const uint8_t* Deref(const uint8_t* slot) {
  return slot + flatbuffers::ReadScalar<flatbuffers::uoffset_t>(slot);
}

}  // namespace ledger
