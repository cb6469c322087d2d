#include "bundle_files.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace ledger::cli::bundle {
namespace {

using Json = nlohmann::ordered_json;

Json HexList(const std::vector<Digest>& digests) {
  Json list = Json::array();
  for (const Digest& digest : digests) list.push_back(ToHex(digest));
  return list;
}

Status Missing(const std::string& field) {
  return Status::InvalidArgument("\"" + field + "\" is missing or malformed");
}

bool GetCount(const Json& json, const std::string& field, uint64_t* out) {
  if (!json.contains(field) || !json[field].is_number_unsigned()) return false;
  *out = json[field].get<uint64_t>();
  return true;
}

bool GetDigest(const Json& json, const std::string& field, Digest* out) {
  if (!json.contains(field) || !json[field].is_string()) return false;
  std::optional<Digest> digest = DigestFromHex(json[field].get<std::string>());
  if (digest) *out = *digest;
  return digest.has_value();
}

bool GetOrg(const Json& json, Uuid* out) {
  if (!json.contains("org") || !json["org"].is_string()) return false;
  std::optional<Uuid> org = Uuid::Parse(json["org"].get<std::string>());
  if (org) *out = *org;
  return org.has_value();
}

Result<std::vector<Digest>> GetProof(const Json& json) {
  if (!json.contains("proof") || !json["proof"].is_array()) return Missing("proof");
  std::vector<Digest> proof;
  for (const Json& item : json["proof"]) {
    std::optional<Digest> digest;
    if (item.is_string()) digest = DigestFromHex(item.get<std::string>());
    if (!digest) return Missing("proof");
    proof.push_back(*digest);
  }
  return proof;
}

Result<ProofLine> ProofFromJson(const std::string& text, const char* seq, const char* size,
                                const char* first, const char* root) {
  Json json = Json::parse(text, nullptr, false);
  if (!json.is_object()) return Status::InvalidArgument("not a JSON object");
  ProofLine line;
  if (!GetOrg(json, &line.org)) return Missing("org");
  if (!GetCount(json, seq, &line.seq)) return Missing(seq);
  if (!GetCount(json, size, &line.size)) return Missing(size);
  if (!GetDigest(json, first, &line.leaf_or_from)) return Missing(first);
  if (!GetDigest(json, root, &line.root)) return Missing(root);
  Result<std::vector<Digest>> proof = GetProof(json);
  if (!proof.ok()) return proof.status();
  line.proof = std::move(proof).value();
  return line;
}

}  // namespace

std::string InclusionJson(const Uuid& org, uint64_t seq, uint64_t size, const Digest& leaf,
                          const Digest& root, const std::vector<Digest>& proof) {
  Json json = {{"org", org.ToString()},    {"seq", seq},          {"size", size},
               {"leaf_hash", ToHex(leaf)}, {"root", ToHex(root)}, {"proof", HexList(proof)}};
  return json.dump();
}

std::string ConsistencyJson(const Uuid& org, uint64_t from_size, uint64_t to_size,
                            const Digest& from_root, const Digest& to_root,
                            const std::vector<Digest>& proof) {
  Json json = {{"org", org.ToString()},     {"from_size", from_size},
               {"to_size", to_size},        {"from_root", ToHex(from_root)},
               {"to_root", ToHex(to_root)}, {"proof", HexList(proof)}};
  return json.dump();
}

std::string ManifestJson(const Manifest& manifest) {
  Json files = Json::object();
  for (const auto& [name, sha256] : manifest.files) files[name] = sha256;
  Json json = {{"format", kFormat},
               {"org", manifest.org.ToString()},
               {"from_seq", manifest.from_seq},
               {"to_seq", manifest.to_seq},
               {"size", manifest.size},
               {"files", files}};
  return json.dump(2) + "\n";
}

Result<Manifest> ManifestFromJson(const std::string& text) {
  Json json = Json::parse(text, nullptr, false);
  if (!json.is_object()) return Status::InvalidArgument("not a JSON object");
  if (!json.contains("format") || json["format"] != kFormat) return Missing("format");
  Manifest manifest;
  if (!GetOrg(json, &manifest.org)) return Missing("org");
  if (!GetCount(json, "from_seq", &manifest.from_seq)) return Missing("from_seq");
  if (!GetCount(json, "to_seq", &manifest.to_seq)) return Missing("to_seq");
  if (!GetCount(json, "size", &manifest.size)) return Missing("size");
  if (!json.contains("files") || !json["files"].is_object()) return Missing("files");
  for (const auto& [name, sha256] : json["files"].items()) {
    if (!sha256.is_string()) return Missing("files." + name);
    manifest.files.emplace_back(name, sha256.get<std::string>());
  }
  return manifest;
}

Result<ProofLine> InclusionFromJson(const std::string& text) {
  return ProofFromJson(text, "seq", "size", "leaf_hash", "root");
}

Result<ProofLine> ConsistencyFromJson(const std::string& text) {
  return ProofFromJson(text, "from_size", "to_size", "from_root", "to_root");
}

Result<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ToHex(Sha256(bytes));
}

}  // namespace ledger::cli::bundle
