// ledger prove: RFC 9162 inclusion proofs (an event is in the tree of a
// head) and consistency proofs (a smaller head is a prefix of a larger one).
// Every proof is checked with the RFC's verification algorithm before it is
// printed, so a proof this prints verifies.
#include <iostream>

#include "commands.h"
#include "ledger/audit/source.h"
#include "ledger/merkle_proof.h"

namespace ledger::cli {
namespace {

struct ProveFlags {
  audit::SourceFlags source;
  std::string org;
  uint64_t seq = 0;
  uint64_t size = 0;
  uint64_t from_size = 0;
  uint64_t to_size = 0;
  std::string format = "json";
};

// Which options were given: 0 is a value the user may type by mistake.
struct Given {
  bool seq = false;
  bool size = false;
  bool from_size = false;
  bool to_size = false;
};

std::string JsonList(const std::vector<Digest>& proof) {
  std::string out = "[";
  for (const Digest& hash : proof) out += (out.size() > 1 ? ",\"" : "\"") + ToHex(hash) + "\"";
  return out + "]";
}

std::string TextList(const std::vector<Digest>& proof) {
  std::string out = std::to_string(proof.size()) + " hashes, bottom up\n";
  for (const Digest& hash : proof) out += "  " + ToHex(hash) + "\n";
  return out;
}

SubtreeHashFn SubtreesOf(audit::AuditSource& source, const Uuid& org) {
  return
      [&source, org](uint64_t begin, uint64_t end) { return source.SubtreeHash(org, begin, end); };
}

Result<Digest> LeafHashOf(audit::AuditSource& source, const Uuid& org, uint64_t seq) {
  std::optional<Digest> leaf;
  LEDGER_RETURN_IF_ERROR(source.Scan(org, seq, seq, [&](const StoredEvent& event) {
    leaf = event.leaf_hash;  // checked on read against the event's bytes
    return Status::Ok();
  }));
  if (!leaf)
    return Status::NotFound("org " + org.ToString() + " has no event " + std::to_string(seq));
  return *leaf;
}

int ProveInclusion(audit::AuditSource& source, const Uuid& org, const ProveFlags& flags) {
  Result<TreeHead> head = source.Head(org, flags.size);
  if (!head.ok()) return FailBrief(head.status());
  if (flags.seq == 0 || flags.seq > head->size) {
    return Fail("--seq " + std::to_string(flags.seq) + " is out of range: the tree of org " +
                org.ToString() + " has events 1.." + std::to_string(head->size));
  }
  Result<Digest> leaf = LeafHashOf(source, org, flags.seq);
  if (!leaf.ok()) return FailBrief(leaf.status());
  uint64_t index = flags.seq - 1;
  Result<std::vector<Digest>> proof = InclusionProof(index, head->size, SubtreesOf(source, org));
  if (!proof.ok()) return FailBrief(proof.status());
  if (!VerifyInclusion(*leaf, index, head->size, *proof, head->root)) {
    return Fail("the inclusion proof of event " + std::to_string(flags.seq) +
                " does not verify against the root of size " + std::to_string(head->size) +
                ": the log's tree is inconsistent (run `ledger verify`)");
  }
  if (flags.format == "json") {
    std::cout << R"({"org":")" << org.ToString() << R"(","seq":)" << flags.seq << R"(,"size":)"
              << head->size << R"(,"leaf_hash":")" << ToHex(*leaf) << R"(","root":")"
              << ToHex(head->root) << R"(","proof":)" << JsonList(*proof) << "}\n";
  } else {
    std::cout << "org       " << org.ToString() << "\nseq       " << flags.seq << "\nsize      "
              << head->size << "\nleaf_hash " << ToHex(*leaf) << "\nroot      " << ToHex(head->root)
              << "\nproof     " << TextList(*proof);
  }
  return 0;
}

int ProveConsistency(audit::AuditSource& source, const Uuid& org, const ProveFlags& flags) {
  Result<TreeHead> to = source.Head(org, flags.to_size);  // 0: now
  if (!to.ok()) return FailBrief(to.status());
  if (flags.from_size > to->size) {
    return Fail("--from-size " + std::to_string(flags.from_size) + " is beyond the org's " +
                std::to_string(to->size) + " events");
  }
  Result<TreeHead> from = source.Head(org, flags.from_size);
  if (!from.ok()) return FailBrief(from.status());
  Result<std::vector<Digest>> proof =
      ConsistencyProof(from->size, to->size, SubtreesOf(source, org));
  if (!proof.ok()) return FailBrief(proof.status());
  if (!VerifyConsistency(from->size, to->size, *proof, from->root, to->root)) {
    return Fail("the consistency proof from size " + std::to_string(from->size) + " to " +
                std::to_string(to->size) +
                " does not verify: the log's tree is inconsistent (run `ledger verify`)");
  }
  if (flags.format == "json") {
    std::cout << R"({"org":")" << org.ToString() << R"(","from_size":)" << from->size
              << R"(,"to_size":)" << to->size << R"(,"from_root":")" << ToHex(from->root)
              << R"(","to_root":")" << ToHex(to->root) << R"(","proof":)" << JsonList(*proof)
              << "}\n";
  } else {
    std::cout << "org       " << org.ToString() << "\nfrom_size " << from->size << "\nto_size   "
              << to->size << "\nfrom_root " << ToHex(from->root) << "\nto_root   "
              << ToHex(to->root) << "\nproof     " << TextList(*proof);
  }
  return 0;
}

// The checks that need no log.
Status CheckFlags(const ProveFlags& flags, const Given& given) {
  if (given.seq == given.from_size) {
    return Status::InvalidArgument(
        "give --seq N (an inclusion proof) or --from-size A (a consistency proof)");
  }
  if (given.seq && given.to_size) {
    return Status::InvalidArgument("--to-size goes with --from-size; with --seq use --size");
  }
  if (given.from_size && given.size) {
    return Status::InvalidArgument("--size goes with --seq; with --from-size use --to-size");
  }
  if (given.from_size && flags.from_size == 0) {
    return Status::InvalidArgument("--from-size must be at least 1: an empty tree proves nothing");
  }
  if (given.to_size && flags.to_size == 0) {
    return Status::InvalidArgument("--to-size must be at least 1");
  }
  if (given.size && flags.size == 0) return Status::InvalidArgument("--size must be at least 1");
  if (given.to_size && flags.from_size > flags.to_size) {
    return Status::InvalidArgument("--from-size " + std::to_string(flags.from_size) +
                                   " is greater than --to-size " + std::to_string(flags.to_size) +
                                   ": a log only grows");
  }
  return Status::Ok();
}

int RunProve(const ProveFlags& flags, const Given& given) {
  Status valid = CheckFlags(flags, given);
  if (!valid.ok()) return FailBrief(valid);
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags.source);
  if (!source.ok()) return FailBrief(source.status());
  return given.seq ? ProveInclusion(**source, org, flags) : ProveConsistency(**source, org, flags);
}

constexpr char kFooter[] =
    "Proofs follow RFC 9162 section 2.1 (SHA-256; leaf = 0x00 || stored bytes, node =\n"
    "0x01 || left || right); hashes are lower-case hex, listed bottom up as in the RFC.\n"
    "Inclusion (--seq N: the event of org sequence N is leaf N-1):\n"
    "  {\"org\",\"seq\",\"size\",\"leaf_hash\",\"root\",\"proof\":[hex,...]}\n"
    "Consistency (--from-size A [--to-size B]; B defaults to the current head):\n"
    "  {\"org\",\"from_size\",\"to_size\",\"from_root\",\"to_root\",\"proof\":[hex,...]}\n"
    "The size defaults to the org's current head. Each proof is verified before it is\n"
    "printed; check it yourself with RFC 9162 sections 2.1.3.2 and 2.1.4.2.";

}  // namespace

void AddProveCommand(CLI::App& app) {
  auto flags = std::make_shared<ProveFlags>();
  CLI::App* command =
      app.add_subcommand("prove", "Print an RFC 9162 inclusion or consistency proof");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  CLI::Option* seq = command->add_option("--seq", flags->seq, "prove event N (org sequence)");
  CLI::Option* size =
      command->add_option("--size", flags->size, "in the tree of this many events (default: now)");
  CLI::Option* from_size = command->add_option("--from-size", flags->from_size,
                                               "prove the tree of A events is a prefix of ...");
  CLI::Option* to_size =
      command->add_option("--to-size", flags->to_size, "... the tree of B events (default: now)");
  command->add_option("--format", flags->format, "json or text")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "text"}));
  command->footer(kFooter);
  command->final_callback([flags, seq, size, from_size, to_size] {
    Given given{seq->count() > 0, size->count() > 0, from_size->count() > 0, to_size->count() > 0};
    throw CLI::RuntimeError(RunProve(*flags, given));
  });
}

}  // namespace ledger::cli
