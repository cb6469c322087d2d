// RFC 9162 (Certificate Transparency 2.0) section 2.1 Merkle proofs over the
// per-org trees of merkle.h: inclusion proofs (2.1.3) and consistency proofs
// (2.1.4), generated from any source of subtree hashes and verified with the
// RFC's own iterative algorithms (2.1.3.2, 2.1.4.2), which share no code
// with generation.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/status.h"

namespace ledger {

// MTH(D[begin:end]) of one org's tree, leaves 0-based. Proof generation asks
// only for ranges the RFC's recursion visits (what TreeReader::SubtreeHash
// and EventLog::SubtreeHash require).
using SubtreeHashFn = std::function<Result<Digest>(uint64_t begin, uint64_t end)>;

// PATH(m, D[0:n]): the inclusion proof of leaf `index` (0-based) in the tree
// of `size` leaves. InvalidArgument unless index < size.
Result<std::vector<Digest>> InclusionProof(uint64_t index, uint64_t size,
                                           const SubtreeHashFn& subtree);
// PROOF(m, D[0:n]): the consistency proof from size `from` to size `to`.
// InvalidArgument unless 0 < from <= to. Empty when from == to.
Result<std::vector<Digest>> ConsistencyProof(uint64_t from, uint64_t to,
                                             const SubtreeHashFn& subtree);

// RFC 9162 2.1.3.2: does `proof` show leaf_hash at `index` in the tree of
// `size` leaves whose root is `root`?
bool VerifyInclusion(const Digest& leaf_hash, uint64_t index, uint64_t size,
                     std::span<const Digest> proof, const Digest& root);
// RFC 9162 2.1.4.2: does `proof` show that the tree of `from` leaves with
// root from_root is a prefix of the tree of `to` leaves with root to_root?
bool VerifyConsistency(uint64_t from, uint64_t to, std::span<const Digest> proof,
                       const Digest& from_root, const Digest& to_root);

}  // namespace ledger
