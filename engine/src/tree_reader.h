// Reads one org's Merkle tree as of any committed size: stored perfect
// subtrees of level >= limits::kStoredNodeLevelMin, and leaf hashes (kept
// beside each record) for the small subtrees below that level.
// Column family "tree", key = org:16 level:u8 index:fixed64be, value =
// checksum:fixed64le hash:32.
#pragma once

#include <rocksdb/db.h>

#include <vector>

#include "ledger/merkle.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger {

class TreeReader {
 public:
  TreeReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
             rocksdb::ColumnFamilyHandle* tree, const Uuid& org)
      : db_(db), events_(events), tree_(tree), org_(org) {}

  // MTH(D[begin:end]) per RFC 9162 section 2.1.1, leaves 0-based.
  // REQUIRES: begin < end <= the org's committed size, and [begin, end) is a
  // range the RFC's recursion visits (begin a multiple of the largest power
  // of two below end - begin, as for every root and proof).
  Result<Digest> SubtreeHash(uint64_t begin, uint64_t end) const;

  // Leaf hashes of leaves [begin, end), checked on read.
  Status ReadLeaves(uint64_t begin, uint64_t end, std::vector<Digest>* out) const;

  Result<Digest> StoredNode(int level, uint64_t index) const;

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* events_;
  rocksdb::ColumnFamilyHandle* tree_;
  Uuid org_;
};

std::string EncodeTreeNode(const Digest& hash);

}  // namespace ledger
