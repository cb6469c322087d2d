// Full verification of one org: every record, every leaf hash, every stored
// tree node and the current root, recomputed from the stored bytes.
#include "ledger/limits.h"
#include "rocks_event_log.h"
#include "tree_reader.h"

namespace ledger {
namespace {

// Events per read while verifying: bounds memory on long histories.
constexpr size_t kVerifyPageEvents = 4096;

}  // namespace

Status RocksEventLog::VerifyOrg(const Uuid& org) const {
  Result<OrgState> state = LoadOrgState(org);
  if (!state.ok()) return state.status();
  const uint64_t size = state->tree.size();
  if (size == 0) return Status::NotFound("unknown org " + org.ToString());
  const std::string where = "org " + org.ToString();
  TreeReader tree(db_.get(), columns_[kEvents], columns_[kTree], org);
  MerkleFrontier rebuilt;
  std::vector<CompletedNode> completed;
  std::vector<StoredEvent> page;
  int64_t previous_recorded_at = 0;
  uint64_t seq = 1;
  while (seq <= size) {
    page.clear();
    LEDGER_RETURN_IF_ERROR(ReadOrg(org, seq, kVerifyPageEvents, &page));
    if (page.empty()) break;
    for (const StoredEvent& event : page) {
      std::string at = where + " seq " + std::to_string(seq);
      if (LeafHash(event.body) != event.leaf_hash) {
        return Status::Tampered(at + ": event bytes do not match their leaf hash");
      }
      if (event.position.recorded_at <= previous_recorded_at) {
        return Status::Tampered(at + ": recorded_at does not increase");
      }
      previous_recorded_at = event.position.recorded_at;
      completed.clear();
      rebuilt.Append(event.leaf_hash, &completed);
      for (const CompletedNode& node : completed) {
        if (node.level < limits::kStoredNodeLevelMin) continue;
        Result<Digest> stored = tree.StoredNode(node.level, node.index);
        if (!stored.ok()) return stored.status();
        if (*stored != node.hash) {
          uint64_t first = (node.index << node.level) + 1;
          return Status::Tampered(where + " seqs " + std::to_string(first) + ".." +
                                  std::to_string(seq) + ": leaves do not match the stored tree");
        }
      }
      ++seq;
    }
  }
  if (rebuilt.size() != size) {
    return Status::Tampered(where + ": log holds " + std::to_string(rebuilt.size()) +
                            " events but the tree head covers " + std::to_string(size) +
                            " (cut short at seq " + std::to_string(rebuilt.size() + 1) + ")");
  }
  if (rebuilt.Root() != state->tree.Root()) {
    return Status::Tampered(where + ": recomputed root " + ToHex(rebuilt.Root()) +
                            " differs from the stored head " + ToHex(state->tree.Root()));
  }
  return Status::Ok();
}

}  // namespace ledger
