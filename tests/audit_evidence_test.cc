// `ledger evidence` writes a bundle that `ledger verify --bundle` checks
// with no ledger; any edit to any file of it fails, naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "audit_cli.h"
#include "ledger/audit/signed_head.h"
#include "ledger/merkle.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::FileText;
using testing::Lines;
using testing::RunLedger;
using testing::TempDir;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class AuditEvidence : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::WriteLog(dir_, "db", testing::TeamEvents(org_, 45, "t"));
    ASSERT_TRUE(audit::GenerateKeyFile(key_).ok());
  }

  CliResult Evidence(const std::string& out, const std::string& from, const std::string& to,
                     bool signed_head = true) {
    std::vector<std::string> args = {"evidence", "--db", db_,    "--org", org_.ToString(),
                                     "--from",   from,   "--to", to,      "--out",
                                     out};
    if (signed_head) args.insert(args.end(), {"--key", key_});
    return RunLedger(dir_, args);
  }

  CliResult Verify(const std::string& bundle, bool pin = true) {
    std::vector<std::string> args = {"verify", "--bundle", bundle};
    if (pin) args.insert(args.end(), {"--public-key", key_ + ".pub"});
    return RunLedger(dir_, args);
  }

  // A fresh copy of a good bundle, for one edit.
  std::string Copy(const std::string& bundle, const std::string& name) {
    std::string copy = dir_.Sub(name);
    fs::copy(bundle, copy, fs::copy_options::recursive);
    return copy;
  }

  TempDir dir_;
  Uuid org_ = Uuid::Random();
  std::string db_;
  std::string key_ = dir_.Sub("signing.key");
};

TEST_F(AuditEvidence, BundleVerifiesOffline) {
  std::string bundle = dir_.Sub("bundle");
  CliResult made = Evidence(bundle, "10", "2026-03-01T00:00:20Z");
  ASSERT_EQ(made.code, 0) << made.err;
  for (const char* file : {"events.jsonl", "head.json", "proofs.jsonl", "consistency.json",
                           "README.md", "manifest.json", "schemas/events.fbs"}) {
    EXPECT_TRUE(fs::exists(bundle + "/" + file)) << file;
  }
  EXPECT_EQ(Lines(FileText(bundle + "/events.jsonl")).size(), 11u);
  EXPECT_EQ(Lines(FileText(bundle + "/proofs.jsonl")).size(), 11u);
  nlohmann::json consistency = nlohmann::json::parse(FileText(bundle + "/consistency.json"));
  EXPECT_EQ(consistency["from_size"], 9);
  EXPECT_EQ(consistency["to_size"], 45);
  EXPECT_EQ(consistency["from_root"], ToHex(testing::ReopenLog(db_)->HeadAt(org_, 9)->root));
  fs::remove_all(db_);  // no ledger from here on

  CliResult verified = Verify(bundle);
  EXPECT_EQ(verified.code, 0) << verified.err;
  EXPECT_NE(verified.out.find("signature verifies under the pinned key"), std::string::npos);
  EXPECT_NE(verified.out.find("11 events (seqs 10..20) included in the head at size 45"),
            std::string::npos)
      << verified.out;
}

TEST_F(AuditEvidence, BundleFromTheFirstEventHasNoConsistencyProof) {
  std::string bundle = dir_.Sub("bundle");
  ASSERT_EQ(Evidence(bundle, "1", "45").code, 0);
  EXPECT_FALSE(fs::exists(bundle + "/consistency.json"));
  CliResult verified = Verify(bundle);
  EXPECT_EQ(verified.code, 0) << verified.err;
}

TEST_F(AuditEvidence, UnsignedBundleVerifiesButNotAgainstAPinnedKey) {
  std::string bundle = dir_.Sub("bundle");
  CliResult made = Evidence(bundle, "3", "7", /*signed_head=*/false);
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.err.find("warning: no signing key"), std::string::npos) << made.err;
  CliResult unpinned = Verify(bundle, /*pin=*/false);
  EXPECT_EQ(unpinned.code, 0) << unpinned.err;
  EXPECT_NE(unpinned.out.find("head: unsigned"), std::string::npos) << unpinned.out;
  CliResult pinned = Verify(bundle);
  EXPECT_EQ(pinned.code, 1);
  EXPECT_NE(pinned.err.find("head.json"), std::string::npos) << pinned.err;
}

// Each edit: a file, what to do to it, and what the one-line error must name.
struct Edit {
  std::string file;
  std::function<std::string(std::string)> change;
  std::string named;
};

std::string FlipFirst(std::string text, const std::string& what, const std::string& with) {
  size_t at = text.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  return at == std::string::npos ? text + " " : text.replace(at, what.size(), with);
}

TEST_F(AuditEvidence, EditingAnyFileFailsNamingIt) {
  std::string bundle = dir_.Sub("bundle");
  ASSERT_EQ(Evidence(bundle, "5", "12").code, 0);
  std::vector<Edit> edits = {
      {"events.jsonl", [](std::string t) { return FlipFirst(t, "\"t6\"", "\"t9\""); },
       "bundle file events.jsonl"},
      {"head.json", [](std::string t) { return FlipFirst(t, "\"size\":45", "\"size\":44"); },
       "bundle file head.json"},
      {"proofs.jsonl", [](std::string t) { return FlipFirst(t, "\"seq\":7", "\"seq\":8"); },
       "bundle file proofs.jsonl"},
      {"consistency.json", [](std::string t) { return t + " "; }, "bundle file consistency.json"},
      {"README.md", [](std::string t) { return t + "edited\n"; }, "bundle file README.md"},
      {"schemas/events.fbs", [](std::string t) { return "// edited\n" + t; },
       "bundle file schemas/events.fbs"},
      {"manifest.json",
       [](std::string t) { return FlipFirst(t, "\"events.jsonl\": \"", "\"events.jsonl\": \"0"); },
       "bundle file events.jsonl: SHA-256 differs from manifest.json"},
      {"manifest.json", [](std::string t) { return t + "\n"; }, "bundle file manifest.json"},
      {"manifest.json",
       [](std::string t) { return FlipFirst(t, "\"from_seq\": 5", "\"from_seq\": 6"); },
       "bundle file events.jsonl seq 6"},
  };
  int copy = 0;
  for (const Edit& edit : edits) {
    std::string edited = Copy(bundle, "edited" + std::to_string(++copy));
    std::string path = edited + "/" + edit.file;
    Write(path, edit.change(FileText(path)));
    CliResult result = Verify(edited);
    EXPECT_EQ(result.code, 1) << edit.file;
    EXPECT_EQ(Lines(result.err).size(), 1u) << result.err;
    EXPECT_NE(result.err.find(edit.named), std::string::npos) << edit.file << ": " << result.err;
  }
  std::string extra = Copy(bundle, "extra");
  Write(extra + "/note.txt", "added\n");
  EXPECT_NE(Verify(extra).err.find("bundle file note.txt: not listed"), std::string::npos);
  std::string missing = Copy(bundle, "missing");
  fs::remove(missing + "/proofs.jsonl");
  EXPECT_NE(Verify(missing).err.find("bundle file proofs.jsonl"), std::string::npos);
}

// An editor who also fixes the manifest is still caught: the changed body
// no longer matches its line, its leaf or any proof to the signed root.
TEST_F(AuditEvidence, EditedBodyWithARecomputedManifestNamesTheSeq) {
  std::string bundle = dir_.Sub("bundle");
  ASSERT_EQ(Evidence(bundle, "5", "12").code, 0);
  std::vector<std::string> lines = Lines(FileText(bundle + "/events.jsonl"));
  nlohmann::ordered_json line = nlohmann::ordered_json::parse(lines[3]);  // seq 8
  std::string body = testing::DecodeBase64(line["body_b64"].get<std::string>());
  size_t name = body.find("t8");
  ASSERT_NE(name, std::string::npos);
  body[name + 1] = '9';
  line["body_b64"] = testing::EncodeBase64(body);
  lines[3] = line.dump();
  std::string text;
  for (const std::string& each : lines) text += each + "\n";
  std::string old_sha = ToHex(Sha256(FileText(bundle + "/events.jsonl")));
  Write(bundle + "/events.jsonl", text);
  std::string manifest = FileText(bundle + "/manifest.json");
  Write(bundle + "/manifest.json", FlipFirst(manifest, old_sha, ToHex(Sha256(text))));
  CliResult result = Verify(bundle);
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("bundle file events.jsonl seq 8: "), std::string::npos) << result.err;
}

TEST_F(AuditEvidence, ErrorsAreOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  std::string org = org_.ToString();
  std::string other = Uuid::Random().ToString();
  std::vector<Case> cases = {
      {{"evidence", "--db", db_, "--org", org, "--from", "1", "--to", "2", "--out", dir_.Sub("a"),
        "--key", dir_.Sub("missing.key")},
       "missing.key"},
      {{"evidence", "--db", db_, "--org", other, "--from", "1", "--to", "2", "--out",
        dir_.Sub("b")},
       "unknown org " + other},
      {{"evidence", "--db", db_, "--org", org, "--from", "2026-13-01", "--to", "2", "--out",
        dir_.Sub("c")},
       "malformed time"},
      {{"evidence", "--db", db_, "--org", org, "--from", "1", "--to", "2020-01-01", "--out",
        dir_.Sub("d")},
       "did not exist at"},
      {{"verify", "--bundle", dir_.Sub("nothing-here")}, "does not exist"},
  };
  for (const Case& test : cases) {
    CliResult result = RunLedger(dir_, test.args);
    EXPECT_EQ(result.code, 1) << test.error;
    EXPECT_EQ(Lines(result.err).size(), 1u) << result.err;
    EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
    EXPECT_NE(result.err.find(test.error), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace ledger
