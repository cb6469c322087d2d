#include "org_state.h"

#include <bit>
#include <cstring>
#include <vector>

#include "checksum.h"
#include "coding.h"

namespace ledger {
namespace {
constexpr uint8_t kVersion = 1;  // never change: on disk
constexpr size_t kFixedBytes = 1 + 8 + 8;
}  // namespace

std::string EncodeOrgState(const OrgState& state) {
  std::string value;
  checksum::Begin(&value);
  value.push_back(static_cast<char>(kVersion));
  coding::PutFixed64(&value, state.tree.size());
  coding::PutFixed64(&value, static_cast<uint64_t>(state.last_recorded_at));
  for (const Digest& root : state.tree.Roots()) {
    value.append(reinterpret_cast<const char*>(root.data()), root.size());
  }
  checksum::Seal(&value);
  return value;
}

Status DecodeOrgState(const Uuid& org, std::string_view value, OrgState* out) {
  std::string where = "org " + org.ToString() + " state";
  std::optional<std::string_view> payload = checksum::Open(value);
  if (!payload) return Status::Corruption(where + ": checksum mismatch");
  if (payload->size() < kFixedBytes || static_cast<uint8_t>((*payload)[0]) != kVersion) {
    return Status::Corruption(where + ": bad header");
  }
  uint64_t size = coding::GetFixed64(payload->substr(1));
  std::string_view roots_bytes = payload->substr(kFixedBytes);
  if (roots_bytes.size() != static_cast<size_t>(std::popcount(size)) * sizeof(Digest)) {
    return Status::Corruption(where + ": frontier does not match size " + std::to_string(size));
  }
  std::vector<Digest> roots(roots_bytes.size() / sizeof(Digest));
  std::memcpy(roots.data(), roots_bytes.data(), roots_bytes.size());
  out->tree = *MerkleFrontier::FromRoots(size, roots);
  out->last_recorded_at = static_cast<int64_t>(coding::GetFixed64(payload->substr(9)));
  return Status::Ok();
}

}  // namespace ledger
