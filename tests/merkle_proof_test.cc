// RFC 9162 inclusion and consistency proofs (merkle_proof.h): the published
// certificate-transparency vectors, every proof of a real log compared with
// an independent implementation (tests/rfc9162_reference.py, Python's
// hashlib), and verification rejecting each kind of damaged proof.
#include "ledger/merkle_proof.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace ledger {
namespace {

Digest D(std::string_view hex) { return DigestFromHex(hex).value(); }

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::vector<Digest> Ds(std::initializer_list<std::string_view> hexes) {
  std::vector<Digest> out;
  for (std::string_view hex : hexes) out.push_back(D(hex));
  return out;
}

// Subtree hashes straight from the RFC's definition, over leaf hashes.
SubtreeHashFn FromLeaves(const std::vector<Digest>& leaves) {
  return [&leaves](uint64_t begin, uint64_t end) -> Result<Digest> {
    return RootFromLeaves(std::span(leaves).subspan(begin, end - begin));
  };
}

Digest RootOf(const std::vector<Digest>& leaves, uint64_t size) {
  return RootFromLeaves(std::span(leaves).first(size));
}

// The test vectors of certificate-transparency's merkle_tree_test.cc, as
// republished in github.com/transparency-dev/merkle (testonly/constants.go,
// proof/verify_test.go, testonly/reference_test.go).
const std::vector<std::string> kCtInputs = {
    "",
    std::string(1, '\0'),
    "\x10",
    "\x20\x21",
    "\x30\x31",
    "\x40\x41\x42\x43",
    "\x50\x51\x52\x53\x54\x55\x56\x57",
    "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};

std::vector<Digest> CtLeaves() {
  std::vector<Digest> leaves;
  for (const std::string& input : kCtInputs) leaves.push_back(LeafHash(input));
  return leaves;
}

TEST(MerkleProof, RootsMatchPublishedVectors) {
  std::vector<Digest> leaves = CtLeaves();
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  for (size_t size = 1; size <= 8; ++size) {
    EXPECT_EQ(ToHex(RootOf(leaves, size)), roots[size - 1]) << "size " << size;
  }
}

TEST(MerkleProof, InclusionProofsMatchPublishedVectors) {
  std::vector<Digest> leaves = CtLeaves();
  struct Vector {
    uint64_t index, size;
    std::vector<Digest> proof;
  };
  const std::vector<Vector> vectors = {
      {0, 1, {}},
      {0, 2, Ds({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"})},
      {1, 2, Ds({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"})},
      {2, 3, Ds({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {1, 5,
       Ds({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {0, 8,
       Ds({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {5, 8,
       Ds({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})}};
  for (const Vector& v : vectors) {
    Result<std::vector<Digest>> proof = InclusionProof(v.index, v.size, FromLeaves(leaves));
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(*proof, v.proof) << "index " << v.index << " size " << v.size;
    EXPECT_TRUE(VerifyInclusion(leaves[v.index], v.index, v.size, v.proof, RootOf(leaves, v.size)));
  }
}

TEST(MerkleProof, ConsistencyProofsMatchPublishedVectors) {
  std::vector<Digest> leaves = CtLeaves();
  struct Vector {
    uint64_t from, to;
    std::vector<Digest> proof;
  };
  const std::vector<Vector> vectors = {
      {1, 1, {}},
      {1, 8,
       Ds({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {6, 8,
       Ds({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 5,
       Ds({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})}};
  for (const Vector& v : vectors) {
    Result<std::vector<Digest>> proof = ConsistencyProof(v.from, v.to, FromLeaves(leaves));
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(*proof, v.proof) << "from " << v.from << " to " << v.to;
    EXPECT_TRUE(
        VerifyConsistency(v.from, v.to, v.proof, RootOf(leaves, v.from), RootOf(leaves, v.to)));
  }
}

TEST(MerkleProof, RejectsImpossibleRanges) {
  std::vector<Digest> leaves = CtLeaves();
  EXPECT_EQ(InclusionProof(8, 8, FromLeaves(leaves)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 0, FromLeaves(leaves)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(0, 5, FromLeaves(leaves)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(6, 5, FromLeaves(leaves)).status().code(), Code::kInvalidArgument);
  Result<std::vector<Digest>> same = ConsistencyProof(5, 5, FromLeaves(leaves));
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
  Digest root = RootOf(leaves, 5);
  EXPECT_TRUE(VerifyConsistency(5, 5, {}, root, root));
  EXPECT_FALSE(VerifyConsistency(5, 5, {}, root, RootOf(leaves, 6)));
  EXPECT_FALSE(VerifyConsistency(0, 5, {}, EmptyTreeRoot(), root));
  EXPECT_FALSE(VerifyConsistency(6, 5, *ConsistencyProof(5, 6, FromLeaves(leaves)),
                                 RootOf(leaves, 6), root));
  EXPECT_FALSE(VerifyInclusion(leaves[0], 0, 0, {}, EmptyTreeRoot()));
}

TEST(MerkleProof, PassesOnTheSubtreeSourcesErrors) {
  SubtreeHashFn failing = [](uint64_t, uint64_t) -> Result<Digest> {
    return Status::Corruption("node 3 unreadable");
  };
  EXPECT_EQ(InclusionProof(0, 5, failing).status().code(), Code::kCorruption);
  EXPECT_EQ(ConsistencyProof(3, 5, failing).status().code(), Code::kCorruption);
}

std::vector<Digest> ManyLeaves(int count) {
  std::vector<Digest> leaves;
  for (int i = 0; i < count; ++i) leaves.push_back(LeafHash("leaf " + std::to_string(i)));
  return leaves;
}

Digest Flipped(Digest digest, size_t byte) {
  digest[byte] ^= 0x20;
  return digest;
}

TEST(MerkleProof, VerifyInclusionRejectsDamagedProofs) {
  const uint64_t size_max = 70;
  std::vector<Digest> leaves = ManyLeaves(size_max + 1);
  for (uint64_t size = 1; size <= size_max; ++size) {
    Digest root = RootOf(leaves, size);
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index) + " size " + std::to_string(size));
      std::vector<Digest> proof = InclusionProof(index, size, FromLeaves(leaves)).value();
      const Digest& leaf = leaves[index];
      ASSERT_TRUE(VerifyInclusion(leaf, index, size, proof, root));
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Digest> damaged = proof;
        damaged[i] = Flipped(damaged[i], i % 32);
        EXPECT_FALSE(VerifyInclusion(leaf, index, size, damaged, root)) << "flipped " << i;
      }
      EXPECT_FALSE(VerifyInclusion(Flipped(leaf, 31), index, size, proof, root));
      if (index + 1 < size) {
        EXPECT_FALSE(VerifyInclusion(leaf, index + 1, size, proof, root));
      }
      if (index > 0) {
        EXPECT_FALSE(VerifyInclusion(leaf, index - 1, size, proof, root));
      }
      EXPECT_FALSE(VerifyInclusion(leaf, index, size + 1, proof, RootOf(leaves, size + 1)));
      if (index < size - 1) {
        EXPECT_FALSE(VerifyInclusion(leaf, index, size - 1, proof, RootOf(leaves, size - 1)));
      }
      EXPECT_FALSE(VerifyInclusion(leaf, index, size * 2, proof, root));
      EXPECT_FALSE(VerifyInclusion(leaf, index, size, proof, RootOf(leaves, size + 1)));
      if (!proof.empty()) {
        std::span<const Digest> truncated(proof.data(), proof.size() - 1);
        EXPECT_FALSE(VerifyInclusion(leaf, index, size, truncated, root));
      }
      std::vector<Digest> extended = proof;
      extended.push_back(root);
      EXPECT_FALSE(VerifyInclusion(leaf, index, size, extended, root));
    }
  }
}

TEST(MerkleProof, VerifyConsistencyRejectsDamagedProofs) {
  const uint64_t size_max = 70;
  std::vector<Digest> leaves = ManyLeaves(size_max + 1);
  for (uint64_t to = 2; to <= size_max; ++to) {
    Digest to_root = RootOf(leaves, to);
    for (uint64_t from = 1; from < to; ++from) {
      SCOPED_TRACE("from " + std::to_string(from) + " to " + std::to_string(to));
      std::vector<Digest> proof = ConsistencyProof(from, to, FromLeaves(leaves)).value();
      Digest from_root = RootOf(leaves, from);
      ASSERT_TRUE(VerifyConsistency(from, to, proof, from_root, to_root));
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Digest> damaged = proof;
        damaged[i] = Flipped(damaged[i], i % 32);
        EXPECT_FALSE(VerifyConsistency(from, to, damaged, from_root, to_root)) << "flipped " << i;
      }
      EXPECT_FALSE(VerifyConsistency(from, to, proof, to_root, from_root));
      EXPECT_FALSE(VerifyConsistency(from, to, proof, Flipped(from_root, 0), to_root));
      EXPECT_FALSE(VerifyConsistency(from, to, proof, from_root, Flipped(to_root, 0)));
      EXPECT_FALSE(VerifyConsistency(from + 1, to, proof, RootOf(leaves, from + 1), to_root));
      if (from > 1) {
        EXPECT_FALSE(VerifyConsistency(from - 1, to, proof, RootOf(leaves, from - 1), to_root));
      }
      EXPECT_FALSE(VerifyConsistency(from, to + 1, proof, from_root, RootOf(leaves, to + 1)));
      EXPECT_FALSE(VerifyConsistency(from, to - 1, proof, from_root, RootOf(leaves, to - 1)));
      std::span<const Digest> truncated(proof.data(), proof.size() - 1);
      EXPECT_FALSE(VerifyConsistency(from, to, truncated, from_root, to_root));
      std::vector<Digest> extended = proof;
      extended.push_back(to_root);
      EXPECT_FALSE(VerifyConsistency(from, to, extended, from_root, to_root));
    }
  }
}

// One org's log of kEvents real events, written in groups of uneven sizes,
// and its event bodies in a file for the reference implementation.
class MerkleProofOnLog : public ::testing::Test {
 protected:
  static constexpr int kEvents = 1030;

  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    log_ = testing::OpenOrDie(testing::OptionsIn(*dir_)).release();
    org_ = Uuid::Random();
    std::vector<std::string> events;
    for (int i = 0; i < kEvents; ++i) events.push_back(testing::TeamEvent(org_, std::to_string(i)));
    std::vector<std::string_view> views(events.begin(), events.end());
    size_t done = 0;
    for (size_t group = 1; done < views.size(); group = group * 3 + 1) {
      size_t count = std::min(group, views.size() - done);
      ASSERT_TRUE(log_->Append(std::span(views).subspan(done, count)).ok());
      done += count;
    }
    std::vector<StoredEvent> stored;
    ASSERT_TRUE(log_->ReadOrg(org_, 1, kEvents, &stored).ok());
    ASSERT_EQ(stored.size(), static_cast<size_t>(kEvents));
    std::ofstream out(dir_->Sub("leaves.hex"));
    leaf_hashes_ = new std::vector<Digest>;
    for (const StoredEvent& event : stored) {
      out << Hex(event.body) << "\n";
      leaf_hashes_->push_back(event.leaf_hash);
    }
  }

  static void TearDownTestSuite() {
    delete leaf_hashes_;
    delete log_;
    delete dir_;
  }

  // One output line of rfc9162_reference.py per query.
  static std::vector<std::string> Reference(const std::vector<std::string>& queries) {
    std::string command =
        "/usr/bin/python3 " LEDGER_TESTS_DIR "/rfc9162_reference.py " + dir_->Sub("leaves.hex");
    for (const std::string& query : queries) command += " " + query;
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::vector<std::string> lines;
    if (pipe == nullptr) return lines;
    std::string line;
    for (int c = fgetc(pipe); c != EOF; c = fgetc(pipe)) {
      if (c != '\n') {
        line.push_back(static_cast<char>(c));
        continue;
      }
      lines.push_back(line);
      line.clear();
    }
    EXPECT_EQ(pclose(pipe), 0);
    EXPECT_EQ(lines.size(), queries.size()) << "the reference printed too little";
    return lines;
  }

  static std::string Show(const std::vector<Digest>& proof) {
    if (proof.empty()) return "-";
    std::string out;
    for (const Digest& hash : proof) out += (out.empty() ? "" : " ") + ToHex(hash);
    return out;
  }

  static SubtreeHashFn Subtree() {
    return [](uint64_t begin, uint64_t end) { return log_->SubtreeHash(org_, begin, end); };
  }

  static Digest Root(uint64_t size) { return log_->HeadAt(org_, size).value().root; }

  // Our inclusion proofs for each (index, size) equal the reference's, and
  // verify against the log's own heads.
  static void CheckInclusion(const std::vector<std::pair<uint64_t, uint64_t>>& cases) {
    std::vector<std::string> queries;
    for (auto [index, size] : cases) {
      queries.push_back("path:" + std::to_string(index) + ":" + std::to_string(size));
    }
    std::vector<std::string> expected = Reference(queries);
    ASSERT_EQ(expected.size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      auto [index, size] = cases[i];
      Result<std::vector<Digest>> proof = InclusionProof(index, size, Subtree());
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(Show(*proof), expected[i]) << "index " << index << " size " << size;
      ASSERT_TRUE(VerifyInclusion((*leaf_hashes_)[index], index, size, *proof, Root(size)))
          << "index " << index << " size " << size;
    }
  }

  static void CheckConsistency(const std::vector<std::pair<uint64_t, uint64_t>>& cases) {
    std::vector<std::string> queries;
    for (auto [from, to] : cases) {
      queries.push_back("proof:" + std::to_string(from) + ":" + std::to_string(to));
    }
    std::vector<std::string> expected = Reference(queries);
    ASSERT_EQ(expected.size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      auto [from, to] = cases[i];
      Result<std::vector<Digest>> proof = ConsistencyProof(from, to, Subtree());
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(Show(*proof), expected[i]) << "from " << from << " to " << to;
      ASSERT_TRUE(VerifyConsistency(from, to, *proof, Root(from), Root(to)))
          << "from " << from << " to " << to;
    }
  }

  static testing::TempDir* dir_;
  static EventLog* log_;
  static Uuid org_;
  static std::vector<Digest>* leaf_hashes_;
};

testing::TempDir* MerkleProofOnLog::dir_ = nullptr;
EventLog* MerkleProofOnLog::log_ = nullptr;
Uuid MerkleProofOnLog::org_;
std::vector<Digest>* MerkleProofOnLog::leaf_hashes_ = nullptr;

const std::vector<uint64_t> kLargeSizes = {1000, 1024, 1025, 1030};

TEST_F(MerkleProofOnLog, RootsMatchTheReference) {
  std::vector<uint64_t> sizes;
  for (uint64_t size = 1; size <= 70; ++size) sizes.push_back(size);
  sizes.insert(sizes.end(), kLargeSizes.begin(), kLargeSizes.end());
  std::vector<std::string> queries;
  for (uint64_t size : sizes) queries.push_back("root:" + std::to_string(size));
  std::vector<std::string> expected = Reference(queries);
  ASSERT_EQ(expected.size(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(ToHex(Root(sizes[i])), expected[i]) << "size " << sizes[i];
  }
}

TEST_F(MerkleProofOnLog, EveryInclusionProofUpTo70MatchesTheReference) {
  std::vector<std::pair<uint64_t, uint64_t>> cases;
  for (uint64_t size = 1; size <= 70; ++size) {
    for (uint64_t index = 0; index < size; ++index) cases.emplace_back(index, size);
  }
  CheckInclusion(cases);
}

TEST_F(MerkleProofOnLog, EveryConsistencyProofUpTo70MatchesTheReference) {
  std::vector<std::pair<uint64_t, uint64_t>> cases;
  for (uint64_t to = 1; to <= 70; ++to) {
    for (uint64_t from = 1; from <= to; ++from) cases.emplace_back(from, to);
  }
  CheckConsistency(cases);
}

TEST_F(MerkleProofOnLog, LargeTreeProofsMatchTheReference) {
  std::vector<std::pair<uint64_t, uint64_t>> inclusion;
  for (uint64_t index = 0; index < 1000; ++index) inclusion.emplace_back(index, 1000);
  for (uint64_t size : {1024, 1025, 1030}) {
    for (uint64_t index : {0, 1, 511, 512, 513, 999, 1000, 1023}) {
      inclusion.emplace_back(index, size);
    }
    inclusion.emplace_back(size - 1, size);
  }
  CheckInclusion(inclusion);

  std::vector<std::pair<uint64_t, uint64_t>> consistency;
  for (uint64_t to : kLargeSizes) {
    for (uint64_t from : {1, 2, 3, 7, 8, 63, 64, 65, 500, 511, 512, 513, 999, 1000, 1024}) {
      if (from <= to) consistency.emplace_back(from, to);
    }
  }
  consistency.emplace_back(70, 1030);
  consistency.emplace_back(1029, 1030);
  CheckConsistency(consistency);
}

}  // namespace
}  // namespace ledger
