// The files of an evidence bundle (`ledger evidence`, `ledger verify
// --bundle`) and the JSON shapes both sides share. Every JSON file is
// written in one canonical form, so the verifier rebuilds each line from
// what it parsed and any edit that keeps the meaning still shows.
//
//   manifest.json     {"format":"ledger-evidence-v1","org","from_seq","to_seq",
//                      "size","files":{"<name>":"<SHA-256 hex>",...}}
//   head.json         the signed head at "size" (signed_head.h), or unsigned
//   events.jsonl      export lines (event_lines.h) of seqs from_seq..to_seq
//   proofs.jsonl      one inclusion proof per event, as `ledger prove`:
//                     {"org","seq","size","leaf_hash","root","proof":[hex...]}
//   consistency.json  from size from_seq-1 to size (only when from_seq > 1):
//                     {"org","from_size","to_size","from_root","to_root","proof"}
//   schemas/*.fbs     the schemas the events were written with
//   README.md         how to check all this by hand
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger::cli::bundle {

inline constexpr const char* kFormat = "ledger-evidence-v1";
inline constexpr const char* kManifest = "manifest.json";
inline constexpr const char* kHead = "head.json";
inline constexpr const char* kEvents = "events.jsonl";
inline constexpr const char* kProofs = "proofs.jsonl";
inline constexpr const char* kConsistency = "consistency.json";
inline constexpr const char* kReadme = "README.md";
inline constexpr const char* kSchemas = "schemas";

struct Manifest {
  Uuid org;
  uint64_t from_seq = 0;
  uint64_t to_seq = 0;
  uint64_t size = 0;
  std::vector<std::pair<std::string, std::string>> files;  // name, SHA-256 hex; sorted
};

std::string InclusionJson(const Uuid& org, uint64_t seq, uint64_t size, const Digest& leaf,
                          const Digest& root, const std::vector<Digest>& proof);
std::string ConsistencyJson(const Uuid& org, uint64_t from_size, uint64_t to_size,
                            const Digest& from_root, const Digest& to_root,
                            const std::vector<Digest>& proof);
std::string ManifestJson(const Manifest& manifest);
// InvalidArgument naming what is missing or malformed.
Result<Manifest> ManifestFromJson(const std::string& text);

struct ProofLine {
  Uuid org;
  uint64_t seq = 0;       // inclusion: the event; consistency: from_size
  uint64_t size = 0;      // inclusion: tree size; consistency: to_size
  Digest leaf_or_from{};  // inclusion: leaf_hash; consistency: from_root
  Digest root{};          // inclusion: root; consistency: to_root
  std::vector<Digest> proof;
};
Result<ProofLine> InclusionFromJson(const std::string& text);
Result<ProofLine> ConsistencyFromJson(const std::string& text);

// SHA-256 of the file's bytes, in hex. NotFound if it cannot be read.
Result<std::string> FileSha256(const std::string& path);

}  // namespace ledger::cli::bundle

namespace ledger::cli::bundle {

// The bundle's README.md: what each file is and how to check it by hand.
std::string Readme(const Manifest& manifest, bool head_signed);

}  // namespace ledger::cli::bundle
