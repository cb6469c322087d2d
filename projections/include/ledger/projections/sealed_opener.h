// Turns sealed personal fields back into plaintext for the read models, or
// into NULL once their subject is forgotten (DESIGN.md decision 9).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/fb/envelope_generated.h"
#include "ledger/status.h"
#include "ledger/subject_keys.h"

namespace ledger::projections {

// A sealed value by its parts, whether it came from an event or a state.
struct SealedRef {
  std::string_view subject;
  std::string_view nonce;
  std::string_view ciphertext;
};
SealedRef RefOf(const fb::Sealed& sealed);
SealedRef RefOf(const fb::SealedT& sealed);

class SealedOpener {
 public:
  virtual ~SealedOpener() = default;
  // The plaintext; nullopt when the subject was forgotten, the value does
  // not open, or (remote openers) it was not fetched yet: then it is
  // remembered as missing.
  virtual std::optional<std::string> Open(const SealedRef& value) = 0;
  // Fetches every value Open reported missing since the last call; true if
  // there were any (the caller renders again). Local openers never miss.
  virtual Result<bool> FetchMissing() { return false; }
};

// Opens with the ledger's own data keys (a projector reading a RocksDB path).
std::unique_ptr<SealedOpener> KeyOpener(SubjectKeys& keys);

// Values fetched in bulk by `fetch` (for example over a ledgerd connection),
// kept until Forget is called between batches.
using FetchSealed =
    std::function<Result<std::vector<std::optional<std::string>>>(std::span<const SealedValue>)>;
class FetchingOpener : public SealedOpener {
 public:
  explicit FetchingOpener(FetchSealed fetch) : fetch_(std::move(fetch)) {}
  std::optional<std::string> Open(const SealedRef& value) override;
  Result<bool> FetchMissing() override;
  void Clear() { opened_.clear(); }

 private:
  FetchSealed fetch_;
  // Keyed by nonce: 24 random bytes, unique per sealed value.
  std::unordered_map<std::string, std::optional<std::string>> opened_;
  std::vector<SealedValue> missing_;
};

}  // namespace ledger::projections
