// Helpers shared by the Apply translation units.
#pragma once

#include <memory>
#include <string>

#include "ledger/fb/events_generated.h"
#include "ledger/state.h"
#include "ledger/stored_event.h"

namespace ledger::apply {

inline Text Str(const flatbuffers::String* s) { return s ? Text(s->c_str(), s->size()) : Text(); }
// The id's 16 bytes; nil for a missing or malformed id (the validator
// rejects those before they are appended).
inline Uuid Id(const flatbuffers::String* s) {
  if (s == nullptr) return Uuid{};
  return Uuid::Parse(s->string_view()).value_or(Uuid{});
}
inline Uuid IdOf(std::string_view s) { return Uuid::Parse(s).value_or(Uuid{}); }
inline std::unique_ptr<fb::SealedT> Sealed(const fb::Sealed* sealed) {
  return sealed ? std::unique_ptr<fb::SealedT>(sealed->UnPack()) : nullptr;
}
inline std::vector<Text> Strings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list) {
  std::vector<Text> out;
  if (list) {
    for (const auto* s : *list) out.push_back(Str(s));
  }
  return out;
}
// Footprint estimate for the write model's memory bound: a map node and an
// entity with a few short strings.
inline constexpr size_t kEntityBytes = 256;
inline void Grow(State& state, size_t extra = 0) { state.approx_bytes += kEntityBytes + extra; }

// Entity lookup that tolerates dangling references: nullptr if absent.
template <typename Map>
auto* Find(Map& map, const flatbuffers::String* id) {
  auto it = map.find(Id(id));
  return it == map.end() ? nullptr : &it->second;
}

// Apply's per-area halves; each returns false if the type is not theirs.
bool ApplyPeople(State& state, const fb::Event& event, const Position& at);
bool ApplyWork(State& state, const fb::Event& event, const Position& at);

}  // namespace ledger::apply
