// The README.md of an evidence bundle: enough for an auditor with no access
// to the ledger, and no trust in this tool, to check the bundle by hand.
#include "bundle_files.h"

namespace ledger::cli::bundle {
namespace {

constexpr const char* kHowTo = R"(
## Files
- `events.jsonl`: one event per line. `body_b64` is the exact byte string the
  ledger hashed (base64); every other field is derived from it (`event` is the
  FlatBuffer printed as JSON with the schemas in `schemas/`).
- `head.json`: the org's Merkle tree head (size, root) when the bundle was made.
- `proofs.jsonl`: for each event, an RFC 9162 inclusion proof of its leaf in
  the tree of `size` leaves whose root is in `head.json`.
- `consistency.json` (when the range does not start at seq 1): an RFC 9162
  consistency proof from the tree of `from_size` leaves (root `from_root`) to
  the head's tree. Compare `from_root` with a head you saved earlier.
- `schemas/*.fbs`: the FlatBuffers schemas (root type `ledger.fb.Event`).
- `manifest.json`: the SHA-256 of every other file, to detect edits.

`ledger verify --bundle DIR [--public-key FILE]` does every check below.

## Checking by hand
1. Hashes (RFC 6962 / RFC 9162, SHA-256):
   - leaf hash = SHA-256(0x00 || body), body = base64-decoded `body_b64`;
   - node hash = SHA-256(0x01 || left || right);
   - the root of n > 1 leaves: split at k, the largest power of two below n;
     root = node(root(leaves[0:k]), root(leaves[k:n])); one leaf: its leaf hash.
2. Each body is a record header (32 bytes) followed by the event:

   ```
   body   := version:u8(=1) reserved:7(zero) recorded_at:fixed64le
             global_seq:fixed64le org_seq:fixed64le event
   event  := FlatBuffer, root ledger.fb.Event (file identifier "LGEV")
   ```
   `recorded_at` is microseconds since the Unix epoch (UTC), the ledger's
   commit clock. `org_seq` is 1-based: leaf index = org_seq - 1. The event is
   8-byte aligned at offset 32. `flatc --json --raw-binary schemas/events.fbs
   -- event.bin` prints it.
3. Check each proof with RFC 9162 section 2.1.3.2 (inclusion: leaf index
   `seq - 1`, tree size `size`) and 2.1.4.2 (consistency).
4. The head's signature is Ed25519 (libsodium `crypto_sign_verify_detached`)
   over these exact bytes (ASCII, each line ending in "\n"):

   ```
   ledger-tree-head-v1
   org <org UUID, lower-case, hyphenated>
   size <decimal number of events>
   root <64 lower-case hex digits of the root>
   timestamp <decimal microseconds since the Unix epoch, UTC>
   ```
   `key` is the signer's public key (hex); get the ledger's public key from
   its operator by another channel and compare.
5. `manifest.json`'s SHA-256 sums catch accidental edits. Deliberate ones
   are caught by steps 1 to 4: a changed body changes its leaf, and no proof
   leads from a changed leaf to the signed root.
)";

}  // namespace

std::string Readme(const Manifest& manifest, bool head_signed) {
  std::string text = "# Evidence bundle (" + std::string(kFormat) + ")\n\nOrg " +
                     manifest.org.ToString() + ", events " + std::to_string(manifest.from_seq) +
                     " to " + std::to_string(manifest.to_seq) + " of " +
                     std::to_string(manifest.size) + ", proved against the tree head at size " +
                     std::to_string(manifest.size) + ".\n";
  if (!head_signed) {
    text +=
        "\n**The head is not signed** (no signing key was available): the bundle proves the\n"
        "events belong to a tree with this root, but not who vouched for the root.\n";
  }
  return text + kHowTo;
}

}  // namespace ledger::cli::bundle
