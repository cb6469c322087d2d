// The events every system in bench/compare.sh stores, and their envelope columns.
#include <flatbuffers/flatbuffers.h>

#include <algorithm>

#include "bench_workload.h"
#include "compare.h"
#include "ledger/fb/events_generated.h"

namespace ledger::bench {

std::vector<std::string> MakeEvents(uint64_t count, size_t event_bytes) {
  // Four orgs as ledger-bench's default four connections, in runs of 1,000.
  constexpr size_t kOrgs = 4;
  constexpr size_t kRun = 1000;
  std::vector<Uuid> orgs;
  for (size_t i = 0; i < kOrgs; ++i) orgs.push_back(Uuid::Random());
  Workload workload(orgs, {.event_bytes = event_bytes});
  std::vector<std::string> events;
  events.reserve(count);
  for (size_t org = 0; events.size() < count; ++org) {
    size_t run = std::min<size_t>(kRun, count - events.size());
    for (Command& command : workload.Batch(org % kOrgs, run)) {
      events.push_back(std::move(command.event));
    }
  }
  return events;
}

EventEnvelope EnvelopeOf(const std::string& event) {
  const fb::Event* root = flatbuffers::GetRoot<fb::Event>(event.data());
  const fb::Envelope* envelope = root->envelope();
  return {envelope->event_id()->str(), envelope->org_id()->str(),
          fb::EnumNamePayload(root->payload_type())};
}

}  // namespace ledger::bench
