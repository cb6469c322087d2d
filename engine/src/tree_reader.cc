#include "tree_reader.h"

#include <bit>
#include <cstring>
#include <memory>

#include "checksum.h"
#include "keys.h"
#include "ledger/limits.h"
#include "record.h"

namespace ledger {

std::string EncodeTreeNode(const Digest& hash) {
  std::string value;
  checksum::Begin(&value);
  value.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  checksum::Seal(&value);
  return value;
}

Result<Digest> TreeReader::StoredNode(int level, uint64_t index) const {
  std::string value;
  rocksdb::Status read =
      db_->Get(rocksdb::ReadOptions(), tree_, keys::TreeNode(org_, level, index), &value);
  std::string where = "org " + org_.ToString() + " tree node level " + std::to_string(level) +
                      " index " + std::to_string(index);
  if (read.IsNotFound()) return Status::Corruption(where + " is missing");
  if (!read.ok()) return Status::IoError(where + ": " + read.ToString());
  std::optional<std::string_view> payload = checksum::Open(value);
  if (!payload || payload->size() != sizeof(Digest)) {
    return Status::Corruption(where + ": checksum mismatch");
  }
  Digest hash;
  std::memcpy(hash.data(), payload->data(), hash.size());
  return hash;
}

Status TreeReader::ReadLeaves(uint64_t begin, uint64_t end, std::vector<Digest>* out) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
  uint64_t seq = begin + 1;
  for (it->Seek(keys::Event(org_, seq)); seq <= end; it->Next(), ++seq) {
    if (!it->Valid() || it->key() != keys::Event(org_, seq)) {
      if (!it->status().ok()) return Status::IoError(it->status().ToString());
      return Status::Corruption("org " + org_.ToString() + " seq " + std::to_string(seq) +
                                " is missing");
    }
    StoredEvent event;
    LEDGER_RETURN_IF_ERROR(record::DecodeValue(org_, seq, it->value().ToStringView(), &event));
    out->push_back(event.leaf_hash);
  }
  return Status::Ok();
}

Result<Digest> TreeReader::SubtreeHash(uint64_t begin, uint64_t end) const {
  uint64_t count = end - begin;
  constexpr uint64_t kSmall = uint64_t{1} << limits::kStoredNodeLevelMin;
  if (count <= kSmall) {
    std::vector<Digest> leaves;
    LEDGER_RETURN_IF_ERROR(ReadLeaves(begin, end, &leaves));
    return RootFromLeaves(leaves);
  }
  if (std::has_single_bit(count) && begin % count == 0) {
    int level = std::countr_zero(count);
    return StoredNode(level, begin >> level);
  }
  uint64_t split = std::bit_floor(count - 1);
  Result<Digest> left = SubtreeHash(begin, begin + split);
  if (!left.ok()) return left;
  Result<Digest> right = SubtreeHash(begin + split, end);
  if (!right.ok()) return right;
  return NodeHash(*left, *right);
}

}  // namespace ledger
