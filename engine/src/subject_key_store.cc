#include "subject_key_store.h"

#include <sodium.h>

#include <cstring>

#include "checksum.h"
#include "master_key.h"

namespace ledger {
namespace {

// Never renumber: on disk.
enum class KeyKind : uint8_t { kWrapped = 1, kForgotten = 2 };

// Bounds the decrypted-key cache (about 100 bytes an entry); a miss costs one
// RocksDB read and one unwrap.
constexpr size_t kCacheEntriesMax = 1 << 16;
static_assert(kSealedNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kSealedTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string Tombstone() {
  std::string value;
  checksum::Begin(&value);
  value.push_back(static_cast<char>(KeyKind::kForgotten));
  checksum::Seal(&value);
  return value;
}

}  // namespace

flatbuffers::Offset<fb::Sealed> SealedValue::Build(flatbuffers::FlatBufferBuilder& builder) const {
  auto subject_text = builder.CreateString(subject.ToString());
  auto nonce_bytes = builder.CreateVector(nonce.data(), nonce.size());
  auto cipher_bytes = builder.CreateVector(Bytes(ciphertext), ciphertext.size());
  return fb::CreateSealed(builder, subject_text, nonce_bytes, cipher_bytes);
}

Result<std::unique_ptr<SubjectKeyStore>> SubjectKeyStore::Open(rocksdb::DB* db,
                                                               rocksdb::ColumnFamilyHandle* column,
                                                               const std::string& master_key_path,
                                                               bool create_master_key) {
  if (sodium_init() < 0) return Status::IoError("libsodium failed to initialise");
  Result<DataKey> master = ReadMasterKey(master_key_path, create_master_key);
  if (!master.ok()) return master.status();
  return std::unique_ptr<SubjectKeyStore>(new SubjectKeyStore(db, column, *master));
}

SubjectKeyStore::SubjectKeyStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* column,
                                 const DataKey& master)
    : db_(db), column_(column), master_(master) {}

SubjectKeyStore::~SubjectKeyStore() {
  sodium_memzero(master_.data(), master_.size());
  for (auto& [subject, key] : cache_) {
    if (key) sodium_memzero(key->data(), key->size());
  }
}

std::string SubjectKeyStore::Wrap(const Uuid& subject, const DataKey& key) const {
  std::string value;
  checksum::Begin(&value);
  value.push_back(static_cast<char>(KeyKind::kWrapped));
  unsigned char nonce[kSealedNonceBytes];
  randombytes_buf(nonce, sizeof nonce);
  value.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  size_t offset = value.size();
  value.resize(offset + key.size() + kSealedTagBytes);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(value.data() + offset), &length, key.data(), key.size(),
      Bytes(subject.AsBytes()), subject.AsBytes().size(), nullptr, nonce, master_.data());
  checksum::Seal(&value);
  return value;
}

Result<std::optional<DataKey>> SubjectKeyStore::Load(const Uuid& subject) {
  std::string value;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), column_, subject.AsBytes(), &value);
  if (read.IsNotFound()) return Status::NotFound("no data key for subject " + subject.ToString());
  if (!read.ok()) return Status::IoError(read.ToString());
  std::optional<std::string_view> payload = checksum::Open(value);
  if (!payload || payload->empty()) {
    return Status::Corruption("data key of subject " + subject.ToString() + ": checksum mismatch");
  }
  auto kind = static_cast<KeyKind>((*payload)[0]);
  if (kind == KeyKind::kForgotten) return std::optional<DataKey>();
  if (kind != KeyKind::kWrapped ||
      payload->size() != 1 + kSealedNonceBytes + 32 + kSealedTagBytes) {
    return Status::Corruption("data key of subject " + subject.ToString() + ": bad layout");
  }
  DataKey key;
  unsigned long long length = 0;
  std::string_view wrapped = payload->substr(1 + kSealedNonceBytes);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          key.data(), &length, nullptr, Bytes(wrapped), wrapped.size(), Bytes(subject.AsBytes()),
          subject.AsBytes().size(), Bytes(payload->substr(1, kSealedNonceBytes)),
          master_.data()) != 0) {
    return Status::Corruption("data key of subject " + subject.ToString() +
                              " does not open with this master key");
  }
  return std::optional<DataKey>(key);
}

void SubjectKeyStore::Remember(const Uuid& subject, std::optional<DataKey> key) {
  if (cache_.size() >= kCacheEntriesMax) cache_.clear();
  cache_[subject] = key;
}

Result<std::optional<DataKey>> SubjectKeyStore::Lookup(const Uuid& subject, bool create) {
  if (auto cached = cache_.find(subject); cached != cache_.end()) return cached->second;
  if (auto fresh = pending_.find(subject); fresh != pending_.end()) {
    return std::optional<DataKey>(fresh->second.key);
  }
  Result<std::optional<DataKey>> loaded = Load(subject);
  if (loaded.ok()) {
    Remember(subject, *loaded);
    return loaded;
  }
  if (loaded.status().code() != Code::kNotFound || !create) return loaded.status();
  DataKey key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  pending_[subject] = PendingKey{key, Wrap(subject, key)};
  Remember(subject, key);
  return std::optional<DataKey>(key);
}

Result<SealedValue> SubjectKeyStore::Seal(const Uuid& subject, std::string_view plaintext) {
  std::lock_guard lock(mutex_);
  Result<std::optional<DataKey>> key = Lookup(subject, /*create=*/true);
  if (!key.ok()) return key.status();
  if (!key->has_value()) {
    return Status::FailedPrecondition("subject " + subject.ToString() +
                                      " was forgotten: no personal data may be recorded for it");
  }
  SealedValue sealed;
  sealed.subject = subject;
  randombytes_buf(sealed.nonce.data(), sealed.nonce.size());
  sealed.ciphertext.resize(plaintext.size() + kSealedTagBytes);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(sealed.ciphertext.data()), &length, Bytes(plaintext),
      plaintext.size(), Bytes(subject.AsBytes()), subject.AsBytes().size(), nullptr,
      sealed.nonce.data(), (*key)->data());
  return sealed;
}

Result<std::optional<std::string>> SubjectKeyStore::Open(const fb::Sealed& sealed) {
  std::optional<Uuid> subject = Uuid::Parse(sealed.subject_id()->string_view());
  if (!subject) return Status::Corruption("sealed value names no subject UUID");
  if (sealed.nonce()->size() != kSealedNonceBytes ||
      sealed.ciphertext()->size() < kSealedTagBytes) {
    return Status::Corruption("sealed value of subject " + subject->ToString() + ": bad layout");
  }
  std::optional<DataKey> key;
  {
    std::lock_guard lock(mutex_);
    Result<std::optional<DataKey>> found = Lookup(*subject, /*create=*/false);
    if (!found.ok()) return found.status();
    key = *found;
  }
  if (!key) return std::optional<std::string>();
  std::string plaintext(sealed.ciphertext()->size() - kSealedTagBytes, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &length, nullptr,
          sealed.ciphertext()->data(), sealed.ciphertext()->size(), Bytes(subject->AsBytes()),
          subject->AsBytes().size(), sealed.nonce()->data(), key->data()) != 0) {
    return Status::Corruption("sealed value of subject " + subject->ToString() +
                              " does not authenticate");
  }
  return std::optional<std::string>(std::move(plaintext));
}

Status SubjectKeyStore::Forget(const Uuid& subject) {
  std::lock_guard lock(mutex_);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  rocksdb::Status written = db_->Put(synced, column_, subject.AsBytes(), Tombstone());
  if (!written.ok())
    return Status::IoError("forget " + subject.ToString() + ": " + written.ToString());
  pending_.erase(subject);
  if (auto cached = cache_.find(subject); cached != cache_.end() && cached->second) {
    sodium_memzero(cached->second->data(), cached->second->size());
  }
  Remember(subject, std::nullopt);
  // The old wrapped key may still sit in the memtable's WAL and in SST files:
  // flush and compact its key so no copy survives on disk.
  rocksdb::FlushOptions flush;
  rocksdb::Status flushed = db_->Flush(flush, column_);
  rocksdb::Slice key(subject.AsBytes().data(), subject.AsBytes().size());
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Status compacted =
      flushed.ok() ? db_->CompactRange(compact, column_, &key, &key) : flushed;
  if (!compacted.ok())
    return Status::IoError("forget " + subject.ToString() + ": " + compacted.ToString());
  return Status::Ok();
}

bool SubjectKeyStore::IsForgotten(const Uuid& subject) {
  std::lock_guard lock(mutex_);
  Result<std::optional<DataKey>> key = Lookup(subject, /*create=*/false);
  return key.ok() && !key->has_value();
}

void SubjectKeyStore::AddPendingTo(rocksdb::WriteBatch* batch, std::vector<Uuid>* added) {
  std::lock_guard lock(mutex_);
  for (const auto& [subject, pending] : pending_) {
    batch->Put(column_, subject.AsBytes(), pending.stored_value);
    added->push_back(subject);
  }
}

void SubjectKeyStore::MarkPersisted(const std::vector<Uuid>& added) {
  std::lock_guard lock(mutex_);
  for (const Uuid& subject : added) pending_.erase(subject);
}

}  // namespace ledger
