// The master key file: 64 hex characters (32 bytes), mode 0600.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "ledger/status.h"

namespace ledger {

Result<std::array<uint8_t, 32>> ReadMasterKey(const std::string& path, bool create_if_missing);

}  // namespace ledger
