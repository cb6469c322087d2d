// ledger verify --bundle DIR: checks an evidence bundle (bundle_files.h)
// with no access to any ledger: the manifest's hashes, every body's leaf
// hash, every line against its body, every inclusion proof against the
// head's root, the consistency proof and the head's signature. The first
// failure is one line naming the file (and the seq).
#pragma once

#include <string>

namespace ledger::cli {

// Prints the result; returns the exit status.
int RunVerifyBundle(const std::string& dir, const std::string& public_key_file);

}  // namespace ledger::cli
