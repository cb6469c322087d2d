#include "saved_head.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/audit/instant.h"

namespace ledger::cli {
namespace {

Result<SavedHead> Unsigned(const nlohmann::json& json) {
  SavedHead saved;
  if (!json.contains("org") || !json["org"].is_string()) {
    return Status::InvalidArgument("head: \"org\" is missing");
  }
  std::optional<Uuid> org = Uuid::Parse(json["org"].get<std::string>());
  if (!org) return Status::InvalidArgument("head: \"org\" is not a UUID");
  if (!json.contains("size") || !json["size"].is_number_unsigned()) {
    return Status::InvalidArgument("head: \"size\" is missing or not a count");
  }
  std::optional<Digest> root;
  if (json.contains("root") && json["root"].is_string()) {
    root = DigestFromHex(json["root"].get<std::string>());
  }
  if (!root) return Status::InvalidArgument("head: \"root\" is not 64 hex digits");
  saved.head.org = *org;
  saved.head.size = json["size"].get<uint64_t>();
  saved.head.root = *root;
  if (json.contains("timestamp_us") && json["timestamp_us"].is_number_integer()) {
    saved.head.timestamp = json["timestamp_us"].get<int64_t>();
  }
  return saved;
}

}  // namespace

Result<SavedHead> SavedHeadFromJson(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Status::InvalidArgument("head is not a JSON object");
  if (!json.contains("signature")) return Unsigned(json);
  Result<audit::SignedHead> head = audit::SignedHeadFromJson(text);
  if (!head.ok()) return head.status();
  return SavedHead{*head, true};
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string UnsignedHeadJson(const audit::SignedHead& head) {
  nlohmann::ordered_json json = {
      {"org", head.org.ToString()},     {"size", head.size},
      {"root", ToHex(head.root)},       {"timestamp", audit::FormatInstant(head.timestamp)},
      {"timestamp_us", head.timestamp}, {"signed", false}};
  return json.dump();
}

Result<std::string> CheckSignature(const SavedHead& saved, const std::string& public_key_file) {
  if (!saved.is_signed) {
    if (!public_key_file.empty()) {
      return Status::Tampered("the head is unsigned but --public-key pins a signer");
    }
    return std::string("head: unsigned (it proves only what the files agree on)");
  }
  Status verified = audit::VerifyHeadSignature(saved.head);
  if (!verified.ok()) return verified;
  std::string key = audit::KeyToHex(saved.head.key);
  if (public_key_file.empty()) {
    return "head: signature verifies under key " + key +
           " (not pinned: pass --public-key to check the signer)";
  }
  Result<audit::PublicKey> pinned = audit::LoadPublicKey(public_key_file);
  if (!pinned.ok()) return pinned.status();
  if (*pinned != saved.head.key) {
    return Status::Tampered("the head is signed by key " + key + ", not by the pinned key " +
                            audit::KeyToHex(*pinned));
  }
  return "head: signature verifies under the pinned key " + key;
}

}  // namespace ledger::cli
