// Where the auditor tools read a log: a RocksDB directory opened read-only
// (a static view as of opening; safe while ledgerd writes to it) or a
// running ledgerd over --connect. Every tool works the same on both; over
// --connect nothing the server says about hashes is trusted: leaf hashes are
// recomputed from the events it sends and tree hashes from those leaves.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/audit/signed_head.h"
#include "ledger/event_log.h"
#include "ledger/state.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"
#include "ledger/subject_keys.h"
#include "ledger/uuid.h"

namespace ledger::audit {

struct SourceFlags {
  std::string db;          // a RocksDB directory, or
  std::string master_key;  // (with --db; default <db>.master-key; optional)
  std::string connect;     // HOST:PORT of a ledgerd
  std::string token;       // its bearer token (or $LEDGER_TOKEN)
};

// Adds --db, --master-key, --connect and --token.
void AddSourceFlags(CLI::App* command, SourceFlags* flags);

using EventVisitor = std::function<Status(const StoredEvent&)>;

class AuditSource {
 public:
  // InvalidArgument unless exactly one of db and connect is set.
  static Result<std::unique_ptr<AuditSource>> Open(const SourceFlags& flags);
  virtual ~AuditSource() = default;

  // Every org of the log (a token scoped to one org sees only it).
  virtual Result<std::vector<Uuid>> Orgs() = 0;
  // The org's tree head at `size` events (0: now). NotFound "unknown org X"
  // for an org without events.
  virtual Result<TreeHead> Head(const Uuid& org, uint64_t size = 0) = 0;
  // The org's events from_seq..to_seq (inclusive, 1-based; to_seq past the
  // end means to the end), in order, each checked (checksum, leaf hash).
  virtual Status Scan(const Uuid& org, uint64_t from_seq, uint64_t to_seq,
                      const EventVisitor& visit) = 0;
  // MTH(D[begin:end]) of the org's tree (0-based leaves; ranges as
  // merkle_proof.h's SubtreeHashFn).
  virtual Result<Digest> SubtreeHash(const Uuid& org, uint64_t begin, uint64_t end) = 0;

  // The org's state after event `version` (folded with the engine's Apply;
  // from a snapshot when the source has one).
  virtual Result<State> StateAt(const Uuid& org, uint64_t version) = 0;
  // The org's last event recorded at or before `recorded_at` (microseconds),
  // extended over the derived events committed with it (an approval's
  // resolution): the version "as of" that instant. 0 if the org did not
  // exist yet.
  virtual Result<uint64_t> VersionAsOf(const Uuid& org, int64_t recorded_at) = 0;

  // The head signed by the server's key, when the source can produce one:
  // over --connect from a ledgerd started with --signing-key (FailedPrecondition
  // otherwise); from a --db with a signing key given to it (SetSigningKey).
  virtual Result<SignedHead> SignedHeadAt(const Uuid& org, uint64_t size) = 0;
  virtual void SetSigningKey(const SigningKey& key) = 0;

  // Opens sealed personal fields: one result per value, the plaintext or
  // nullopt for a subject that was forgotten. FailedPrecondition when the
  // source holds no keys: a --db without its master key, or --connect with
  // a token that is not admin (ledgerd opens values for admins only).
  virtual Result<std::vector<std::optional<std::string>>> OpenSealed(
      std::span<const SealedValue> values) = 0;
};

}  // namespace ledger::audit
