// TokenStore over one text file (grammar in token_file.cc, token text in
// token_text.h). Writers (Create, Revoke) hold an flock, re-read the file and
// replace it atomically (token_file_io.h), so two `ledger token` processes
// never lose each other's changes. Readers never lock: Authenticate stats
// the file and re-reads it when it changed, keeping the last good tokens if
// the new contents cannot be read or parsed.
#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "ledger/clock.h"
#include "ledger/server/tokens.h"
#include "token_file_io.h"

namespace ledger::server {
namespace {

// The one answer to every token that does not authenticate, whatever the
// reason, so a caller cannot tell a revoked token from a made-up one.
constexpr char kDenied[] = "token is unknown, expired or revoked";

bool HasId(const std::vector<TokenRecord>& records, const std::string& id) {
  return std::any_of(records.begin(), records.end(),
                     [&](const TokenRecord& record) { return record.info.id == id; });
}

class FileTokenStore final : public TokenStore {
 public:
  FileTokenStore(std::string path, TokenFileContents contents) : path_(std::move(path)) {
    Remember(std::move(contents));
  }

  Result<std::string> Create(const TokenSpec& spec) override;
  Status Revoke(std::string_view id) override;
  Result<std::vector<TokenInfo>> List() const override;
  Result<Principal> Authenticate(std::string_view token, int64_t now) const override;

 private:
  // The record with `id` as the file now says, if any.
  std::optional<TokenRecord> Find(const std::string& id) const;
  // Re-reads the file if it changed since it was last seen. REQUIRES: mutex_.
  void RefreshLocked() const;
  // REQUIRES: mutex_ held, or no other thread can see this object yet.
  void Remember(TokenFileContents contents) const;

  const std::string path_;
  mutable std::mutex mutex_;
  // The file as last seen, good or not, and the tokens of the last good one.
  mutable FileIdentity seen_;                                   // guarded by mutex_
  mutable std::unordered_map<std::string, TokenRecord> by_id_;  // guarded by mutex_
};

Result<std::string> FileTokenStore::Create(const TokenSpec& spec) {
  TokenParts parts = NewTokenParts();
  TokenRecord record;
  record.info.id = parts.id;
  record.info.admin = spec.admin;
  record.info.org = spec.admin ? Uuid() : spec.org;
  record.info.created_at = NowMicros();
  record.info.expires_at = spec.expires_at;
  record.info.note = spec.note;
  LEDGER_RETURN_IF_ERROR(CheckTokenRecord(record));
  Status status = WithWriterLock(path_, [&]() -> Status {
    Result<TokenFileContents> current = ReadTokenFile(path_);
    if (!current.ok()) return current.status();
    if (current->records.size() >= kTokenCountMax) {
      return Status::LimitExceeded("the store holds " + std::to_string(kTokenCountMax) +
                                   " tokens already");
    }
    while (HasId(current->records, parts.id)) parts = NewTokenParts();  // 2^-64 odds
    record.info.id = parts.id;
    record.hash = HashSecret(parts.secret);
    current->records.push_back(record);
    return ReplaceTokenFile(path_, current->records);
  });
  std::string token = status.ok() ? FormatToken(parts) : "";
  sodium_memzero(parts.secret.data(), parts.secret.size());
  if (!status.ok()) return status;
  return token;
}

Status FileTokenStore::Revoke(std::string_view id) {
  return WithWriterLock(path_, [&]() -> Status {
    Result<TokenFileContents> current = ReadTokenFile(path_);
    if (!current.ok()) return current.status();
    auto found = std::find_if(current->records.begin(), current->records.end(),
                              [&](const TokenRecord& record) { return record.info.id == id; });
    if (found == current->records.end()) {
      return Status::NotFound("no token with id '" + std::string(id) + "'");
    }
    if (found->info.revoked_at != 0) return Status::Ok();  // keeps the first revocation time
    found->info.revoked_at = NowMicros();
    return ReplaceTokenFile(path_, current->records);
  });
}

Result<std::vector<TokenInfo>> FileTokenStore::List() const {
  Result<TokenFileContents> current = ReadTokenFile(path_);
  if (!current.ok()) return current.status();
  std::vector<TokenInfo> infos;
  infos.reserve(current->records.size());
  for (TokenRecord& record : current->records) infos.push_back(std::move(record.info));
  return infos;
}

Result<Principal> FileTokenStore::Authenticate(std::string_view token, int64_t now) const {
  std::optional<TokenParts> parts = ParseToken(token);
  if (!parts) return Status::PermissionDenied(kDenied);
  // Hash before the lookup, so an unknown id costs as much as a known one.
  SecretHash presented = HashSecret(parts->secret);
  sodium_memzero(parts->secret.data(), parts->secret.size());
  std::optional<TokenRecord> record = Find(parts->id);
  if (!record || sodium_memcmp(presented.data(), record->hash.data(), presented.size()) != 0 ||
      record->info.revoked_at != 0 ||
      (record->info.expires_at != 0 && now >= record->info.expires_at)) {
    return Status::PermissionDenied(kDenied);
  }
  Principal principal;
  principal.admin = record->info.admin;
  principal.org = record->info.org;
  principal.token_id = record->info.id;
  return principal;
}

std::optional<TokenRecord> FileTokenStore::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  RefreshLocked();
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return std::nullopt;
  return found->second;
}

void FileTokenStore::RefreshLocked() const {
  Result<FileIdentity> now = StatTokenFile(path_);
  if (!now.ok() || *now == seen_) return;
  Result<TokenFileContents> contents = ReadTokenFile(path_);
  if (contents.ok()) {
    Remember(std::move(contents).value());
  } else {
    seen_ = *now;  // do not re-parse a bad file on every call; keep by_id_
  }
}

void FileTokenStore::Remember(TokenFileContents contents) const {
  seen_ = contents.identity;
  by_id_.clear();
  for (TokenRecord& record : contents.records) {
    std::string id = record.info.id;
    by_id_.emplace(std::move(id), std::move(record));
  }
}

}  // namespace

std::string TokenStorePath(std::string_view db_path) {
  std::string path(db_path);
  if (!path.empty() && path.back() != '/') path += '/';
  return path + "ledger-tokens";
}

Result<std::unique_ptr<TokenStore>> TokenStore::Open(std::string path) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  Result<TokenFileContents> contents = ReadTokenFile(path);
  if (!contents.ok()) return contents.status();
  return std::unique_ptr<TokenStore>(
      std::make_unique<FileTokenStore>(std::move(path), std::move(contents).value()));
}

}  // namespace ledger::server
