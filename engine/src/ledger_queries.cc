// State queries: replay from the newest usable snapshot, as of a version or
// an instant, and one entity's history.
#include <flatbuffers/minireflect.h>

#include <algorithm>

#include "ledger/apply.h"
#include "ledger_impl.h"

namespace ledger {
namespace {

// Does any string field of the payload (nested tables included) equal id?
class MentionsVisitor : public flatbuffers::IterationVisitor {
 public:
  explicit MentionsVisitor(std::string_view id) : id_(id) {}
  void String(const flatbuffers::String* s) override { found_ |= s && s->string_view() == id_; }
  bool found() const { return found_; }

 private:
  std::string_view id_;
  bool found_ = false;
};

bool IsDerived(const fb::Event& event) {
  const fb::Actor* actor = event.envelope()->actor();
  return actor && actor->kind() == fb::ActorKind::System && actor->id() &&
         actor->id()->string_view() == kDerivedActorId && event.envelope()->causation_id();
}

bool Mentions(const fb::Event& event, std::string_view id) {
  fb::Payload type = event.payload_type();
  if (type == fb::Payload::NONE || event.payload() == nullptr || type > fb::Payload::MAX)
    return false;
  const flatbuffers::TypeTable* union_table = fb::PayloadTypeTable();
  const flatbuffers::TypeCode& code = union_table->type_codes[static_cast<size_t>(type)];
  MentionsVisitor visitor(id);
  flatbuffers::IterateObject(static_cast<const uint8_t*>(event.payload()),
                             union_table->type_refs[code.sequence_ref](), &visitor);
  return visitor.found();
}

}  // namespace

Status ReplayInto(const EventLog& log, uint64_t up_to_version, State* state) {
  if (state->version >= up_to_version) return Status::Ok();
  LEDGER_RETURN_IF_ERROR(
      log.ScanOrg(state->org, state->version + 1, up_to_version, [state](const StoredEvent& event) {
        Apply(*state, *event.event(), event.position);
        return Status::Ok();
      }));
  if (state->version < up_to_version) {
    return Status::NotFound("org " + state->org.ToString() + " has no event " +
                            std::to_string(state->version + 1));
  }
  return Status::Ok();
}

Result<State> LoadState(const EventLog& log, const Uuid& org, uint64_t max_version,
                        uint64_t* snapshot_version) {
  State state;
  state.org = org;
  if (snapshot_version) *snapshot_version = 0;
  Result<TreeHead> head = log.Head(org);
  if (!head.ok()) {
    if (head.status().code() == Code::kNotFound) return state;  // a new org
    return head.status();
  }
  uint64_t target = std::min(max_version, head->size);
  Result<std::optional<Snapshot>> snapshot = log.SnapshotAtOrBefore(org, target);
  // A damaged or foreign snapshot is only a lost shortcut: replay instead.
  if (snapshot.ok() && snapshot->has_value()) {
    Result<State> unpacked = UnpackState((*snapshot)->state);
    if (unpacked.ok() && unpacked->org == org && unpacked->version == (*snapshot)->version) {
      state = std::move(unpacked).value();
      if (snapshot_version) *snapshot_version = state.version;
    }
  }
  LEDGER_RETURN_IF_ERROR(ReplayInto(log, target, &state));
  return state;
}

Result<State> Ledger::StateAt(const Uuid& org, uint64_t version) const {
  Result<TreeHead> head = log_->Head(org);
  if (!head.ok()) return head.status();
  return LoadState(*log_, org, version);
}

Result<State> Ledger::StateAsOf(const Uuid& org, int64_t recorded_at) const {
  Result<uint64_t> version = log_->OrgSeqAsOf(org, recorded_at);
  if (!version.ok()) return version.status();
  // A command and the events it implied were committed together but carry
  // consecutive microseconds: never show a command without its consequences
  // (an approval without the resolution it caused).
  uint64_t end = *version;
  while (end > 0) {
    Result<StoredEvent> next = log_->Get(org, end + 1);
    if (!next.ok() || !IsDerived(*next->event())) break;
    ++end;
  }
  return LoadState(*log_, org, end);
}

Result<std::vector<EntityChange>> Ledger::History(const Uuid& org,
                                                  std::string_view entity_id) const {
  Result<TreeHead> head = log_->Head(org);
  if (!head.ok()) return head.status();
  std::vector<EntityChange> changes;
  LEDGER_RETURN_IF_ERROR(log_->ScanOrg(org, 1, head->size, [&](const StoredEvent& stored) {
    const fb::Event& event = *stored.event();
    if (Mentions(event, entity_id)) {
      const fb::Actor* actor = event.envelope()->actor();
      changes.push_back({stored.position, actor ? actor->kind() : fb::ActorKind::Unknown,
                         actor && actor->id() ? actor->id()->str() : std::string(),
                         fb::EnumNamePayload(event.payload_type()),
                         std::string(stored.event_bytes())});
    }
    return Status::Ok();
  }));
  return changes;
}

}  // namespace ledger
