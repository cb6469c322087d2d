#include "ledger/audit/signed_head.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/audit/instant.h"

namespace ledger::audit {
namespace {

constexpr std::string_view kFormat = "ledger-tree-head-v1";

Status EnsureSodium() {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

template <size_t N>
bool FromHex(std::string_view hex, std::array<uint8_t, N>* out) {
  size_t written = 0;
  return hex.size() == 2 * N &&
         sodium_hex2bin(out->data(), N, hex.data(), hex.size(), nullptr, &written, nullptr) == 0 &&
         written == N;
}

Result<std::string> ReadKeyText(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound(std::string(what) + " " + path + ": no such file");
    return Status::IoError(std::string(what) + " " + path + ": " + std::strerror(errno));
  }
  std::string text;
  in >> text;
  return text;
}

Status WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return Status::FailedPrecondition(path + " exists: refusing to overwrite it");
    return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) return Status::IoError("cannot write " + path + ": " + std::strerror(saved));
  return Status::Ok();
}

}  // namespace

std::string KeyToHex(std::span<const uint8_t> bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.pop_back();
  return hex;
}

Result<SigningKey> GenerateKeyFile(const std::string& path) {
  LEDGER_RETURN_IF_ERROR(EnsureSodium());
  SigningKey key;
  crypto_sign_keypair(key.public_key.data(), key.secret.data());
  std::string pub_path = path + ".pub";
  if (::access(pub_path.c_str(), F_OK) == 0) {
    return Status::FailedPrecondition(pub_path + " exists: refusing to overwrite it");
  }
  LEDGER_RETURN_IF_ERROR(WriteNew(path, KeyToHex(key.secret) + "\n", 0600));
  LEDGER_RETURN_IF_ERROR(WriteNew(pub_path, KeyToHex(key.public_key) + "\n", 0644));
  return key;
}

Result<SigningKey> LoadSigningKey(const std::string& path) {
  LEDGER_RETURN_IF_ERROR(EnsureSodium());
  Result<std::string> text = ReadKeyText(path, "signing key");
  if (!text.ok()) return text.status();
  SigningKey key;
  if (!FromHex(*text, &key.secret)) {
    return Status::InvalidArgument("signing key " + path +
                                   ": expected 128 hex digits (a libsodium Ed25519 secret key)");
  }
  crypto_sign_ed25519_sk_to_pk(key.public_key.data(), key.secret.data());
  return key;
}

Result<PublicKey> LoadPublicKey(const std::string& path) {
  Result<std::string> text = ReadKeyText(path, "public key");
  if (!text.ok()) return text.status();
  PublicKey key;
  if (FromHex(*text, &key)) return key;
  Result<SigningKey> secret = LoadSigningKey(path);
  if (secret.ok()) return secret->public_key;
  return Status::InvalidArgument("public key " + path +
                                 ": expected 64 hex digits (an Ed25519 public key)");
}

std::string SignedMessage(const Uuid& org, const TreeHead& head, int64_t timestamp) {
  std::ostringstream message;
  message << kFormat << "\norg " << org.ToString() << "\nsize " << head.size << "\nroot "
          << ToHex(head.root) << "\ntimestamp " << timestamp << "\n";
  return message.str();
}

SignedHead SignHead(const SigningKey& key, const Uuid& org, const TreeHead& head,
                    int64_t timestamp) {
  SignedHead signed_head{org, head.size, head.root, timestamp, key.public_key, {}};
  std::string message = SignedMessage(org, head, timestamp);
  crypto_sign_detached(signed_head.signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       key.secret.data());
  return signed_head;
}

Status VerifyHeadSignature(const SignedHead& head) {
  LEDGER_RETURN_IF_ERROR(EnsureSodium());
  std::string message = SignedMessage(head.org, TreeHead{head.size, head.root}, head.timestamp);
  if (crypto_sign_verify_detached(head.signature.data(),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), head.key.data()) != 0) {
    return Status::Tampered("signature of the head of org " + head.org.ToString() + " at size " +
                            std::to_string(head.size) + " does not verify under key " +
                            KeyToHex(head.key));
  }
  return Status::Ok();
}

std::string ToJson(const SignedHead& head) {
  nlohmann::ordered_json json{{"org", head.org.ToString()},
                              {"size", head.size},
                              {"root", ToHex(head.root)},
                              {"timestamp", FormatInstant(head.timestamp)},
                              {"timestamp_us", head.timestamp},
                              {"key", KeyToHex(head.key)},
                              {"signature", KeyToHex(head.signature)},
                              {"signed_message_format", kFormat}};
  return json.dump();
}

Result<SignedHead> SignedHeadFromJson(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::InvalidArgument("signed head: not a JSON object");
  }
  auto field = [&](const char* name, nlohmann::json::value_t type) -> const nlohmann::json* {
    auto it = json.find(name);
    if (it == json.end()) return nullptr;
    bool number = type == nlohmann::json::value_t::number_unsigned;
    if (number ? !it->is_number_integer() : it->type() != type) return nullptr;
    return &*it;
  };
  auto missing = [](const char* name) {
    return Status::InvalidArgument(std::string("signed head: field \"") + name +
                                   "\" is missing or malformed");
  };
  using Type = nlohmann::json::value_t;
  SignedHead head;
  const nlohmann::json* format = field("signed_message_format", Type::string);
  if (format && format->get<std::string>() != kFormat) {
    return Status::InvalidArgument("signed head: unknown signed_message_format \"" +
                                   format->get<std::string>() + "\"");
  }
  const nlohmann::json* org = field("org", Type::string);
  std::optional<Uuid> parsed_org = org ? Uuid::Parse(org->get<std::string>()) : std::nullopt;
  if (!parsed_org) return missing("org");
  head.org = *parsed_org;
  const nlohmann::json* size = field("size", Type::number_unsigned);
  if (!size || size->get<int64_t>() < 0) return missing("size");
  head.size = size->get<uint64_t>();
  const nlohmann::json* root = field("root", Type::string);
  std::optional<Digest> parsed_root = root ? DigestFromHex(root->get<std::string>()) : std::nullopt;
  if (!parsed_root) return missing("root");
  head.root = *parsed_root;
  const nlohmann::json* timestamp = field("timestamp_us", Type::number_unsigned);
  if (!timestamp) return missing("timestamp_us");
  head.timestamp = timestamp->get<int64_t>();
  const nlohmann::json* key = field("key", Type::string);
  if (!key || !FromHex(key->get<std::string>(), &head.key)) return missing("key");
  const nlohmann::json* signature = field("signature", Type::string);
  if (!signature || !FromHex(signature->get<std::string>(), &head.signature)) {
    return missing("signature");
  }
  return head;
}

}  // namespace ledger::audit
