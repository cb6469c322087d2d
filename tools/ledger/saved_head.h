// A tree head an auditor holds: a signed head (signed_head.h's JSON) or an
// unsigned one ({"org","size","root",...} without "signature"), as written by
// `ledger head --json` or an evidence bundle made without a signing key.
#pragma once

#include <string>
#include <string_view>

#include "ledger/audit/signed_head.h"

namespace ledger::cli {

struct SavedHead {
  audit::SignedHead head;  // key and signature zero when unsigned
  bool is_signed = false;
};

// InvalidArgument naming the field that is missing or malformed.
Result<SavedHead> SavedHeadFromJson(std::string_view json);
// The file's text; NotFound "cannot read PATH" if it cannot be read.
Result<std::string> ReadFile(const std::string& path);

// An unsigned head as one JSON object (no key, no signature).
std::string UnsignedHeadJson(const audit::SignedHead& head);

// Checks the signature and, if public_key_file is not empty, that the head
// was signed by that key. Returns the line to print about it: which key
// signed, whether it was pinned, or that the head is unsigned. Tampered if
// the signature fails, or the head is unsigned or signed by another key
// while a key is pinned.
Result<std::string> CheckSignature(const SavedHead& saved, const std::string& public_key_file);

}  // namespace ledger::cli
