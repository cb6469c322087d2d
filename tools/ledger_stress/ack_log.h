// Every event ledgerd acknowledged during a stress run: its position and the
// command it came from, so the checks can find it again after a crash.
// Thread-safe: the client threads record, the crash loop checks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/stored_event.h"
#include "ledger/uuid.h"

namespace ledger::stress {

struct AckedEvent {
  uint64_t global_seq = 0;
  std::string command_id;  // event_id of the command that appended it
  // An event the engine added to the command (a resolution, a threshold):
  // its causation_id is command_id. The command's own event comes first.
  bool derived = false;
  // Set by the first check that read it back; every later read must match.
  std::optional<Digest> leaf_hash;
};

using OrgAcks = std::map<uint64_t, AckedEvent>;  // by org_seq

class AckLog {
 public:
  // Records the events one accepted command appended. A position
  // acknowledged twice is the loss of the first acknowledgement: returned
  // as an error naming both commands.
  Status Record(const std::string& command_id, std::span<const Position> positions);

  // Orgs with acknowledgements since the last call (or ever).
  std::vector<Uuid> TakeTouchedOrgs();
  std::vector<Uuid> AllOrgs();
  // An org acknowledged recently, picked by `random`; nullopt before any.
  std::optional<Uuid> RecentOrg(uint64_t random);
  uint64_t events() const;

  // Runs `visit` on the org's acknowledgements under the lock.
  void WithOrg(const Uuid& org, const std::function<void(OrgAcks&)>& visit);

 private:
  static constexpr size_t kRecentOrgsMax = 64;

  mutable std::mutex mutex_;
  std::unordered_map<Uuid, OrgAcks, UuidHash> orgs_;
  std::set<Uuid> touched_;
  std::vector<Uuid> recent_;  // ring of the orgs acknowledged last
  size_t recent_next_ = 0;
  uint64_t events_ = 0;
};

}  // namespace ledger::stress
