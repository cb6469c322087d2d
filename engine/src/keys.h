// Key layouts of the column families (schemas/README.md has the grammar).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coding.h"
#include "ledger/uuid.h"

namespace ledger::keys {

inline constexpr size_t kOrgBytes = 16;
inline constexpr size_t kEventKeyBytes = kOrgBytes + 8;

// events: org:16 org_seq:fixed64be. One org's events are one contiguous range.
inline std::string Event(const Uuid& org, uint64_t org_seq) {
  std::string key(org.AsBytes());
  coding::PutFixed64BigEndian(&key, org_seq);
  return key;
}

// Rewrites the org_seq of an events key in place (the append loop reuses one key).
inline void SetEventSeq(std::string* key, uint64_t org_seq) {
  for (int i = 0; i < 8; ++i) (*key)[kOrgBytes + i] = static_cast<char>(org_seq >> (56 - 8 * i));
}

// tree: org:16 level:u8 index:fixed64be
inline std::string TreeNode(const Uuid& org, int level, uint64_t index) {
  std::string key(org.AsBytes());
  key.push_back(static_cast<char>(level));
  coding::PutFixed64BigEndian(&key, index);
  return key;
}

// global: first_global_seq:fixed64be
inline std::string Global(uint64_t global_seq) {
  std::string key;
  coding::PutFixed64BigEndian(&key, global_seq);
  return key;
}

inline Uuid OrgOf(std::string_view key) { return Uuid::FromBytes(key.substr(0, kOrgBytes)); }

}  // namespace ledger::keys
