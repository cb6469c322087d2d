#include "record.h"

#include <cstring>

#include "checksum.h"
#include "coding.h"
#include "ledger/limits.h"

namespace ledger {

std::string_view StoredEvent::event_bytes() const {
  return std::string_view(body).substr(record::kHeaderBytes);
}

const fb::Event* StoredEvent::event() const { return fb::GetEvent(event_bytes().data()); }

Status VerifyStoredEvent(const StoredEvent& event) {
  const Position& at = event.position;
  std::string where = "org " + at.org.ToString() + " seq " + std::to_string(at.org_seq);
  std::string_view body = event.body;
  if (body.size() < record::kHeaderBytes) return Status::Corruption(where + ": body too short");
  if (static_cast<uint8_t>(body[0]) != record::kVersion) {
    return Status::Corruption(where + ": unknown record version " +
                              std::to_string(static_cast<uint8_t>(body[0])));
  }
  if (static_cast<int64_t>(coding::GetFixed64(body.substr(8))) != at.recorded_at ||
      coding::GetFixed64(body.substr(16)) != at.global_seq ||
      coding::GetFixed64(body.substr(24)) != at.org_seq) {
    return Status::Tampered(where + ": the record header disagrees with the event's position");
  }
  if (LeafHash(body) != event.leaf_hash) {
    return Status::Tampered(where + ": event bytes do not match their leaf hash");
  }
  Uuid org;
  Status checked = record::CheckEvent(event.event_bytes(), &org);
  if (!checked.ok()) return Status::Corruption(where + ": " + checked.message());
  if (org != at.org) return Status::Corruption(where + ": event names another org");
  return Status::Ok();
}

namespace record {
namespace {

std::string Where(const Uuid& org, uint64_t org_seq) {
  return "org " + org.ToString() + " seq " + std::to_string(org_seq);
}

}  // namespace

void EncodePrefix(const Position& position, std::string_view event_bytes, Prefix* prefix) {
  char* header = prefix->bytes.data() + checksum::kBytes + sizeof(Digest);
  header[0] = static_cast<char>(kVersion);
  std::memset(header + 1, 0, 7);
  coding::EncodeFixed64(header + 8, static_cast<uint64_t>(position.recorded_at));
  coding::EncodeFixed64(header + 16, position.global_seq);
  coding::EncodeFixed64(header + 24, position.org_seq);
  std::string_view header_view(header, kHeaderBytes);
  prefix->leaf_hash = LeafHash(header_view, event_bytes);
  std::memcpy(prefix->bytes.data() + checksum::kBytes, prefix->leaf_hash.data(), sizeof(Digest));
  uint64_t sum = checksum::Of(
      {std::string_view(prefix->bytes.data() + checksum::kBytes, kPrefixBytes - checksum::kBytes),
       event_bytes});
  coding::EncodeFixed64(prefix->bytes.data(), sum);
}

Status DecodeValue(const Uuid& org, uint64_t org_seq, std::string_view value, StoredEvent* out) {
  std::optional<std::string_view> payload = checksum::Open(value);
  if (!payload) return Status::Corruption(Where(org, org_seq) + ": record checksum mismatch");
  if (payload->size() < out->leaf_hash.size() + kHeaderBytes) {
    return Status::Corruption(Where(org, org_seq) + ": record too short");
  }
  std::memcpy(out->leaf_hash.data(), payload->data(), out->leaf_hash.size());
  std::string_view body = payload->substr(out->leaf_hash.size());
  if (static_cast<uint8_t>(body[0]) != kVersion) {
    return Status::Corruption(Where(org, org_seq) + ": unknown record version " +
                              std::to_string(static_cast<uint8_t>(body[0])));
  }
  out->position.org = org;
  out->position.recorded_at = static_cast<int64_t>(coding::GetFixed64(body.substr(8)));
  out->position.global_seq = coding::GetFixed64(body.substr(16));
  out->position.org_seq = coding::GetFixed64(body.substr(24));
  if (out->position.org_seq != org_seq) {
    return Status::Corruption(Where(org, org_seq) + ": header says seq " +
                              std::to_string(out->position.org_seq));
  }
  out->body.assign(body);  // heap memory: the event inside is 8-byte aligned
  Uuid event_org;
  Status event_status = CheckEvent(out->event_bytes(), &event_org);
  if (!event_status.ok()) {
    return Status::Corruption(Where(org, org_seq) + ": " + event_status.message());
  }
  if (event_org != org)
    return Status::Corruption(Where(org, org_seq) + ": event names another org");
  return Status::Ok();
}

Status CheckEvent(std::string_view event_bytes, Uuid* org) {
  if (event_bytes.size() > limits::kEventBytesMax) {
    return Status::LimitExceeded("event of " + std::to_string(event_bytes.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits::kEventBytesMax));
  }
  std::string aligned_copy;
  if (reinterpret_cast<uintptr_t>(event_bytes.data()) % alignof(uint64_t) != 0) {
    aligned_copy.assign(event_bytes);  // FlatBuffers reads scalars in place
    event_bytes = aligned_copy;
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(event_bytes.data()),
                                 event_bytes.size());
  if (!fb::VerifyEventBuffer(verifier)) {
    return Status::InvalidArgument("event is not a valid ledger.fb.Event FlatBuffer");
  }
  const fb::Event* event = fb::GetEvent(event_bytes.data());
  const flatbuffers::String* org_text = event->envelope()->org_id();
  std::optional<Uuid> parsed = Uuid::Parse(org_text->string_view());
  if (!parsed || parsed->IsNil()) {
    return Status::InvalidArgument("event names no org: envelope.org_id '" + org_text->str() +
                                   "' is not a UUID");
  }
  if (event->payload_type() == fb::Payload::NONE) {
    return Status::InvalidArgument("event has no payload");
  }
  *org = *parsed;
  return Status::Ok();
}

}  // namespace record
}  // namespace ledger
