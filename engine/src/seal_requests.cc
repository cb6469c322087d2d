#include "seal_requests.h"

#include <flatbuffers/minireflect.h>

#include <algorithm>
#include <array>
#include <vector>

#include "ledger/payload_table.h"
#include "ledger/utf8.h"

namespace ledger {
namespace {

bool IsZero(const uint8_t* bytes, size_t size) {
  return std::all_of(bytes, bytes + size, [](uint8_t b) { return b == 0; });
}

bool IsRequest(const fb::Sealed& sealed) {
  return sealed.nonce()->size() == kSealedNonceBytes &&
         IsZero(sealed.nonce()->data(), kSealedNonceBytes) &&
         sealed.ciphertext()->size() >= kSealedTagBytes &&
         IsZero(sealed.ciphertext()->data() + sealed.ciphertext()->size() - kSealedTagBytes,
                kSealedTagBytes);
}

// Collects every Sealed table of a payload, in fields and in vectors.
class SealedFinder : public flatbuffers::IterationVisitor {
 public:
  void Field(size_t, size_t, flatbuffers::ElementaryType type, bool is_vector,
             const flatbuffers::TypeTable* type_table, const char*, const uint8_t* val) override {
    if (val == nullptr || type != flatbuffers::ET_SEQUENCE || type_table != fb::SealedTypeTable())
      return;
    const uint8_t* target = val + flatbuffers::ReadScalar<flatbuffers::uoffset_t>(val);
    if (!is_vector) {
      found.push_back(reinterpret_cast<const fb::Sealed*>(target));
      return;
    }
    auto* vector =
        reinterpret_cast<const flatbuffers::Vector<flatbuffers::Offset<fb::Sealed>>*>(target);
    for (const fb::Sealed* sealed : *vector) found.push_back(sealed);
  }
  std::vector<const fb::Sealed*> found;
};

// Whether a table type holds a Sealed anywhere below it.
bool ReachesSealed(const flatbuffers::TypeTable* table, int depth = 0) {
  if (table == fb::SealedTypeTable()) return true;
  if (depth > 8 || table->st != flatbuffers::ST_TABLE) return false;
  for (size_t i = 0; i < table->num_elems; ++i) {
    const flatbuffers::TypeCode& code = table->type_codes[i];
    if (code.base_type == flatbuffers::ET_SEQUENCE && code.sequence_ref >= 0 &&
        ReachesSealed(table->type_refs[code.sequence_ref](), depth + 1)) {
      return true;
    }
  }
  return false;
}

// Per payload type, computed once: can it hold personal fields at all?
bool MayHoldSealed(fb::Payload type) {
  static const std::array<bool, static_cast<size_t>(fb::Payload::MAX) + 1> may = [] {
    std::array<bool, static_cast<size_t>(fb::Payload::MAX) + 1> result{};
    for (size_t t = 1; t < result.size(); ++t) {
      result[t] = ReachesSealed(PayloadTable(static_cast<fb::Payload>(t)));
    }
    return result;
  }();
  return type != fb::Payload::NONE && type <= fb::Payload::MAX && may[static_cast<size_t>(type)];
}

std::vector<const fb::Sealed*> SealedValues(const fb::Event& event) {
  SealedFinder finder;
  if (MayHoldSealed(event.payload_type()) && event.payload() != nullptr) {
    flatbuffers::IterateObject(static_cast<const uint8_t*>(event.payload()),
                               PayloadTable(event.payload_type()), &finder);
  }
  return std::move(finder.found);
}

}  // namespace

bool HasSealRequests(const fb::Event& event) {
  if (!MayHoldSealed(event.payload_type())) return false;
  std::vector<const fb::Sealed*> values = SealedValues(event);
  return std::any_of(values.begin(), values.end(),
                     [](const fb::Sealed* sealed) { return IsRequest(*sealed); });
}

Status FulfilSealRequests(std::string* event_bytes, SubjectKeys& keys) {
  // Each seal rewrites bytes in place. The verifier lets tables share bytes,
  // so a hostile event can make a request's bytes overlap other fields: after
  // every write the event is verified again and its values found again,
  // never read through offsets the write may have changed (found by
  // command_fuzz). A write removes its request, so this ends.
  size_t requests_max = SealedValues(*fb::GetEvent(event_bytes->data())).size();
  for (size_t written = 0;; ++written) {
    flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(event_bytes->data()),
                                   event_bytes->size());
    if (written > 0 && !fb::VerifyEventBuffer(verifier)) {
      return Status::InvalidArgument("seal requests overlap other fields of the event");
    }
    std::vector<const fb::Sealed*> values = SealedValues(*fb::GetEvent(event_bytes->data()));
    auto request = std::find_if(values.begin(), values.end(),
                                [](const fb::Sealed* value) { return IsRequest(*value); });
    if (request == values.end()) return Status::Ok();
    if (written == requests_max) {
      return Status::InvalidArgument("seal requests overlap other fields of the event");
    }
    const fb::Sealed* sealed = *request;
    std::optional<Uuid> subject = Uuid::Parse(sealed->subject_id()->string_view());
    if (!subject) {
      return Status::InvalidArgument("sealed value names subject '" + sealed->subject_id()->str() +
                                     "', not a UUID");
    }
    size_t plaintext_bytes = sealed->ciphertext()->size() - kSealedTagBytes;
    std::string_view plaintext(reinterpret_cast<const char*>(sealed->ciphertext()->data()),
                               plaintext_bytes);
    Result<SealedValue> value = keys.Seal(*subject, plaintext);
    if (!value.ok()) return value.status();
    // Personal fields are names and addresses: text, like every string
    // field. Checked after Seal, so that a forgotten subject is named as such.
    if (size_t at = FirstInvalidTextByte(plaintext); at != std::string_view::npos) {
      return Status::InvalidArgument("the value to seal for subject " + subject->ToString() +
                                     " is not UTF-8 text without NUL (byte " + std::to_string(at) +
                                     ")");
    }
    // Same lengths as the request: overwrite in place, by offset into the
    // string that owns the bytes. Both offsets are read before either write.
    auto offset = [&](const uint8_t* at) {
      return static_cast<size_t>(reinterpret_cast<const char*>(at) - event_bytes->data());
    };
    size_t nonce_at = offset(sealed->nonce()->data());
    size_t ciphertext_at = offset(sealed->ciphertext()->data());
    event_bytes->replace(nonce_at, kSealedNonceBytes,
                         reinterpret_cast<const char*>(value->nonce.data()), kSealedNonceBytes);
    event_bytes->replace(ciphertext_at, value->ciphertext.size(), value->ciphertext);
  }
}

Result<SealedValue> SealRequestKeys::Seal(const Uuid& subject, std::string_view plaintext) {
  SealedValue request;
  request.subject = subject;  // nonce: all zero
  request.ciphertext.assign(plaintext);
  request.ciphertext.append(kSealedTagBytes, '\0');
  return request;
}

Result<std::optional<std::string>> SealRequestKeys::Open(const fb::Sealed&) {
  return Status::FailedPrecondition(
      "a client cannot open sealed values; the ledger holds the keys");
}

Status SealRequestKeys::Forget(const Uuid&) {
  return Status::FailedPrecondition("forgetting is a command (SubjectForgotten), not a key call");
}

bool SealRequestKeys::IsForgotten(const Uuid&) { return false; }

}  // namespace ledger
