#include "verify_bundle.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bundle_files.h"
#include "commands.h"
#include "event_lines.h"
#include "ledger/merkle_proof.h"
#include "saved_head.h"

namespace ledger::cli {
namespace {

namespace fs = std::filesystem;

Status Edited(const std::string& file, const std::string& why) {
  return Status::Tampered("bundle file " + file + ": " + why);
}

std::string AtSeq(const std::string& file, uint64_t seq) {
  return file + " seq " + std::to_string(seq);
}

class BundleCheck {
 public:
  BundleCheck(fs::path dir, std::string public_key)
      : dir_(std::move(dir)), public_key_(std::move(public_key)) {}

  Status Run() {
    LEDGER_RETURN_IF_ERROR(CheckManifest());
    LEDGER_RETURN_IF_ERROR(CheckHead());
    LEDGER_RETURN_IF_ERROR(CheckEvents());
    LEDGER_RETURN_IF_ERROR(CheckProofs());
    LEDGER_RETURN_IF_ERROR(CheckConsistency());
    std::cout << signature_line_ << "\n"
              << "ok    bundle " << dir_.string() << ": org " << manifest_.org.ToString() << ", "
              << leaves_.size() << " events (seqs " << manifest_.from_seq << ".."
              << manifest_.to_seq << ") included in the head at size " << manifest_.size
              << " (root " << ToHex(head_.head.root) << ")\n";
    return Status::Ok();
  }

 private:
  Result<std::string> Read(const char* file) { return ReadFile((dir_ / file).string()); }

  Status CheckManifest() {
    Result<std::string> text = Read(bundle::kManifest);
    if (!text.ok()) return Edited(bundle::kManifest, "missing");
    Result<bundle::Manifest> manifest = bundle::ManifestFromJson(*text);
    if (!manifest.ok()) return Edited(bundle::kManifest, manifest.status().message());
    if (bundle::ManifestJson(*manifest) != *text) {
      return Edited(bundle::kManifest, "not in the form ledger evidence writes (edited)");
    }
    manifest_ = std::move(manifest).value();
    if (manifest_.from_seq == 0 || manifest_.from_seq > manifest_.to_seq ||
        manifest_.to_seq > manifest_.size) {
      return Edited(bundle::kManifest, "the range of seqs is impossible");
    }
    std::map<std::string, std::string> listed(manifest_.files.begin(), manifest_.files.end());
    for (const char* required : {bundle::kHead, bundle::kEvents, bundle::kProofs}) {
      if (!listed.count(required))
        return Edited(bundle::kManifest, "does not list " + std::string(required));
    }
    if (manifest_.from_seq > 1 && !listed.count(bundle::kConsistency)) {
      return Edited(bundle::kManifest, "does not list " + std::string(bundle::kConsistency));
    }
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::string name = fs::relative(entry.path(), dir_).generic_string();
      if (name != bundle::kManifest && !listed.count(name)) {
        return Edited(name, "not listed in " + std::string(bundle::kManifest));
      }
    }
    for (const auto& [name, sha256] : listed) {
      Result<std::string> actual = bundle::FileSha256((dir_ / name).string());
      if (!actual.ok()) return Edited(name, "listed in manifest.json but missing");
      if (*actual != sha256) return Edited(name, "SHA-256 differs from manifest.json (edited)");
    }
    return Status::Ok();
  }

  Status CheckHead() {
    Result<std::string> text = Read(bundle::kHead);
    if (!text.ok()) return Edited(bundle::kHead, "missing");
    Result<SavedHead> head = SavedHeadFromJson(*text);
    if (!head.ok()) return Edited(bundle::kHead, head.status().message());
    head_ = *head;
    std::string canonical =
        head_.is_signed ? audit::ToJson(head_.head) : UnsignedHeadJson(head_.head);
    if (canonical + "\n" != *text) return Edited(bundle::kHead, "edited (not as written)");
    if (head_.head.org != manifest_.org || head_.head.size != manifest_.size) {
      return Edited(bundle::kHead, "org or size differs from manifest.json");
    }
    Result<std::string> signature = CheckSignature(head_, public_key_);
    if (!signature.ok()) return Edited(bundle::kHead, signature.status().message());
    signature_line_ = *signature;
    return Status::Ok();
  }

  Status CheckEvents() {
    // The bundle's own schemas print the events: it needs nothing else.
    Result<std::unique_ptr<EventLines>> lines =
        EventLines::Create(LineFormat::kJsonl, (dir_ / bundle::kSchemas).string());
    if (!lines.ok()) return Edited(bundle::kSchemas, lines.status().message());
    std::ifstream in(dir_ / bundle::kEvents, std::ios::binary);
    std::string line;
    uint64_t seq = manifest_.from_seq;
    for (; std::getline(in, line); ++seq) {
      const std::string where = AtSeq(bundle::kEvents, seq);
      if (seq > manifest_.to_seq) return Edited(where, "past the range in manifest.json");
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (!json.is_object() || !json.contains("body_b64") || !json["body_b64"].is_string()) {
        return Edited(where, "not an event line with body_b64");
      }
      std::optional<std::string> body = FromBase64(json["body_b64"].get<std::string>());
      if (!body) return Edited(where, "body_b64 is not base64");
      Result<StoredEvent> event = ParseBody(std::move(*body));
      if (!event.ok()) return Edited(where, event.status().message());
      if (event->position.org_seq != seq || event->position.org != manifest_.org) {
        return Edited(where, "the body is not this org's event at this seq");
      }
      Result<std::string> expected = (*lines)->Line(*event);
      if (!expected.ok()) return Edited(where, expected.status().message());
      if (*expected != line + "\n") return Edited(where, "the line does not match its body_b64");
      leaves_.push_back(event->leaf_hash);
    }
    if (seq != manifest_.to_seq + 1) {
      return Edited(bundle::kEvents, "ends at seq " + std::to_string(seq - 1) + ", not " +
                                         std::to_string(manifest_.to_seq));
    }
    return Status::Ok();
  }

  Status CheckProofs() {
    std::ifstream in(dir_ / bundle::kProofs, std::ios::binary);
    std::string line;
    uint64_t seq = manifest_.from_seq;
    for (; std::getline(in, line); ++seq) {
      const std::string where = AtSeq(bundle::kProofs, seq);
      if (seq > manifest_.to_seq) return Edited(where, "past the range in manifest.json");
      Result<bundle::ProofLine> proof = bundle::InclusionFromJson(line);
      if (!proof.ok()) return Edited(where, proof.status().message());
      if (bundle::InclusionJson(proof->org, proof->seq, proof->size, proof->leaf_or_from,
                                proof->root, proof->proof) != line) {
        return Edited(where, "edited (not as written)");
      }
      if (proof->org != manifest_.org || proof->seq != seq || proof->size != head_.head.size ||
          proof->root != head_.head.root) {
        return Edited(where, "org, seq, size or root differ from the head");
      }
      const Digest& leaf = leaves_[seq - manifest_.from_seq];
      if (proof->leaf_or_from != leaf) {
        return Edited(where, "leaf_hash differs from the leaf of the event's body");
      }
      if (!VerifyInclusion(leaf, seq - 1, proof->size, proof->proof, head_.head.root)) {
        return Edited(where, "the inclusion proof does not lead to head.json's root");
      }
    }
    if (seq != manifest_.to_seq + 1) {
      return Edited(bundle::kProofs, "ends at seq " + std::to_string(seq - 1) + ", not " +
                                         std::to_string(manifest_.to_seq));
    }
    return Status::Ok();
  }

  Status CheckConsistency() {
    if (manifest_.from_seq == 1) return Status::Ok();
    Result<std::string> text = Read(bundle::kConsistency);
    if (!text.ok()) return Edited(bundle::kConsistency, "missing");
    Result<bundle::ProofLine> proof = bundle::ConsistencyFromJson(*text);
    if (!proof.ok()) return Edited(bundle::kConsistency, proof.status().message());
    if (bundle::ConsistencyJson(proof->org, proof->seq, proof->size, proof->leaf_or_from,
                                proof->root, proof->proof) +
            "\n" !=
        *text) {
      return Edited(bundle::kConsistency, "edited (not as written)");
    }
    if (proof->org != manifest_.org || proof->seq != manifest_.from_seq - 1 ||
        proof->size != head_.head.size || proof->root != head_.head.root) {
      return Edited(bundle::kConsistency, "org, sizes or to_root differ from the head");
    }
    if (!VerifyConsistency(proof->seq, proof->size, proof->proof, proof->leaf_or_from,
                           proof->root)) {
      return Edited(bundle::kConsistency, "the consistency proof does not verify");
    }
    return Status::Ok();
  }

  fs::path dir_;
  std::string public_key_;
  bundle::Manifest manifest_;
  SavedHead head_;
  std::string signature_line_;
  std::vector<Digest> leaves_;
};

}  // namespace

int RunVerifyBundle(const std::string& dir, const std::string& public_key_file) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return Fail("bundle directory " + dir + " does not exist");
  if (!public_key_file.empty()) {
    Result<audit::PublicKey> key = audit::LoadPublicKey(public_key_file);
    if (!key.ok()) return Fail(key.status());
  }
  Status checked = BundleCheck(dir, public_key_file).Run();
  if (!checked.ok()) return Fail(checked);
  return 0;
}

}  // namespace ledger::cli
