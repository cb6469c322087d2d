#include "ack_check.h"

namespace ledger::stress {
namespace {

Status ReadAll(client::Client& client, const Uuid& org, std::vector<StoredEvent>* events) {
  for (;;) {
    Result<std::vector<StoredEvent>> read = client.ReadOrg(org, events->size() + 1);
    // An org with no events at all: CheckOrg names the first one lost.
    if (!read.ok() && read.status().code() == Code::kNotFound && events->empty()) {
      return Status::Ok();
    }
    if (!read.ok()) return read.status().WithContext("reading org " + org.ToString());
    if (read->empty()) return Status::Ok();
    for (StoredEvent& event : *read) events->push_back(std::move(event));
  }
}

std::string Where(const Uuid& org, uint64_t seq) {
  return "org " + org.ToString() + " seq " + std::to_string(seq);
}

Status CheckEvent(const Uuid& org, uint64_t seq, const StoredEvent& event, AckedEvent& acked) {
  std::string where = Where(org, seq);
  if (event.position.global_seq != acked.global_seq) {
    return Status::Tampered(where + ": acknowledged at global seq " +
                            std::to_string(acked.global_seq) + ", stored at " +
                            std::to_string(event.position.global_seq));
  }
  const fb::Envelope* envelope = event.event()->envelope();
  const flatbuffers::String* id = acked.derived ? envelope->causation_id() : envelope->event_id();
  if (!id || id->str() != acked.command_id) {
    return Status::Tampered(where + ": acknowledged for command " + acked.command_id +
                            (acked.derived ? " (derived)" : "") + ", stored event names " +
                            (id ? id->str() : std::string("none")));
  }
  if (acked.leaf_hash && *acked.leaf_hash != event.leaf_hash) {
    return Status::Tampered(where + ": leaf hash changed since it was first read: " +
                            ToHex(*acked.leaf_hash) + " -> " + ToHex(event.leaf_hash));
  }
  acked.leaf_hash = event.leaf_hash;
  return Status::Ok();
}

Status CheckOrg(const Uuid& org, const std::vector<StoredEvent>& events, OrgAcks& acks,
                AckCheckCounts* counts) {
  uint64_t last_global = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const StoredEvent& event = events[i];
    uint64_t seq = i + 1;
    LEDGER_RETURN_IF_ERROR(VerifyStoredEvent(event));
    if (event.position.org != org || event.position.org_seq != seq) {
      return Status::Tampered(Where(org, seq) + ": read back as " + event.position.org.ToString() +
                              " seq " + std::to_string(event.position.org_seq));
    }
    if (event.position.global_seq <= last_global) {
      return Status::Tampered(Where(org, seq) + ": global seq " +
                              std::to_string(event.position.global_seq) + " after " +
                              std::to_string(last_global));
    }
    last_global = event.position.global_seq;
    auto acked = acks.find(seq);
    if (acked == acks.end()) continue;
    LEDGER_RETURN_IF_ERROR(CheckEvent(org, seq, event, acked->second));
    ++counts->acknowledged_checked;
  }
  if (!acks.empty() && acks.rbegin()->first > events.size()) {
    auto lost = acks.upper_bound(events.size());
    return Status::Tampered(Where(org, lost->first) + ": acknowledged (global seq " +
                            std::to_string(lost->second.global_seq) + ", command " +
                            lost->second.command_id + ") but lost: the org now holds " +
                            std::to_string(events.size()) + " events");
  }
  return Status::Ok();
}

}  // namespace

Status CheckAcknowledged(client::Client& client, AckLog& acks, std::span<const Uuid> orgs,
                         AckCheckCounts* counts) {
  for (const Uuid& org : orgs) {
    std::vector<StoredEvent> events;
    LEDGER_RETURN_IF_ERROR(ReadAll(client, org, &events));
    ++counts->orgs;
    counts->events_read += events.size();
    Status checked;
    acks.WithOrg(org,
                 [&](OrgAcks& org_acks) { checked = CheckOrg(org, events, org_acks, counts); });
    LEDGER_RETURN_IF_ERROR(checked);
  }
  return Status::Ok();
}

}  // namespace ledger::stress
