#include "ledger/merkle.h"

// OpenSSL 3 deprecates the direct SHA256_* functions in favour of EVP, but
// EVP looks the algorithm up in a provider on every init: at our message
// sizes (65 to a few hundred bytes) that dispatch cost more than the hashing
// itself (a profile of Append showed EVP_MD_fetch alone at 11%). The direct
// functions run the same SHA-NI code with none of that.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <bit>

namespace ledger {
namespace {

Digest Hash(std::initializer_list<std::string_view> parts) {
  SHA256_CTX context;
  SHA256_Init(&context);
  for (std::string_view part : parts) SHA256_Update(&context, part.data(), part.size());
  Digest out;
  SHA256_Final(out.data(), &context);
  return out;
}

std::string_view View(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

uint64_t LargestPowerOfTwoBelow(uint64_t n) {  // REQUIRES: n >= 2
  return std::bit_floor(n - 1);
}

}  // namespace

Digest Sha256(std::string_view data) { return Hash({data}); }

Digest LeafHash(std::string_view event_bytes) {
  static constexpr char kLeafPrefix = 0x00;
  return Hash({std::string_view(&kLeafPrefix, 1), event_bytes});
}

Digest LeafHash(std::string_view head, std::string_view tail) {
  static constexpr char kLeafPrefix = 0x00;
  return Hash({std::string_view(&kLeafPrefix, 1), head, tail});
}

Digest NodeHash(const Digest& left, const Digest& right) {
  static constexpr char kNodePrefix = 0x01;
  return Hash({std::string_view(&kNodePrefix, 1), View(left), View(right)});
}

Digest EmptyTreeRoot() { return Sha256(""); }

std::string ToHex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

std::optional<Digest> DigestFromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() != 64) return std::nullopt;
  Digest out{};
  for (size_t i = 0; i < out.size(); ++i) {
    int high = nibble(hex[2 * i]);
    int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return out;
}

Digest RootFromLeaves(std::span<const Digest> leaves) {
  if (leaves.empty()) return EmptyTreeRoot();
  if (leaves.size() == 1) return leaves[0];
  uint64_t split = LargestPowerOfTwoBelow(leaves.size());
  return NodeHash(RootFromLeaves(leaves.first(split)), RootFromLeaves(leaves.subspan(split)));
}

std::optional<MerkleFrontier> MerkleFrontier::FromRoots(uint64_t size,
                                                        std::span<const Digest> roots) {
  if (static_cast<size_t>(std::popcount(size)) != roots.size()) return std::nullopt;
  MerkleFrontier frontier;
  frontier.size_ = size;
  size_t next = 0;
  for (int level = limits::kTreeLevelsMax - 1; level >= 0; --level) {
    if ((size >> level) & 1) frontier.by_level_[level] = roots[next++];
  }
  return frontier;
}

void MerkleFrontier::Append(const Digest& leaf_hash, std::vector<CompletedNode>* completed) {
  Digest hash = leaf_hash;
  int level = 0;
  // Each set low bit of size is a pending left sibling: merge until a zero bit.
  for (uint64_t bits = size_; bits & 1; bits >>= 1, ++level) {
    hash = NodeHash(by_level_[level], hash);
    completed->push_back({level + 1, ((size_ + 1) >> (level + 1)) - 1, hash});
  }
  by_level_[level] = hash;
  ++size_;
}

Digest MerkleFrontier::Root() const {
  if (size_ == 0) return EmptyTreeRoot();
  int level = std::countr_zero(size_);
  Digest root = by_level_[level];
  for (++level; level < limits::kTreeLevelsMax; ++level) {
    if ((size_ >> level) & 1) root = NodeHash(by_level_[level], root);
  }
  return root;
}

std::vector<Digest> MerkleFrontier::Roots() const {
  std::vector<Digest> roots;
  for (int level = limits::kTreeLevelsMax - 1; level >= 0; --level) {
    if ((size_ >> level) & 1) roots.push_back(by_level_[level]);
  }
  return roots;
}

}  // namespace ledger
