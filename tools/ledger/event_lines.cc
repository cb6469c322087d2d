#include "event_lines.h"

#include <sodium.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "ledger/audit/instant.h"

namespace ledger::cli {
namespace {

// The record header of schemas/README.md: version:u8 reserved:7
// recorded_at:fixed64le global_seq:fixed64le org_seq:fixed64le.
constexpr size_t kHeaderBytes = 32;
constexpr uint8_t kRecordVersion = 1;

constexpr const char* kCsvHeader =
    "org,org_seq,global_seq,recorded_at,recorded_at_us,type,actor_kind,actor_id,event_id,"
    "leaf_hash\n";

uint64_t Fixed64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

std::string Text(const flatbuffers::String* text) { return text == nullptr ? "" : text->str(); }

// RFC 4180: quote a field that holds a comma, a quote or a line break.
std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

struct Envelope {
  std::string type, actor_kind, actor_id, event_id;
};

Envelope EnvelopeOf(const fb::Event& event) {
  Envelope out;
  out.type = fb::EnumNamePayload(event.payload_type());
  const fb::Envelope* envelope = event.envelope();
  out.event_id = Text(envelope->event_id());
  if (const fb::Actor* actor = envelope->actor()) {
    out.actor_kind = fb::EnumNameActorKind(actor->kind());
    out.actor_id = Text(actor->id());
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<EventLines>> EventLines::Create(LineFormat format,
                                                       const std::string& schema_dir) {
  std::unique_ptr<client::JsonCommandParser> printer;
  if (format == LineFormat::kJsonl) {
    Result<std::unique_ptr<client::JsonCommandParser>> made =
        client::JsonCommandParser::Create(schema_dir);
    if (!made.ok()) return made.status();
    printer = std::move(made).value();
  }
  return std::unique_ptr<EventLines>(new EventLines(format, std::move(printer)));
}

std::string EventLines::Header() const { return format_ == LineFormat::kCsv ? kCsvHeader : ""; }

Result<std::string> EventLines::Line(const StoredEvent& stored) {
  const Position& at = stored.position;
  Envelope envelope = EnvelopeOf(*stored.event());
  std::string leaf = ToHex(stored.leaf_hash);
  std::string time = audit::FormatInstant(at.recorded_at);
  if (format_ == LineFormat::kCsv) {
    std::string line;
    for (const std::string& field :
         {at.org.ToString(), std::to_string(at.org_seq), std::to_string(at.global_seq), time,
          std::to_string(at.recorded_at), envelope.type, envelope.actor_kind, envelope.actor_id,
          envelope.event_id, leaf}) {
      line += CsvField(field) + ",";
    }
    line.back() = '\n';
    return line;
  }
  Result<std::string> event = printer_->EventToJson(stored.event_bytes());
  if (!event.ok()) return event.status();
  // Written by hand: nlohmann's escaping of the long base64 field was the
  // export's largest cost. Only the client-chosen strings can need escaping;
  // ids, numbers, hex, base64 and enum names never do.
  auto quoted = [](const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string line;
  line.reserve(400 + stored.body.size() * 4 / 3 + event->size());
  line += "{\"org\":\"" + at.org.ToString() + "\",\"org_seq\":" + std::to_string(at.org_seq) +
          ",\"global_seq\":" + std::to_string(at.global_seq) + ",\"recorded_at\":\"" + time +
          "\",\"recorded_at_us\":" + std::to_string(at.recorded_at) + ",\"type\":\"" +
          envelope.type + "\",\"actor_kind\":\"" + envelope.actor_kind +
          "\",\"actor_id\":" + quoted(envelope.actor_id) +
          ",\"event_id\":" + quoted(envelope.event_id) + ",\"leaf_hash\":\"" + leaf +
          "\",\"body_b64\":\"" + ToBase64(stored.body) + "\"";
  // Event text from FlatBuffers' own printer is spliced in as it is.
  line += ",\"event\":" + *event + "}\n";
  return line;
}

std::string ToBase64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> FromBase64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

Result<StoredEvent> ParseBody(std::string body) {
  if (body.size() <= kHeaderBytes) return Status::InvalidArgument("body shorter than its header");
  if (static_cast<uint8_t>(body[0]) != kRecordVersion) {
    return Status::InvalidArgument("unknown record version " +
                                   std::to_string(static_cast<uint8_t>(body[0])));
  }
  StoredEvent out;
  out.body = std::move(body);  // heap storage: the event after 32 bytes stays 8-byte aligned
  std::string_view view(out.body);
  out.position.recorded_at = static_cast<int64_t>(Fixed64(view.substr(8)));
  out.position.global_seq = Fixed64(view.substr(16));
  out.position.org_seq = Fixed64(view.substr(24));
  std::string_view event = out.event_bytes();
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(event.data()), event.size());
  if (!fb::VerifyEventBuffer(verifier)) {
    return Status::InvalidArgument("body does not hold a valid ledger.fb.Event");
  }
  std::optional<Uuid> org = Uuid::Parse(Text(out.event()->envelope()->org_id()));
  if (!org) return Status::InvalidArgument("event names no org");
  out.position.org = *org;
  out.leaf_hash = LeafHash(out.body);
  return out;
}

}  // namespace ledger::cli
