// The token store file's text form (grammar at the top of token_file.cc) and
// the limits that bound it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/server/tokens.h"
#include "ledger/status.h"
#include "token_text.h"

namespace ledger::server {

// A note labels a token in lists ("billing-service"); it is not a document.
inline constexpr size_t kTokenNoteBytesMax = 256;
// Far more than one token per service instance. Bounds the file that ledgerd
// re-reads on every change: a line is at most about 1 KiB (a note of 256
// bytes, each escaped to 3), so the file stays under 10 MiB.
inline constexpr size_t kTokenCountMax = 10'000;
// Refuse to read anything larger than kTokenCountMax lines can be.
inline constexpr size_t kTokenFileBytesMax = size_t{16} << 20;

inline constexpr std::string_view kTokenFileHeader = "# ledger-tokens v1";

// One line of the file: what `ledger token list` shows, and the hash it never
// shows.
struct TokenRecord {
  TokenInfo info;
  SecretHash hash{};
};

// The whole file, header included.
// REQUIRES: every record passes CheckTokenRecord.
std::string FormatTokenFile(const std::vector<TokenRecord>& records);

// The records of `contents`, in file order, or kCorruption naming the first
// bad line ("line 3: ..."). Ids are unique.
Result<std::vector<TokenRecord>> ParseTokenFile(std::string_view contents);

// OK when the record may be written: a well-formed id, an org for an org
// token, times not negative, a note within kTokenNoteBytesMax.
Status CheckTokenRecord(const TokenRecord& record);

}  // namespace ledger::server
