// RocksDB-backed SubjectKeys. Value grammar (column family "subject_keys",
// key = subject:16):
//   value   := checksum:fixed64le kind:u8 rest
//   kind 1  := nonce:24 wrapped:48   wrapped = XChaCha20-Poly1305(master, data_key, ad = subject)
//   kind 2  := (empty)               the subject was forgotten
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ledger/subject_keys.h"

namespace ledger {

using DataKey = std::array<uint8_t, 32>;

class SubjectKeyStore final : public SubjectKeys {
 public:
  // Reads (or creates, if allowed) the master key file.
  static Result<std::unique_ptr<SubjectKeyStore>> Open(rocksdb::DB* db,
                                                       rocksdb::ColumnFamilyHandle* column,
                                                       const std::string& master_key_path,
                                                       bool create_master_key);
  ~SubjectKeyStore() override;

  Result<SealedValue> Seal(const Uuid& subject, std::string_view plaintext) override;
  Result<std::optional<std::string>> Open(const fb::Sealed& sealed) override;
  Status Forget(const Uuid& subject) override;
  bool IsForgotten(const Uuid& subject) override;

  // Adds keys created since the last call to `batch` (the Append's batch) and
  // lists them in `added`; call MarkPersisted(added) once the batch is durable.
  void AddPendingTo(rocksdb::WriteBatch* batch, std::vector<Uuid>* added);
  void MarkPersisted(const std::vector<Uuid>& added);

 private:
  SubjectKeyStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* column, const DataKey& master);
  // The subject's key; nullopt inside means forgotten; an error if unreadable.
  // A missing key is created when `create` is set. REQUIRES: mutex_ held.
  Result<std::optional<DataKey>> Lookup(const Uuid& subject, bool create);
  Result<std::optional<DataKey>> Load(const Uuid& subject);
  std::string Wrap(const Uuid& subject, const DataKey& key) const;
  void Remember(const Uuid& subject, std::optional<DataKey> key);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* column_;
  DataKey master_;
  std::mutex mutex_;
  std::unordered_map<Uuid, std::optional<DataKey>, UuidHash> cache_;
  struct PendingKey {
    DataKey key;
    std::string stored_value;  // wrapped, as it goes into the batch
  };
  // Keys created but not yet in a durable batch. Looked up before RocksDB so a
  // cache eviction can never mint a second key for the same subject.
  std::unordered_map<Uuid, PendingKey, UuidHash> pending_;
};

}  // namespace ledger
