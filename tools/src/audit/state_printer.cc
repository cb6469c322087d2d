// Entities and states as JSON: FlatBuffers' printer with state.fbs, then
// sealed personal fields shortened (see entities.h).
#include <flatbuffers/idl.h>
#include <flatbuffers/util.h>

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ledger/audit/entities.h"
#include "ledger/client/json_commands.h"

namespace ledger::audit {
namespace {

using Json = nlohmann::ordered_json;

bool IsSealed(const Json& value) {
  return value.is_object() && value.contains("subject_id") && value.contains("nonce") &&
         value.contains("ciphertext");
}

std::string NonceHex(const Json& nonce) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  if (!nonce.is_array()) return hex;
  for (const Json& byte : nonce) {
    unsigned value = byte.is_number_unsigned() ? byte.get<unsigned>() : 0;
    hex += kDigits[(value >> 4) & 0xf];
    hex += kDigits[value & 0xf];
  }
  return hex;
}

// {"subject_id", "nonce": [24 numbers], "ciphertext": [...]} becomes
// {"subject_id", "sealed": "<nonce hex>"}, wherever it is nested.
void ShortenSealed(Json& value) {
  if (IsSealed(value)) {
    value = Json{{"subject_id", value["subject_id"]}, {"sealed", NonceHex(value["nonce"])}};
    return;
  }
  if (value.is_structured()) {
    for (Json& child : value) ShortenSealed(child);
  }
}

// The sealed value a printed {"subject_id", "nonce", "ciphertext"} holds.
std::optional<SealedValue> ToSealed(const Json& value) {
  std::optional<Uuid> subject = Uuid::Parse(value["subject_id"].get<std::string>());
  const Json& nonce = value["nonce"];
  const Json& ciphertext = value["ciphertext"];
  if (!subject || !nonce.is_array() || nonce.size() != 24 || !ciphertext.is_array()) {
    return std::nullopt;
  }
  SealedValue sealed;
  sealed.subject = *subject;
  for (size_t i = 0; i < 24; ++i) sealed.nonce[i] = nonce[i].get<uint8_t>();
  for (const Json& byte : ciphertext) sealed.ciphertext.push_back(byte.get<char>());
  return sealed;
}

void CollectSealed(Json& value, std::vector<Json*>* out) {
  if (IsSealed(value)) {
    out->push_back(&value);
  } else if (value.is_structured()) {
    for (Json& child : value) CollectSealed(child, out);
  }
}

std::string Dump(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

class StatePrinter::Impl {
 public:
  Status Load(const std::string& schema_dir) {
    std::string schema;
    std::string path = schema_dir + "/state.fbs";
    if (!flatbuffers::LoadFile(path.c_str(), false, &schema)) {
      return Status::NotFound("cannot read " + path + " (set LEDGER_SCHEMA_DIR)");
    }
    const char* include_dirs[] = {schema_dir.c_str(), nullptr};
    if (!parser_.Parse(schema.c_str(), include_dirs, "state.fbs")) {
      return Status::InvalidArgument(path + ": " + parser_.error_);
    }
    parser_.opts.strict_json = true;
    parser_.opts.indent_step = -1;
    // Every scalar, zeros too, so that a field set back to 0 shows as a
    // change rather than as a field that vanished.
    parser_.opts.output_default_scalars_in_json = true;
    return Status::Ok();
  }

  void SetOpener(StatePrinter::Opener opener) { opener_ = std::move(opener); }

  std::string StateJson(const State& state, int indent) {
    std::string packed = PackState(state);
    std::string text;
    if (!flatbuffers::GenerateText(parser_, packed.data(), &text)) return "{}";
    return Shortened(text, indent);
  }

  std::string EntityJson(const EntityKind& kind, const State& state, std::string_view id) {
    std::string packed = kind.pack(state, id);
    if (packed.empty()) return {};
    const auto* table = flatbuffers::GetRoot<flatbuffers::Table>(packed.data());
    std::string text;
    std::string type = "ledger.state." + std::string(kind.table);
    if (!flatbuffers::GenerateTextFromTable(parser_, table, type, &text)) return "{}";
    return Shortened(text, -1);
  }

 private:
  std::string Shortened(const std::string& text, int indent) {
    Json value = Json::parse(text, nullptr, false);
    if (value.is_discarded()) return text;
    if (opener_) OpenSealed(value);
    ShortenSealed(value);  // whatever did not open
    return Dump(value, indent);
  }

  // Replaces every sealed value the opener opens with its plaintext.
  void OpenSealed(Json& value) {
    std::vector<Json*> nodes;
    CollectSealed(value, &nodes);
    std::vector<SealedValue> wanted;
    std::vector<std::string> wanted_nonces;
    for (Json* node : nodes) {
      std::string nonce = NonceHex((*node)["nonce"]);
      if (opened_.count(nonce) != 0) continue;
      std::optional<SealedValue> sealed = ToSealed(*node);
      if (!sealed) continue;
      wanted.push_back(std::move(*sealed));
      wanted_nonces.push_back(nonce);
    }
    if (!wanted.empty()) {
      Result<std::vector<std::optional<std::string>>> plain = opener_(wanted);
      if (!plain.ok() || plain->size() != wanted.size()) {
        opener_ = nullptr;  // no keys: every value stays sealed
        return;
      }
      for (size_t i = 0; i < wanted.size(); ++i) opened_[wanted_nonces[i]] = (*plain)[i];
    }
    for (Json* node : nodes) {
      auto found = opened_.find(NonceHex((*node)["nonce"]));
      if (found == opened_.end()) continue;
      Json subject = (*node)["subject_id"];
      *node = found->second ? Json{{"subject_id", subject}, {"value", *found->second}}
                            : Json{{"subject_id", subject}, {"erased", true}};
    }
  }

  flatbuffers::Parser parser_;
  StatePrinter::Opener opener_;
  std::unordered_map<std::string, std::optional<std::string>> opened_;  // by nonce hex
};

Result<std::unique_ptr<StatePrinter>> StatePrinter::Create(const std::string& schema_dir) {
  auto impl = std::make_unique<Impl>();
  LEDGER_RETURN_IF_ERROR(impl->Load(schema_dir.empty() ? client::DefaultSchemaDir() : schema_dir));
  return std::unique_ptr<StatePrinter>(new StatePrinter(std::move(impl)));
}

StatePrinter::StatePrinter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StatePrinter::~StatePrinter() = default;

void StatePrinter::SetOpener(Opener opener) { impl_->SetOpener(std::move(opener)); }

std::string StatePrinter::StateJson(const State& state, int indent) {
  return impl_->StateJson(state, indent);
}

std::string StatePrinter::EntityJson(const EntityKind& kind, const State& state,
                                     std::string_view id) {
  return impl_->EntityJson(kind, state, id);
}

std::vector<FieldChange> ChangedFields(std::string_view before_json, std::string_view after_json) {
  auto parse = [](std::string_view text) {
    Json value = text.empty() ? Json::object() : Json::parse(text, nullptr, false);
    return value.is_object() ? value : Json::object();
  };
  Json before = parse(before_json);
  Json after = parse(after_json);
  std::vector<FieldChange> changes;
  auto compare = [&](const std::string& field) {
    Json none;  // null
    const Json& old_value = before.contains(field) ? before[field] : none;
    const Json& new_value = after.contains(field) ? after[field] : none;
    if (old_value != new_value)
      changes.push_back({field, Dump(old_value, -1), Dump(new_value, -1)});
  };
  for (const auto& [field, value] : after.items()) compare(field);
  for (const auto& [field, value] : before.items()) {
    if (!after.contains(field)) compare(field);
  }
  return changes;
}

}  // namespace ledger::audit
