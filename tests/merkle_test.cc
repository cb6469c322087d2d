// The Merkle hashing against the Certificate Transparency test vectors
// (RFC 6962 reference implementation, merkle_tree_test.cc) and the frontier
// against the RFC's recursive definition.
#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ledger {
namespace {

// The eight leaf inputs of the CT test suite.
std::vector<std::string> CtLeaves() {
  using namespace std::string_literals;
  return {""s,
          "\x00"s,
          "\x10"s,
          "\x20\x21"s,
          "\x30\x31"s,
          "\x40\x41\x42\x43"s,
          "\x50\x51\x52\x53\x54\x55\x56\x57"s,
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"s};
}

// Published roots of the first 1..8 of those leaves.
const char* const kCtRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

TEST(Merkle, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(ToHex(EmptyTreeRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, RootsMatchCertificateTransparencyVectors) {
  std::vector<Digest> leaves;
  for (const std::string& leaf : CtLeaves()) leaves.push_back(LeafHash(leaf));
  for (size_t size = 1; size <= leaves.size(); ++size) {
    EXPECT_EQ(ToHex(RootFromLeaves(std::span(leaves).first(size))), kCtRoots[size - 1])
        << "size " << size;
  }
}

TEST(Merkle, FrontierMatchesRecursiveDefinitionAtEverySize) {
  std::vector<Digest> leaves;
  MerkleFrontier frontier;
  std::vector<CompletedNode> completed;
  EXPECT_EQ(frontier.Root(), EmptyTreeRoot());
  for (int i = 0; i < 300; ++i) {
    leaves.push_back(LeafHash("leaf " + std::to_string(i)));
    frontier.Append(leaves.back(), &completed);
    ASSERT_EQ(frontier.Root(), RootFromLeaves(leaves)) << "size " << leaves.size();
  }
}

TEST(Merkle, CompletedNodesAreThePerfectSubtrees) {
  std::vector<Digest> leaves;
  MerkleFrontier frontier;
  std::vector<CompletedNode> completed;
  for (int i = 0; i < 64; ++i) {
    leaves.push_back(LeafHash(std::to_string(i)));
    frontier.Append(leaves.back(), &completed);
  }
  ASSERT_EQ(completed.size(), 63u);  // a full tree of 64 leaves has 63 inner nodes
  for (const CompletedNode& node : completed) {
    auto first = std::span(leaves).subspan(node.index << node.level, size_t{1} << node.level);
    EXPECT_EQ(node.hash, RootFromLeaves(first))
        << "level " << node.level << " index " << node.index;
  }
}

TEST(Merkle, FrontierRestoresFromItsStoredRoots) {
  MerkleFrontier frontier;
  std::vector<CompletedNode> completed;
  for (int i = 0; i < 77; ++i) frontier.Append(LeafHash(std::to_string(i)), &completed);
  std::optional<MerkleFrontier> restored = MerkleFrontier::FromRoots(77, frontier.Roots());
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->Root(), frontier.Root());
  frontier.Append(LeafHash("next"), &completed);
  restored->Append(LeafHash("next"), &completed);
  EXPECT_EQ(restored->Root(), frontier.Root());
  EXPECT_FALSE(MerkleFrontier::FromRoots(77, std::vector<Digest>(2)));
}

TEST(Merkle, HexRoundTripRejectsMalformedText) {
  Digest digest = Sha256("abc");
  EXPECT_EQ(DigestFromHex(ToHex(digest)), digest);
  EXPECT_FALSE(DigestFromHex("abc"));
  EXPECT_FALSE(DigestFromHex(std::string(64, 'g')));
}

}  // namespace
}  // namespace ledger
