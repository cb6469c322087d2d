// ledger evidence: a self-contained bundle (bundle_files.h) proving that an
// org's events in a range belong to its signed tree head, which `ledger
// verify --bundle` (or anyone, by the bundle's README) checks offline.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bundle_files.h"
#include "commands.h"
#include "event_lines.h"
#include "event_range.h"
#include "ledger/audit/source.h"
#include "ledger/merkle_proof.h"
#include "progress.h"
#include "saved_head.h"

namespace ledger::cli {
namespace {

namespace fs = std::filesystem;

struct EvidenceFlags {
  audit::SourceFlags source;
  std::string org;
  std::string from;
  std::string to;
  std::string out;
  std::string key;
};

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out ? Status::Ok() : Status::IoError("cannot write " + path.string());
}

// head.json: signed by the source (the server, or --key) when it can be.
Result<SavedHead> HeadFor(audit::AuditSource& source, const Uuid& org, uint64_t size,
                          bool have_key) {
  Result<audit::SignedHead> signed_head = source.SignedHeadAt(org, size);
  if (signed_head.ok()) return SavedHead{*signed_head, true};
  if (have_key) return signed_head.status();
  std::cerr << "warning: no signing key (pass --key, or use a ledgerd started with "
               "--signing-key): head.json is unsigned\n";
  Result<TreeHead> head = source.Head(org, size);
  if (!head.ok()) return head.status();
  SavedHead saved;
  saved.head.org = org;
  saved.head.size = head->size;
  saved.head.root = head->root;
  saved.head.timestamp = NowMicros();
  return saved;
}

class BundleWriter {
 public:
  BundleWriter(audit::AuditSource& source, const Uuid& org, const EventRange& range,
               const fs::path& dir)
      : source_(source), org_(org), range_(range), dir_(dir) {}

  Status Write(const SavedHead& head) {
    LEDGER_RETURN_IF_ERROR(WriteFile(dir_ / bundle::kHead, HeadJson(head) + "\n"));
    LEDGER_RETURN_IF_ERROR(WriteEvents(head.head.root));
    if (range_.first > 1) LEDGER_RETURN_IF_ERROR(WriteConsistency(head.head.root));
    LEDGER_RETURN_IF_ERROR(CopySchemas());
    bundle::Manifest manifest{org_, range_.first, range_.last, range_.size, {}};
    LEDGER_RETURN_IF_ERROR(
        WriteFile(dir_ / bundle::kReadme, bundle::Readme(manifest, head.is_signed)));
    return WriteManifest(&manifest);
  }

 private:
  static std::string HeadJson(const SavedHead& head) {
    return head.is_signed ? audit::ToJson(head.head) : UnsignedHeadJson(head.head);
  }

  Result<Digest> Subtree(uint64_t begin, uint64_t end) {
    return source_.SubtreeHash(org_, begin, end);
  }

  Status WriteEvents(const Digest& root) {
    Result<std::unique_ptr<EventLines>> lines = EventLines::Create(LineFormat::kJsonl);
    if (!lines.ok()) return lines.status();
    std::ofstream events(dir_ / bundle::kEvents, std::ios::binary);
    std::ofstream proofs(dir_ / bundle::kProofs, std::ios::binary);
    auto subtree = [this](uint64_t begin, uint64_t end) { return Subtree(begin, end); };
    Progress progress("bundled", range_.last - range_.first + 1);
    LEDGER_RETURN_IF_ERROR(
        source_.Scan(org_, range_.first, range_.last, [&](const StoredEvent& event) {
          Result<std::string> line = (*lines)->Line(event);
          if (!line.ok()) return line.status();
          uint64_t seq = event.position.org_seq;
          Result<std::vector<Digest>> proof = InclusionProof(seq - 1, range_.size, subtree);
          if (!proof.ok()) return proof.status();
          events << *line;
          proofs << bundle::InclusionJson(org_, seq, range_.size, event.leaf_hash, root, *proof)
                 << "\n";
          progress.Step();
          return Status::Ok();
        }));
    events.close();
    proofs.close();
    if (!events || !proofs) return Status::IoError("cannot write " + dir_.string());
    return Status::Ok();
  }

  Status WriteConsistency(const Digest& root) {
    const uint64_t from = range_.first - 1;
    Result<TreeHead> from_head = source_.Head(org_, from);
    if (!from_head.ok()) return from_head.status();
    Result<std::vector<Digest>> proof = ConsistencyProof(
        from, range_.size, [this](uint64_t begin, uint64_t end) { return Subtree(begin, end); });
    if (!proof.ok()) return proof.status();
    return WriteFile(
        dir_ / bundle::kConsistency,
        bundle::ConsistencyJson(org_, from, range_.size, from_head->root, root, *proof) + "\n");
  }

  Status CopySchemas() {
    fs::path from = client::DefaultSchemaDir();
    std::error_code error;
    fs::create_directories(dir_ / bundle::kSchemas, error);
    for (const fs::directory_entry& entry : fs::directory_iterator(from, error)) {
      if (entry.path().extension() != ".fbs") continue;
      fs::copy_file(entry.path(), dir_ / bundle::kSchemas / entry.path().filename(), error);
      if (error) return Status::IoError("cannot copy " + entry.path().string());
    }
    if (error) return Status::IoError("cannot read the schemas in " + from.string());
    return Status::Ok();
  }

  Status WriteManifest(bundle::Manifest* manifest) {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::string name = fs::relative(entry.path(), dir_).generic_string();
      Result<std::string> sha256 = bundle::FileSha256(entry.path());
      if (!sha256.ok()) return sha256.status();
      manifest->files.emplace_back(name, *sha256);
    }
    std::sort(manifest->files.begin(), manifest->files.end());
    return WriteFile(dir_ / bundle::kManifest, bundle::ManifestJson(*manifest));
  }

  audit::AuditSource& source_;
  Uuid org_;
  EventRange range_;
  fs::path dir_;
};

Status PrepareDirectory(const fs::path& dir) {
  std::error_code error;
  if (fs::exists(dir, error) && !fs::is_empty(dir, error)) {
    return Status::InvalidArgument("--out " + dir.string() + " exists and is not empty");
  }
  fs::create_directories(dir, error);
  if (error) return Status::IoError("cannot create " + dir.string() + ": " + error.message());
  return Status::Ok();
}

int RunEvidence(const EvidenceFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  std::optional<audit::SigningKey> key;
  if (!flags.key.empty()) {
    Result<audit::SigningKey> loaded = audit::LoadSigningKey(flags.key);
    if (!loaded.ok()) return Fail(loaded.status());
    key = *loaded;
  }
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags.source);
  if (!source.ok()) return Fail(source.status());
  if (key) (*source)->SetSigningKey(*key);
  Result<EventRange> range = ResolveRange(**source, org, flags.from, flags.to);
  if (!range.ok()) return Fail(range.status());
  if (range->empty()) return Fail("no events of org " + org.ToString() + " in that range");
  Status prepared = PrepareDirectory(flags.out);
  if (!prepared.ok()) return Fail(prepared);
  Result<SavedHead> head = HeadFor(**source, org, range->size, key.has_value());
  if (!head.ok()) return Fail(head.status());
  Status written = BundleWriter(**source, org, *range, flags.out).Write(*head);
  if (!written.ok()) return Fail(written);
  std::cout << "wrote " << flags.out << ": " << range->last - range->first + 1 << " events (seqs "
            << range->first << ".." << range->last << ") proved against the "
            << (head->is_signed ? "signed" : "UNSIGNED") << " head at size " << range->size << "\n";
  return 0;
}

}  // namespace

void AddEvidenceCommand(CLI::App& app) {
  auto flags = std::make_shared<EvidenceFlags>();
  CLI::App* command = app.add_subcommand(
      "evidence", "Write a self-contained evidence bundle that `ledger verify --bundle` checks");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  command->add_option("--from", flags->from, "first event: ISO-8601 time or org sequence")
      ->required();
  command->add_option("--to", flags->to, "last event: ISO-8601 time or org sequence")->required();
  command->add_option("--out", flags->out, "directory to write (new or empty)")->required();
  command->add_option("--key", flags->key, "Ed25519 secret key file to sign the head (with --db)");
  command->final_callback([flags] { throw CLI::RuntimeError(RunEvidence(*flags)); });
}

}  // namespace ledger::cli
