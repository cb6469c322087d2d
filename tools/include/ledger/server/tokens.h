// Bearer tokens: who may append to and read which org (DESIGN.md, decision 8).
//
// A token is scoped to one org or is an admin token (every org and the global
// feed). The store keeps only a SHA-256 hash of each token's secret, in one
// small file beside the database (TokenStorePath), outside RocksDB so that
// `ledger token create` works while ledgerd holds the database open; ledgerd
// re-reads the file when it changes, and checks a connection's token again
// before each request, so a new token works at once and a revoked or expired
// one stops open connections at their next request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger::server {

// What a token grants.
struct Principal {
  bool admin = false;
  Uuid org;  // when !admin
  std::string token_id;
};

// Initialized so that callers may name only the fields they set.
struct TokenSpec {
  bool admin = false;
  Uuid org{};              // when !admin
  int64_t expires_at = 0;  // microseconds since the epoch; 0: never
  std::string note{};      // free text for `ledger token list`, e.g. "billing-service"
};

struct TokenInfo {
  std::string id;  // public part of the token; names it in lists and logs
  bool admin = false;
  Uuid org;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0: never
  int64_t revoked_at = 0;  // 0: not revoked
  std::string note;
};

// "<db>/ledger-tokens". The file's grammar is in tools/src/tokens/token_file.cc.
std::string TokenStorePath(std::string_view db_path);

// Token text: "lt_<id>_<secret>", id 16 and secret 64 lowercase hex digits
// (tools/src/tokens/token_text.h). The store keeps SHA-256 of the secret.
class TokenStore {
 public:
  // Opens the store at `path`; a missing file is an empty store (created,
  // with its directory, on the first Create). kCorruption names the bad line.
  static Result<std::unique_ptr<TokenStore>> Open(std::string path);
  virtual ~TokenStore() = default;

  // Creates a token and returns its full text, which is shown once and never
  // stored. The org need not exist yet. kInvalidArgument for an org token
  // without an org or an over-long note. Create and Revoke serialize with
  // every other writer of the file (an flock) and replace it atomically.
  virtual Result<std::string> Create(const TokenSpec& spec) = 0;
  // kNotFound for an unknown id. Revoking twice keeps the first time.
  virtual Status Revoke(std::string_view id) = 0;
  // Every token in creation order, as the file says now; never a hash.
  virtual Result<std::vector<TokenInfo>> List() const = 0;

  // Thread-safe. kPermissionDenied with the same message for an unknown,
  // malformed, expired (now >= expires_at) or revoked token, so a caller
  // learns nothing else. Sees tokens created or revoked by other processes:
  // it re-reads the file when it changed, and keeps the last good tokens if
  // the file became unreadable or malformed.
  virtual Result<Principal> Authenticate(std::string_view token, int64_t now) const = 0;
};

}  // namespace ledger::server
