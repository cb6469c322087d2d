#include "ledger/projections/sealed_opener.h"

#include <flatbuffers/flatbuffers.h>

namespace ledger::projections {
namespace {

std::string_view AsView(const flatbuffers::Vector<uint8_t>* bytes) {
  if (bytes == nullptr) return {};
  return {reinterpret_cast<const char*>(bytes->data()), bytes->size()};
}

std::string_view AsView(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class KeyOpenerImpl : public SealedOpener {
 public:
  explicit KeyOpenerImpl(SubjectKeys& keys) : keys_(keys) {}

  std::optional<std::string> Open(const SealedRef& value) override {
    builder_.Clear();
    auto subject = builder_.CreateString(value.subject);
    auto nonce = builder_.CreateVector(reinterpret_cast<const uint8_t*>(value.nonce.data()),
                                       value.nonce.size());
    auto ciphertext = builder_.CreateVector(
        reinterpret_cast<const uint8_t*>(value.ciphertext.data()), value.ciphertext.size());
    builder_.Finish(fb::CreateSealed(builder_, subject, nonce, ciphertext));
    Result<std::optional<std::string>> opened =
        keys_.Open(*flatbuffers::GetRoot<fb::Sealed>(builder_.GetBufferPointer()));
    // A value that does not authenticate shows as NULL: the verifier, not
    // the read model, is where tampering is reported.
    if (!opened.ok()) return std::nullopt;
    return std::move(opened).value();
  }

 private:
  SubjectKeys& keys_;
  flatbuffers::FlatBufferBuilder builder_{256};
};

}  // namespace

SealedRef RefOf(const fb::Sealed& sealed) {
  return {sealed.subject_id() ? sealed.subject_id()->string_view() : std::string_view(),
          AsView(sealed.nonce()), AsView(sealed.ciphertext())};
}

SealedRef RefOf(const fb::SealedT& sealed) {
  return {sealed.subject_id, AsView(sealed.nonce), AsView(sealed.ciphertext)};
}

std::unique_ptr<SealedOpener> KeyOpener(SubjectKeys& keys) {
  return std::make_unique<KeyOpenerImpl>(keys);
}

std::optional<std::string> FetchingOpener::Open(const SealedRef& value) {
  auto found = opened_.find(std::string(value.nonce));
  if (found != opened_.end()) return found->second;
  std::optional<Uuid> subject = Uuid::Parse(value.subject);
  if (!subject) return std::nullopt;
  SealedValue& missing = missing_.emplace_back();
  missing.subject = *subject;
  if (value.nonce.size() == missing.nonce.size()) {
    std::copy(value.nonce.begin(), value.nonce.end(), missing.nonce.begin());
  }
  missing.ciphertext = std::string(value.ciphertext);
  opened_.emplace(std::string(value.nonce), std::nullopt);  // asked once per batch
  return std::nullopt;
}

Result<bool> FetchingOpener::FetchMissing() {
  if (missing_.empty()) return false;
  std::vector<SealedValue> asking = std::move(missing_);
  missing_.clear();
  Result<std::vector<std::optional<std::string>>> fetched = fetch_(asking);
  if (!fetched.ok()) return fetched.status();
  std::vector<std::optional<std::string>>& plaintexts = *fetched;
  if (plaintexts.size() != asking.size()) {
    return Status::Internal("the server opened " + std::to_string(plaintexts.size()) + " of " +
                            std::to_string(asking.size()) + " sealed values");
  }
  for (size_t i = 0; i < asking.size(); ++i) {
    std::string nonce(reinterpret_cast<const char*>(asking[i].nonce.data()),
                      asking[i].nonce.size());
    opened_[nonce] = std::move(plaintexts[i]);
  }
  return true;
}

}  // namespace ledger::projections
