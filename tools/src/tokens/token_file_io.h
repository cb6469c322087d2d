// Reading the token store file, replacing it atomically, and the lock that
// serializes writers across processes (`ledger token` and tests; ledgerd
// only reads).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "token_file.h"

namespace ledger::server {

// Enough of stat(2) to tell that the file was replaced or rewritten: every
// write renames a new inode into place, and mtime has nanoseconds.
struct FileIdentity {
  bool exists = false;
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct TokenFileContents {
  FileIdentity identity;  // of the bytes that were read
  std::vector<TokenRecord> records;
};

// The identity of the file at `path` now (exists == false when there is
// none), or kIoError when stat fails for another reason.
Result<FileIdentity> StatTokenFile(const std::string& path);

// Reads and parses the file; a missing file holds no tokens. kCorruption
// names the path and the line; kLimitExceeded past kTokenFileBytesMax.
Result<TokenFileContents> ReadTokenFile(const std::string& path);

// Replaces the file with `records`: writes "<path>.tmp" (mode 0600), fsyncs
// it, renames it over `path`, fsyncs the directory. Readers see the old file
// or the new one, never a mix; after OK the new one survives a crash.
// REQUIRES: the caller runs inside WithWriterLock(path, ...).
Status ReplaceTokenFile(const std::string& path, const std::vector<TokenRecord>& records);

// Creates the directory of `path` if it is missing, takes an exclusive flock
// on "<path>.lock" (waiting for other writers, in this process or another),
// runs `body` and releases the lock. Returns what `body` returns.
Status WithWriterLock(const std::string& path, const std::function<Status()>& body);

}  // namespace ledger::server
