#include "verify_against.h"

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "event_lines.h"
#include "ledger/merkle_proof.h"
#include "progress.h"
#include "saved_head.h"

namespace ledger::cli {
namespace {

// Leaf hashes of the saved tree by org sequence, recomputed from the bodies
// of an export (all of it or a range).
using SavedLeaves = std::map<uint64_t, Digest>;

Result<SavedLeaves> ReadSavedLeaves(const std::string& path, const Uuid& org) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  SavedLeaves leaves;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    std::string where = path + " line " + std::to_string(number);
    nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_object() || !json.contains("body_b64") || !json["body_b64"].is_string()) {
      return Status::InvalidArgument(where + ": not an export line with body_b64");
    }
    std::optional<std::string> body = FromBase64(json["body_b64"].get<std::string>());
    if (!body) return Status::InvalidArgument(where + ": body_b64 is not base64");
    Result<StoredEvent> event = ParseBody(std::move(*body));
    if (!event.ok()) return event.status().WithContext(where);
    if (event->position.org != org) return Status::InvalidArgument(where + ": another org");
    leaves[event->position.org_seq] = event->leaf_hash;
  }
  return leaves;
}

// Finds the first leaf where the log and the saved tree differ by descending
// the RFC 9162 tree from the root, comparing subtree hashes of both sides
// where the saved leaves are known.
class Divergence {
 public:
  Divergence(audit::AuditSource& source, const Uuid& org, const SavedLeaves& saved)
      : source_(source), org_(org), saved_(saved) {}

  Result<std::string> Describe(uint64_t size) {
    uint64_t begin = 0;
    uint64_t end = size;
    while (end - begin > 1) {
      uint64_t split = 1;
      while (split * 2 < end - begin) split *= 2;
      uint64_t middle = begin + split;
      Result<std::optional<bool>> left_equal = Equal(begin, middle);
      if (!left_equal.ok()) return left_equal.status();
      if (left_equal->has_value()) {
        (**left_equal ? begin : end) = middle;
        continue;
      }
      Result<std::optional<bool>> right_equal = Equal(middle, end);
      if (!right_equal.ok()) return right_equal.status();
      if (!right_equal->value_or(false)) break;
      end = middle;  // the right halves agree: the difference is on the left
    }
    if (end - begin == 1) return "first differing seq " + std::to_string(end);
    return "the first difference lies in seqs " + std::to_string(begin + 1) + ".." +
           std::to_string(end) +
           (saved_.empty() ? " (pass --events with an export saved with the head to narrow it)"
                           : "");
  }

 private:
  // nullopt when the saved leaves do not cover [begin, end).
  Result<std::optional<bool>> Equal(uint64_t begin, uint64_t end) {
    std::vector<Digest> leaves;
    for (uint64_t seq = begin + 1; seq <= end; ++seq) {
      auto found = saved_.find(seq);
      if (found == saved_.end()) return std::optional<bool>();
      leaves.push_back(found->second);
    }
    Result<Digest> log = source_.SubtreeHash(org_, begin, end);
    if (!log.ok()) return log.status();
    return std::optional<bool>(*log == RootFromLeaves(leaves));
  }

  audit::AuditSource& source_;
  Uuid org_;
  const SavedLeaves& saved_;
};

struct Recomputed {
  Digest root_at_saved{};
  Digest root{};
};

// Folds the leaves of every event of the log: nothing the log says about
// its tree is taken on trust.
Result<Recomputed> Recompute(audit::AuditSource& source, const Uuid& org, uint64_t size,
                             uint64_t saved_size) {
  Recomputed out;
  out.root_at_saved = EmptyTreeRoot();
  MerkleFrontier frontier;
  std::vector<CompletedNode> completed;
  Progress progress("verified", size);
  Status scanned = source.Scan(org, 1, size, [&](const StoredEvent& event) {
    completed.clear();
    frontier.Append(LeafHash(event.body), &completed);
    if (frontier.size() == saved_size) out.root_at_saved = frontier.Root();
    progress.Step();
    return Status::Ok();
  });
  if (!scanned.ok()) return scanned;
  if (frontier.size() != size) {
    return Status::Tampered("org " + org.ToString() + ": log holds " +
                            std::to_string(frontier.size()) + " events but its head covers " +
                            std::to_string(size));
  }
  out.root = frontier.Root();
  return out;
}

Status CheckConsistency(audit::AuditSource& source, const SavedHead& saved, const TreeHead& now) {
  const Uuid& org = saved.head.org;
  if (saved.head.size == 0 || saved.head.size == now.size) return Status::Ok();
  Result<std::vector<Digest>> proof = ConsistencyProof(
      saved.head.size, now.size,
      [&](uint64_t begin, uint64_t end) { return source.SubtreeHash(org, begin, end); });
  if (!proof.ok()) return proof.status();
  if (!VerifyConsistency(saved.head.size, now.size, *proof, saved.head.root, now.root)) {
    return Status::Tampered("org " + org.ToString() + ": the consistency proof from size " +
                            std::to_string(saved.head.size) + " to " + std::to_string(now.size) +
                            " does not verify");
  }
  return Status::Ok();
}

Status CheckExtends(audit::AuditSource& source, const SavedHead& saved, const AgainstFlags& flags) {
  const Uuid& org = saved.head.org;
  const std::string where = "org " + org.ToString();
  const uint64_t saved_size = saved.head.size;
  Result<TreeHead> now = source.Head(org);
  if (!now.ok()) return now.status();
  if (now->size < saved_size) {
    return Status::Tampered(where + ": log holds " + std::to_string(now->size) +
                            " events, the saved head covers " + std::to_string(saved_size) +
                            ": cut short after seq " + std::to_string(now->size));
  }
  Result<Recomputed> recomputed = Recompute(source, org, now->size, saved_size);
  if (!recomputed.ok()) return recomputed.status();
  if (recomputed->root != now->root) {
    return Status::Tampered(where + ": the log's events give root " + ToHex(recomputed->root) +
                            ", its head says " + ToHex(now->root) + " (run ledger verify)");
  }
  if (recomputed->root_at_saved != saved.head.root) {
    SavedLeaves leaves;
    if (!flags.events_file.empty()) {
      Result<SavedLeaves> read = ReadSavedLeaves(flags.events_file, org);
      if (!read.ok()) return read.status();
      leaves = std::move(read).value();
    }
    Result<std::string> first = Divergence(source, org, leaves).Describe(saved_size);
    if (!first.ok()) return first.status();
    return Status::Tampered(where + ": the log differs from the saved head (size " +
                            std::to_string(saved_size) + "): " + *first);
  }
  LEDGER_RETURN_IF_ERROR(CheckConsistency(source, saved, *now));
  std::cout << "ok    " << where << ": the log (size " << now->size << ", root " << ToHex(now->root)
            << ") extends the saved head (size " << saved_size << ", root "
            << ToHex(saved.head.root) << ")\n";
  return Status::Ok();
}

}  // namespace

int RunVerifyAgainst(audit::AuditSource& source, const AgainstFlags& flags) {
  if (!flags.public_key.empty()) {
    Result<audit::PublicKey> key = audit::LoadPublicKey(flags.public_key);
    if (!key.ok()) return Fail(key.status());
  }
  Result<std::string> text = ReadFile(flags.head_file);
  if (!text.ok()) return Fail(text.status());
  Result<SavedHead> saved = SavedHeadFromJson(*text);
  if (!saved.ok()) return Fail(saved.status().WithContext(flags.head_file));
  Result<std::string> signature = CheckSignature(*saved, flags.public_key);
  if (!signature.ok()) return Fail(signature.status().WithContext(flags.head_file));
  std::cout << *signature << "\n";
  Status extends = CheckExtends(source, *saved, flags);
  if (!extends.ok()) return Fail(extends);
  return 0;
}

}  // namespace ledger::cli
