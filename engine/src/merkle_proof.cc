#include "ledger/merkle_proof.h"

#include <bit>
#include <string>

namespace ledger {
namespace {

// The RFC's k: the largest power of two smaller than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// PATH(m, D[begin:end]) appended to `proof`, deepest sibling first, as the
// RFC's recursion orders it: the recursive part, then the sibling subtree.
Status AppendPath(uint64_t m, uint64_t begin, uint64_t end, const SubtreeHashFn& subtree,
                  std::vector<Digest>* proof) {
  uint64_t n = end - begin;
  if (n == 1) return Status::Ok();
  uint64_t k = SplitPoint(n);
  Result<Digest> sibling = m < k ? subtree(begin + k, end) : subtree(begin, begin + k);
  if (!sibling.ok()) return sibling.status();
  LEDGER_RETURN_IF_ERROR(m < k ? AppendPath(m, begin, begin + k, subtree, proof)
                               : AppendPath(m - k, begin + k, end, subtree, proof));
  proof->push_back(*sibling);
  return Status::Ok();
}

// SUBPROOF(m, D[begin:end], b) appended to `proof`.
Status AppendSubproof(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                      const SubtreeHashFn& subtree, std::vector<Digest>* proof) {
  uint64_t n = end - begin;
  if (m == n) {
    // The old tree is this whole subtree: the verifier knows its hash
    // already when it is the old root itself (whole), and needs it otherwise.
    if (whole) return Status::Ok();
    Result<Digest> hash = subtree(begin, end);
    if (!hash.ok()) return hash.status();
    proof->push_back(*hash);
    return Status::Ok();
  }
  uint64_t k = SplitPoint(n);
  Result<Digest> sibling = m <= k ? subtree(begin + k, end) : subtree(begin, begin + k);
  if (!sibling.ok()) return sibling.status();
  LEDGER_RETURN_IF_ERROR(m <= k ? AppendSubproof(m, begin, begin + k, whole, subtree, proof)
                                : AppendSubproof(m - k, begin + k, end, false, subtree, proof));
  proof->push_back(*sibling);
  return Status::Ok();
}

bool LowBitSet(uint64_t x) { return (x & 1) != 0; }

// RFC 9162 2.1.3.2 step 4.b.ii and 2.1.4.2 step 6.b.iii.
void ShiftUntilLowBitOrZero(uint64_t* fn, uint64_t* sn) {
  while (!LowBitSet(*fn) && *fn != 0) {
    *fn >>= 1;
    *sn >>= 1;
  }
}

}  // namespace

Result<std::vector<Digest>> InclusionProof(uint64_t index, uint64_t size,
                                           const SubtreeHashFn& subtree) {
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is not below tree size " + std::to_string(size));
  }
  std::vector<Digest> proof;
  LEDGER_RETURN_IF_ERROR(AppendPath(index, 0, size, subtree, &proof));
  return proof;
}

Result<std::vector<Digest>> ConsistencyProof(uint64_t from, uint64_t to,
                                             const SubtreeHashFn& subtree) {
  if (from == 0 || from > to) {
    return Status::InvalidArgument("consistency proof needs 0 < from <= to, got from " +
                                   std::to_string(from) + " to " + std::to_string(to));
  }
  std::vector<Digest> proof;
  LEDGER_RETURN_IF_ERROR(AppendSubproof(from, 0, to, true, subtree, &proof));
  return proof;
}

bool VerifyInclusion(const Digest& leaf_hash, uint64_t index, uint64_t size,
                     std::span<const Digest> proof, const Digest& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return false;
    if (LowBitSet(fn) || fn == sn) {
      r = NodeHash(p, r);
      if (!LowBitSet(fn)) ShiftUntilLowBitOrZero(&fn, &sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t from, uint64_t to, std::span<const Digest> proof,
                       const Digest& from_root, const Digest& to_root) {
  if (from == 0 || from > to) return false;
  // The RFC's algorithm assumes first < second; a tree is consistent with
  // itself by an empty proof.
  if (from == to) return proof.empty() && from_root == to_root;
  if (proof.empty()) return false;
  // When `from` is a power of two the old root is itself a node of the new
  // tree, so the RFC has the verifier start from it (step 2).
  std::vector<Digest> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(from)) path.push_back(from_root);
  path.insert(path.end(), proof.begin(), proof.end());

  uint64_t fn = from - 1;
  uint64_t sn = to - 1;
  while (LowBitSet(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = path[0];
  Digest sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Digest& c = path[i];
    if (sn == 0) return false;
    if (LowBitSet(fn) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!LowBitSet(fn)) ShiftUntilLowBitOrZero(&fn, &sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == from_root && sr == to_root && sn == 0;
}

}  // namespace ledger
