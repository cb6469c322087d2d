// RFC 6962 / RFC 9162 Merkle tree hashing (SHA-256):
//   leaf hash = SHA-256(0x00 || stored event bytes)
//   node hash = SHA-256(0x01 || left || right)
//   MTH({})   = SHA-256("")
// These are the pure functions; the persisted per-org tree is TreeStore.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/limits.h"

namespace ledger {

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::string_view data);
Digest LeafHash(std::string_view event_bytes);
// The leaf hash of the concatenation head || tail, without building it.
Digest LeafHash(std::string_view head, std::string_view tail);
Digest NodeHash(const Digest& left, const Digest& right);
Digest EmptyTreeRoot();

std::string ToHex(const Digest& digest);
std::optional<Digest> DigestFromHex(std::string_view hex);

// MTH over a list of leaf hashes, straight from the RFC's recursive
// definition. O(n): for small subtrees, verification and tests.
Digest RootFromLeaves(std::span<const Digest> leaves);

// A perfect subtree completed by an append: it covers leaves
// [index << level, (index + 1) << level).
struct CompletedNode {
  int level = 0;
  uint64_t index = 0;
  Digest hash{};
};

// The right edge of a growing tree: one perfect-subtree root per set bit of
// size. Appending is O(log n) and needs nothing else; the root of the whole
// tree folds the frontier. Not thread-safe.
class MerkleFrontier {
 public:
  MerkleFrontier() = default;
  // REQUIRES: `roots` holds one digest per set bit of `size`, highest first.
  static std::optional<MerkleFrontier> FromRoots(uint64_t size, std::span<const Digest> roots);

  // Appends a leaf; reports every perfect subtree of level >= 1 it completed.
  void Append(const Digest& leaf_hash, std::vector<CompletedNode>* completed);
  Digest Root() const;
  uint64_t size() const { return size_; }
  // One digest per set bit of size(), highest level first (the stored form).
  std::vector<Digest> Roots() const;

 private:
  uint64_t size_ = 0;
  std::array<Digest, limits::kTreeLevelsMax> by_level_{};
};

}  // namespace ledger
