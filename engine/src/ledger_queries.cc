// State queries: replay from the newest usable snapshot, as of a version or
// an instant, and one entity's history.
#include <algorithm>
#include <future>
#include <vector>

#include "ledger/apply.h"
#include "ledger/event_mentions.h"
#include "ledger_impl.h"
#include "parallel_for.h"

namespace ledger {

bool IsDerived(const fb::Event& event) {
  const fb::Actor* actor = event.envelope()->actor();
  return actor && actor->kind() == fb::ActorKind::System && actor->id() &&
         actor->id()->string_view() == kDerivedActorId && event.envelope()->causation_id();
}

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

namespace {

// Behind a snapshot this large (an 80k-entity org's is 10-20 MB), reading
// and checking the events after it on another thread, while the snapshot
// is read and unpacked, takes a fifth off an as-of query; so does checking
// the snapshot's checksum on another thread. Below it a thread is not
// worth its start.
constexpr size_t kThreadWorthItAboveBytes = 1 << 20;

// The events after a snapshot, read on another thread: their FlatBuffers
// side by side in one buffer, each at an 8-byte boundary as FlatBuffers
// reads scalars in place. A StoredEvent each (a string per event) made
// the reading thread spend most of its time in malloc, on an arena that
// each query's new thread had to grow again.
struct Tail {
  struct Entry {
    Position position;
    size_t offset = 0;
  };
  std::string bytes;
  std::vector<Entry> entries;

  const fb::Event* event(const Entry& entry) const {
    return fb::GetEvent(bytes.data() + entry.offset);
  }
};

Result<Tail> ReadTail(const EventLog& log, const Uuid& org, uint64_t from, uint64_t to) {
  constexpr size_t kAlign = 8;
  constexpr size_t kGuessBytesPerEvent = 512;
  constexpr size_t kReserveBytesMax = 64 << 20;  // a longer tail grows the buffer
  Tail tail;
  tail.entries.reserve(to - from + 1);
  tail.bytes.reserve(std::min<uint64_t>((to - from + 1) * kGuessBytesPerEvent, kReserveBytesMax));
  LEDGER_RETURN_IF_ERROR(log.ScanOrg(org, from, to, [&tail](const StoredEvent& event) {
    std::string_view bytes = event.event_bytes();
    tail.entries.push_back({event.position, tail.bytes.size()});
    tail.bytes.append(bytes);
    tail.bytes.resize((tail.bytes.size() + kAlign - 1) / kAlign * kAlign);
    return Status::Ok();
  }));
  return tail;
}

// Sets *state to the snapshot's, plus the events after it up to `target`
// if they were read aside (`tail`). A snapshot that is damaged or does not
// unpack leaves *state alone, and only a failed read of the tail is an
// error.
Status StartFromSnapshot(const Uuid& org, const SharedSnapshot& snapshot,
                         std::future<Result<Tail>>& tail, State* state) {
  // The checksum of a large snapshot (4-5 ms for 24 MB) is checked on the
  // other core while this one unpacks it: the verifier makes unpacking any
  // bytes safe, and the events after it are applied only to a state whose
  // bytes were intact.
  std::future<bool> intact;
  if (snapshot.state.size() >= kThreadWorthItAboveBytes) {
    intact = std::async(kThreadElseDeferred, [&snapshot] { return snapshot.Intact(); });
  }
  Result<State> unpacked = UnpackState(snapshot.state, snapshot.owner);
  if (!(intact.valid() ? intact.get() : snapshot.Intact())) return Status::Ok();
  if (!unpacked.ok() || unpacked->org != org || unpacked->version != snapshot.version) {
    return Status::Ok();
  }
  *state = std::move(unpacked).value();
  if (!tail.valid()) return Status::Ok();
  Result<Tail> events = tail.get();
  if (!events.ok()) return events.status();
  for (const Tail::Entry& entry : events->entries) {
    Apply(*state, *events->event(entry), entry.position);
  }
  return Status::Ok();
}

}  // namespace

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
  // Behind a large snapshot, the events after it are read on another thread
  // from the moment the snapshot is found, while it is read and unpacked.
  // If the snapshot then fails, the future waits for the read (of no use).
  std::future<Result<Tail>> tail;
  auto read_tail_aside = [&](uint64_t version, uint64_t bytes) {
    if (bytes < kThreadWorthItAboveBytes || version >= target) return;
    // Deferred (read at get()) only if no thread can be started.
    tail = std::async(kThreadElseDeferred, [&log, &org, from = version + 1, target] {
      return ReadTail(log, org, from, target);
    });
  };
  // A damaged or foreign snapshot is only a lost shortcut: replay instead.
  // The state keeps the snapshot's bytes: its missions, tasks and requests stay
  // packed there.
  Result<std::optional<SharedSnapshot>> snapshot =
      log.SharedSnapshotAtOrBefore(org, target, read_tail_aside, SnapshotCheck::kByCaller);
  if (snapshot.ok() && snapshot->has_value()) {
    LEDGER_RETURN_IF_ERROR(StartFromSnapshot(org, **snapshot, tail, &state));
  }
  if (snapshot_version) *snapshot_version = state.version;
  LEDGER_RETURN_IF_ERROR(ReplayInto(log, target, &state));
  return state;
}

Result<State> Ledger::StateAt(const Uuid& org, uint64_t version) const {
  Result<TreeHead> head = log_->Head(org);
  if (!head.ok()) return head.status();
  return LoadState(*log_, org, version);
}

Result<uint64_t> VersionAsOf(const EventLog& log, const Uuid& org, int64_t recorded_at) {
  Result<uint64_t> version = log.OrgSeqAsOf(org, recorded_at);
  if (!version.ok()) return version.status();
  // A command and the events it implied were committed together but carry
  // consecutive microseconds: never show a command without its consequences
  // (an approval without the resolution it caused).
  uint64_t end = *version;
  while (end > 0) {
    Result<StoredEvent> next = log.Get(org, end + 1);
    if (!next.ok() || !IsDerived(*next->event())) break;
    ++end;
  }
  return end;
}

Result<State> StateFromLog(const EventLog& log, const Uuid& org, uint64_t version) {
  return LoadState(log, org, version);
}

Result<State> Ledger::StateAsOf(const Uuid& org, int64_t recorded_at) const {
  Result<uint64_t> version = VersionAsOf(*log_, org, recorded_at);
  if (!version.ok()) return version.status();
  return LoadState(*log_, org, *version);
}

Result<std::vector<EntityChange>> Ledger::History(const Uuid& org,
                                                  std::string_view entity_id) const {
  Result<TreeHead> head = log_->Head(org);
  if (!head.ok()) return head.status();
  std::vector<EntityChange> changes;
  LEDGER_RETURN_IF_ERROR(log_->ScanOrg(org, 1, head->size, [&](const StoredEvent& stored) {
    const fb::Event& event = *stored.event();
    if (EventMentions(event, entity_id)) {
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
