// The checks Decide's translation units share. A check returns a Rejection
// (Verdict) or nullopt; LEDGER_CHECK returns the first rejection.
#pragma once

#include <string>

#include "apply_util.h"
#include "decide.h"
#include "ledger/event_builder.h"

#define LEDGER_CHECK(expr)                        \
  do {                                            \
    if (::ledger::Verdict _v = (expr)) return _v; \
  } while (0)

namespace ledger::decide {

using apply::Id;
using apply::IdOf;
using apply::Str;
using String = flatbuffers::String;

inline Verdict Reject(Rule rule, std::string message) {
  return Rejection{rule, std::move(message)};
}

inline std::string Text(const String* s) { return s ? s->str() : std::string("(missing)"); }

class Decider {
 public:
  Decider(const State& s, const fb::Event& e, Lookups& lookups, Decision* out)
      : s_(s), e_(e), lookups_(lookups), out_(out) {}

  Verdict Run();

  // Per-area halves; nullopt-with-handled=false means "not my type".
  Verdict People(bool* handled);
  Verdict Catalogue(bool* handled);
  Verdict Agents(bool* handled);
  Verdict Requests(bool* handled);
  Verdict Work(bool* handled);
  Verdict Platform(bool* handled);

  // --- shared checks ---------------------------------------------------
  // `field` must hold a UUID.
  Verdict IdField(const String* id, const char* field) const {
    if (id == nullptr || !Uuid::Parse(id->string_view()) ||
        Uuid::Parse(id->string_view())->IsNil()) {
      return Reject(Rule::kMalformed, std::string(field) + " must be a UUID, got '" +
                                          (id ? id->str() : std::string()) + "'");
    }
    return std::nullopt;
  }
  // An optional UUID field: absent or empty is fine.
  Verdict OptionalIdField(const String* id, const char* field) const {
    if (id == nullptr || id->size() == 0) return std::nullopt;
    return IdField(id, field);
  }
  // A new entity's id: a UUID not yet used by this kind in this org.
  template <typename Map>
  Verdict NewId(const Map& map, const String* id, const char* kind) const {
    LEDGER_CHECK(IdField(id, kind));
    if (map.count(Id(id))) {
      return Reject(Rule::kDuplicateId, std::string(kind) + " " + id->str() + " already exists");
    }
    return std::nullopt;
  }
  // An existing entity of this org.
  template <typename Map>
  Verdict Existing(const Map& map, const String* id, const char* kind,
                   const typename Map::mapped_type** found = nullptr) const {
    LEDGER_CHECK(IdField(id, kind));
    auto it = map.find(Id(id));
    if (it == map.end()) {
      return Reject(Rule::kUnknownReference, std::string(kind) + " " + id->str() +
                                                 " does not exist in org " + s_.org.ToString());
    }
    if (found) *found = &it->second;
    return std::nullopt;
  }
  Verdict NotLive(const char* kind, const String* id, const char* why) const {
    return Reject(Rule::kNotLive, std::string(kind) + " " + Text(id) + " " + why);
  }
  Verdict Transition(const char* kind, const String* id, const std::string& why) const {
    return Reject(Rule::kInvalidTransition, std::string(kind) + " " + Text(id) + " " + why);
  }
  // An existing employee in one of the given states.
  Verdict Employee(const String* id, const char* field, const state::EmployeeT** found) const;
  Verdict ActiveEmployee(const String* id, const char* field,
                         const state::EmployeeT** found = nullptr) const;
  Verdict LiveTeam(const String* id) const;
  Verdict LiveRole(const String* id, const state::RoleT** found = nullptr) const;
  Verdict LiveAgent(const String* id, const state::EmployeeAgentT** found = nullptr) const;
  // A personal field: sealed for `subject` (when given), subject not forgotten.
  Verdict SealedFor(const fb::Sealed* sealed, const char* field, const String* subject,
                    bool required) const;
  Verdict NonNegative(int64_t amount, const char* field) const {
    if (amount < 0) {
      return Reject(Rule::kNegativeAmount, std::string(field) + " is " + std::to_string(amount) +
                                               "; it must not be negative");
    }
    return std::nullopt;
  }
  Verdict NonEmpty(const String* text, const char* field) const {
    if (text == nullptr || text->size() == 0) {
      return Reject(Rule::kMalformed, std::string(field) + " must not be empty");
    }
    return std::nullopt;
  }
  // Name uniqueness within one entity kind of the org (seed "UK" columns).
  template <typename Map>
  Verdict UniqueName(const Map& map, const String* name, const char* kind,
                     const String* except_id = nullptr) const {
    LEDGER_CHECK(NonEmpty(name, (std::string(kind) + " name").c_str()));
    for (const auto& [id, entity] : map) {
      if (entity.name == name->string_view() &&
          (except_id == nullptr || entity.id != except_id->string_view())) {
        return Reject(Rule::kNotUnique, std::string(kind) + " name '" + name->str() +
                                            "' is already used by " + entity.id);
      }
    }
    return std::nullopt;
  }

  // Adds an event the command implies (built with builder()).
  template <typename Table>
  void Emit(flatbuffers::Offset<Table> payload) {
    out_->derived.push_back(builder_.Finish(DerivedEnvelope(), payload));
  }
  flatbuffers::FlatBufferBuilder& builder() { return builder_.builder(); }
  EnvelopeFields DerivedEnvelope() const;

  const State& s_;
  const fb::Event& e_;
  Lookups& lookups_;
  Decision* out_;
  EventBuilder builder_;
};

}  // namespace ledger::decide
