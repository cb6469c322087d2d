#include "folder.h"

#include "ledger/apply.h"
#include "ledger/projections/event_rows.h"

namespace ledger::projections {

const State* Folder::StateOf(const Uuid& org) const {
  auto found = states_.find(org);
  return found == states_.end() ? nullptr : &found->second;
}

Status Folder::Fold(const StoredEvent& stored, Units* units) {
  const Position& p = stored.position;
  if (p.global_seq != applied_ + 1) {
    return Status::Internal("the feed skipped from global sequence " + std::to_string(applied_) +
                            " to " + std::to_string(p.global_seq));
  }
  State& state = states_[p.org];
  state.org = p.org;
  if (p.org_seq != state.version + 1) {
    return Status::Internal("org " + p.org.ToString() + " went from sequence " +
                            std::to_string(state.version) + " to " + std::to_string(p.org_seq));
  }
  const fb::Event& event = *stored.event();
  auto touched = [&](const Uuid& id) {
    UnitsNamed(state, id, [&](Kind kind) { units->emplace(p.org, kind, id.ToString()); });
  };
  ids_.clear();
  if (units != nullptr) {
    NamedIds(event, &ids_);
    // Before Apply: entities the event removes (a detached team policy).
    for (std::string_view text : ids_) {
      if (std::optional<Uuid> id = Uuid::Parse(text)) touched(*id);
    }
  }
  Apply(state, event, p);
  applied_ = p.global_seq;
  if (units == nullptr) return Status::Ok();
  units->emplace(p.org, Kind::kOrganization, std::string());
  for (std::string_view text : ids_) {
    if (std::optional<Uuid> id = Uuid::Parse(text)) touched(*id);
  }
  if (const auto* forgotten = event.payload_as_SubjectForgotten()) {
    if (forgotten->subject_id()) {
      UnitsWithSubject(
          state, forgotten->subject_id()->string_view(),
          [&](Kind kind, std::string_view id) { units->emplace(p.org, kind, std::string(id)); });
    }
  }
  return Status::Ok();
}

}  // namespace ledger::projections
