#include "ledger/audit/changes.h"

#include <algorithm>

#include "ledger/apply.h"
#include "ledger/event_mentions.h"

namespace ledger::audit {
namespace {

EntityDiff Compare(const EntityKind& kind, const std::string& id, std::string before,
                   std::string after) {
  EntityDiff diff;
  diff.kind = &kind;
  diff.id = id;
  diff.type = before.empty()  ? ChangeType::kAdded
              : after.empty() ? ChangeType::kRemoved
                              : ChangeType::kChanged;
  diff.fields = ChangedFields(before, after);
  diff.before = std::move(before);
  diff.after = std::move(after);
  return diff;
}

// The id an event names when it concerns the entity: a template's tool or
// policy is named by its template.
std::string MentionedId(const EntityRef& entity) {
  return entity.id.substr(0, entity.id.find('/'));
}

}  // namespace

const char* ChangeTypeName(ChangeType type) {
  switch (type) {
    case ChangeType::kAdded:
      return "added";
    case ChangeType::kRemoved:
      return "removed";
    case ChangeType::kChanged:
      return "changed";
  }
  return "changed";
}

Result<std::vector<HistoryEntry>> EntityHistory(AuditSource& source, const Uuid& org,
                                                const EntityRef& entity, StatePrinter& printer) {
  Result<TreeHead> head = source.Head(org);
  if (!head.ok()) return head.status();
  const EntityKind& kind = *entity.kind;
  bool every_event = kind.name == "organization";
  std::string mentioned = MentionedId(entity);
  State state;
  state.org = org;
  bool existed = false;
  std::vector<HistoryEntry> entries;
  LEDGER_RETURN_IF_ERROR(source.Scan(org, 1, head->size, [&](const StoredEvent& stored) {
    const fb::Event& event = *stored.event();
    if (!every_event && !EventMentions(event, mentioned)) {
      Apply(state, event, stored.position);
      return Status::Ok();
    }
    std::string before = printer.EntityJson(kind, state, entity.id);
    Apply(state, event, stored.position);
    std::string after = printer.EntityJson(kind, state, entity.id);
    existed |= !after.empty();
    if (before == after) return Status::Ok();
    const fb::Actor* actor = event.envelope()->actor();
    HistoryEntry entry;
    entry.position = stored.position;
    entry.actor_kind = actor ? actor->kind() : fb::ActorKind::Unknown;
    entry.actor_id = actor && actor->id() ? actor->id()->str() : std::string();
    entry.event_type = fb::EnumNamePayload(event.payload_type());
    entry.change = Compare(kind, entity.id, std::move(before), std::move(after));
    entries.push_back(std::move(entry));
    return Status::Ok();
  }));
  if (!existed) {
    return Status::NotFound(std::string(kind.name) + " " + entity.id + " never existed in org " +
                            org.ToString());
  }
  return entries;
}

std::vector<EntityDiff> DiffStates(const State& from, const State& to, StatePrinter& printer) {
  std::vector<EntityDiff> diffs;
  for (const EntityKind& kind : EntityKinds()) {
    std::vector<std::string> ids = kind.ids(from);
    std::vector<std::string> to_ids = kind.ids(to);
    ids.insert(ids.end(), to_ids.begin(), to_ids.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const std::string& id : ids) {
      if (!kind.differs(from, to, id)) continue;
      diffs.push_back(
          Compare(kind, id, printer.EntityJson(kind, from, id), printer.EntityJson(kind, to, id)));
    }
  }
  return diffs;
}

}  // namespace ledger::audit
