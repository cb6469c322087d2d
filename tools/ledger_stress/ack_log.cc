#include "ack_log.h"

namespace ledger::stress {

Status AckLog::Record(const std::string& command_id, std::span<const Position> positions) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < positions.size(); ++i) {
    const Position& position = positions[i];
    OrgAcks& acks = orgs_[position.org];
    auto [it, inserted] = acks.try_emplace(position.org_seq);
    if (!inserted) {
      return Status::Internal(
          "org " + position.org.ToString() + " seq " + std::to_string(position.org_seq) +
          " acknowledged twice: to command " + it->second.command_id + " (global " +
          std::to_string(it->second.global_seq) + ") and to command " + command_id + " (global " +
          std::to_string(position.global_seq) + ")");
    }
    it->second.global_seq = position.global_seq;
    it->second.command_id = command_id;
    it->second.derived = i > 0;
    ++events_;
    touched_.insert(position.org);
  }
  if (!positions.empty()) {
    if (recent_.size() < kRecentOrgsMax) {
      recent_.push_back(positions.front().org);
    } else {
      recent_[recent_next_++ % kRecentOrgsMax] = positions.front().org;
    }
  }
  return Status::Ok();
}

std::vector<Uuid> AckLog::TakeTouchedOrgs() {
  std::lock_guard lock(mutex_);
  std::vector<Uuid> orgs(touched_.begin(), touched_.end());
  touched_.clear();
  return orgs;
}

std::vector<Uuid> AckLog::AllOrgs() {
  std::lock_guard lock(mutex_);
  std::vector<Uuid> orgs;
  for (const auto& [org, acks] : orgs_) orgs.push_back(org);
  return orgs;
}

std::optional<Uuid> AckLog::RecentOrg(uint64_t random) {
  std::lock_guard lock(mutex_);
  if (recent_.empty()) return std::nullopt;
  return recent_[random % recent_.size()];
}

uint64_t AckLog::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void AckLog::WithOrg(const Uuid& org, const std::function<void(OrgAcks&)>& visit) {
  std::lock_guard lock(mutex_);
  visit(orgs_[org]);
}

}  // namespace ledger::stress
