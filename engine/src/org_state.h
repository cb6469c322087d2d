// What the writer keeps per org: the Merkle frontier and the last recorded_at.
// Column family "orgs", key = org:16:
//   value := checksum:fixed64le version:u8 size:fixed64le last_recorded_at:fixed64le
//   root{popcount(size)} root  := 32 bytes, highest level first (MerkleFrontier::Roots)
// It is rewritten in every batch that touches the org, so opening the log
// never rescans history.
#pragma once

#include <string>
#include <string_view>

#include "ledger/merkle.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger {

struct OrgState {
  MerkleFrontier tree;
  int64_t last_recorded_at = 0;
};

std::string EncodeOrgState(const OrgState& state);
Status DecodeOrgState(const Uuid& org, std::string_view value, OrgState* out);

}  // namespace ledger
