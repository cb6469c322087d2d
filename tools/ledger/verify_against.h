// ledger verify --against HEAD.json: does the log still extend a tree head
// an auditor saved earlier? Checks the head's signature, that the log holds
// at least its size, that the log's recomputed leaves give its root at that
// size, and an RFC 9162 consistency proof from it to the log's head.
// Otherwise names the first sequence that differs, or where the log was cut
// short.
#pragma once

#include <string>

#include "ledger/audit/source.h"

namespace ledger::cli {

struct AgainstFlags {
  std::string head_file;
  std::string public_key;  // pins the signer when set
  // An export (jsonl) saved with the head: its leaves are the saved tree's,
  // so a log that differs can be searched for its first differing seq.
  std::string events_file;
};

// Prints the result; returns the exit status (one "error: ..." line on failure).
int RunVerifyAgainst(audit::AuditSource& source, const AgainstFlags& flags);

}  // namespace ledger::cli
