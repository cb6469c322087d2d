// `ledger verify` as an auditor runs it: damaged stored bytes named by org
// and seq; --against a saved head: a log cut short, a log altered at seq k;
// and its one-line errors.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <fstream>

#include "audit_cli.h"
#include "checksum.h"
#include "keys.h"
#include "ledger/audit/signed_head.h"
#include "rocks_event_log.h"
#include "server_fixture.h"

namespace ledger {
namespace {

using testing::CliResult;
using testing::Has;
using testing::RunLedger;
using testing::TeamEvents;
using testing::TempDir;
using testing::WriteLog;

// Rewrites one stored event record the way a disk or an attacker would.
void DamageRecord(const std::string& path, const Uuid& org, uint64_t seq, bool reseal) {
  std::vector<rocksdb::ColumnFamilyDescriptor> columns;
  for (const char* name :
       {"default", "events", "global", "tree", "orgs", "subject_keys", "directory", "snapshots"}) {
    columns.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(LogRocksOptions(), path, columns, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), handles[1], keys::Event(org, seq), &value).ok());
  value[value.size() - 20] ^= 0x01;  // inside the event FlatBuffer
  if (reseal) checksum::Seal(&value);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[1], keys::Event(org, seq), value).ok());
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
}

class AuditVerify : public ::testing::Test {
 protected:
  // Saves the signed head of the log at `path` at `size` events, as an
  // auditor would have kept it.
  std::string SaveHead(const std::string& path, uint64_t size, const std::string& name) {
    TreeHead head = *testing::ReopenLog(path)->HeadAt(org_, size);
    audit::SignedHead signed_head = audit::SignHead(key_, org_, head, testing::kLogStartMicros);
    std::string file = dir_.Sub(name);
    std::ofstream(file) << audit::ToJson(signed_head) << "\n";
    return file;
  }

  CliResult Against(const std::string& db, const std::string& head,
                    std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"verify", "--db", db, "--against", head};
    args.insert(args.end(), more.begin(), more.end());
    return RunLedger(dir_, args);
  }

  TempDir dir_;
  Uuid org_ = Uuid::Random();
  std::string key_file_ = dir_.Sub("signing.key");
  audit::SigningKey key_ = *audit::GenerateKeyFile(key_file_);
};

TEST_F(AuditVerify, FlippedByteInAStoredEventIsNamedByOrgAndSeq) {
  std::string db = WriteLog(dir_, "db", TeamEvents(org_, 40, "team "));
  DamageRecord(db, org_, 7, /*reseal=*/false);
  CliResult result = RunLedger(dir_, {"verify", "--db", db});
  EXPECT_EQ(result.code, 1);
  EXPECT_TRUE(Has(result.out,
                  "FAIL  corruption: org " + org_.ToString() + " seq 7: record checksum mismatch"))
      << result.out;
  EXPECT_TRUE(Has(result.out, "0 verified, 1 failed")) << result.out;
}

TEST_F(AuditVerify, ResealedEditIsNamedByOrgAndSeqThroughTheLeafHash) {
  std::string db = WriteLog(dir_, "db", TeamEvents(org_, 40, "team "));
  DamageRecord(db, org_, 12, /*reseal=*/true);
  CliResult result = RunLedger(dir_, {"verify", "--db", db, "--org", org_.ToString()});
  EXPECT_EQ(result.code, 1);
  EXPECT_TRUE(Has(result.out,
                  "org " + org_.ToString() + " seq 12: event bytes do not match their leaf hash"))
      << result.out;
}

TEST_F(AuditVerify, UntouchedLogVerifiesAsBefore) {
  std::string db = WriteLog(dir_, "db", TeamEvents(org_, 40, "team "));
  CliResult result = RunLedger(dir_, {"verify", "--db", db});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(Has(result.out, "ok    " + org_.ToString() + " size 40 root ")) << result.out;
}

TEST_F(AuditVerify, LogThatGrewExtendsTheSavedHead) {
  std::vector<std::string> events = TeamEvents(org_, 40, "team ");
  std::string db = WriteLog(dir_, "db", events);
  std::string head = SaveHead(db, 29, "head.json");
  CliResult pinned = Against(db, head, {"--public-key", key_file_ + ".pub"});
  EXPECT_EQ(pinned.code, 0) << pinned.err;
  EXPECT_TRUE(Has(pinned.out, "signature verifies under the pinned key")) << pinned.out;
  EXPECT_TRUE(Has(pinned.out, "extends the saved head (size 29")) << pinned.out;
  CliResult unpinned = Against(db, head);
  EXPECT_EQ(unpinned.code, 0) << unpinned.err;
  EXPECT_TRUE(Has(unpinned.out, "not pinned")) << unpinned.out;
  CliResult same_size = Against(db, SaveHead(db, 40, "now.json"));
  EXPECT_EQ(same_size.code, 0) << same_size.err;
}

TEST_F(AuditVerify, TruncatedLogFailsAgainstTheSavedHeadAsCutShort) {
  std::vector<std::string> events = TeamEvents(org_, 40, "team ");
  std::string full = WriteLog(dir_, "full", events);
  std::string head = SaveHead(full, 40, "head.json");
  // The same log with its last ten events gone.
  std::string cut = WriteLog(dir_, "cut", {events.begin(), events.begin() + 30});
  CliResult result = Against(cut, head);
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: tampered: org " + org_.ToString() +
                            ": log holds 30 events, the saved head covers 40: cut short after "
                            "seq 30\n");
}

TEST_F(AuditVerify, AlteredLogIsReportedWithItsFirstDifferingSeq) {
  std::vector<std::string> events = TeamEvents(org_, 40, "team ");
  std::string original = WriteLog(dir_, "original", events);
  std::string head = SaveHead(original, 40, "head.json");
  CliResult exported = RunLedger(dir_, {"export", "--db", original, "--org", org_.ToString(),
                                        "--out", dir_.Sub("saved.jsonl")});
  ASSERT_EQ(exported.code, 0) << exported.err;
  // Same first 22 events, then other ones, and more of them.
  std::vector<std::string> altered(events.begin(), events.begin() + 22);
  for (const std::string& event : TeamEvents(org_, 25, "forged ")) altered.push_back(event);
  std::string forged = WriteLog(dir_, "forged", altered);

  CliResult found = Against(forged, head, {"--events", dir_.Sub("saved.jsonl")});
  EXPECT_EQ(found.code, 1);
  EXPECT_TRUE(Has(found.err,
                  "the log differs from the saved head (size 40): first differing "
                  "seq 23\n"))
      << found.err;
  // Without the saved events only the saved root is known.
  CliResult unknown = Against(forged, head);
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(Has(unknown.err, "the first difference lies in seqs 1..40")) << unknown.err;
}

TEST_F(AuditVerify, AlteredFirstAndLastEventsAreFound) {
  std::vector<std::string> events = TeamEvents(org_, 37, "team ");
  std::string original = WriteLog(dir_, "original", events);
  std::string head = SaveHead(original, 37, "head.json");
  ASSERT_EQ(RunLedger(dir_, {"export", "--db", original, "--org", org_.ToString(), "--out",
                             dir_.Sub("saved.jsonl")})
                .code,
            0);
  for (size_t k : {size_t{1}, size_t{37}}) {
    std::vector<std::string> altered = events;
    altered[k - 1] = testing::TeamEvent(org_, "forged");
    std::string forged = WriteLog(dir_, "forged" + std::to_string(k), altered);
    CliResult found = Against(forged, head, {"--events", dir_.Sub("saved.jsonl")});
    EXPECT_EQ(found.code, 1);
    EXPECT_TRUE(Has(found.err, "first differing seq " + std::to_string(k) + "\n")) << found.err;
  }
}

TEST_F(AuditVerify, HeadSignedByAnotherKeyFailsWhenAKeyIsPinned) {
  std::string db = WriteLog(dir_, "db", TeamEvents(org_, 5, "team "));
  std::string head = SaveHead(db, 5, "head.json");
  ASSERT_TRUE(audit::GenerateKeyFile(dir_.Sub("other.key")).ok());
  CliResult result = Against(db, head, {"--public-key", dir_.Sub("other.key.pub")});
  EXPECT_EQ(result.code, 1);
  EXPECT_TRUE(Has(result.err, "not by the pinned key")) << result.err;
}

TEST_F(AuditVerify, EditedSavedHeadFailsItsSignature) {
  std::string db = WriteLog(dir_, "db", TeamEvents(org_, 5, "team "));
  std::string head = SaveHead(db, 5, "head.json");
  std::string text = testing::FileText(head);
  size_t size = text.find("\"size\":5");
  ASSERT_NE(size, std::string::npos) << text;
  text.replace(size, 8, "\"size\":4");
  std::ofstream(head) << text;
  CliResult result = Against(db, head);
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(testing::Lines(result.err).size(), 1u) << result.err;
  EXPECT_TRUE(Has(result.err, "error: tampered: ")) << result.err;
}

TEST_F(AuditVerify, ErrorsAreOneLine) {
  std::string db = WriteLog(dir_, "db", TeamEvents(org_, 5, "team "));
  std::string head = SaveHead(db, 5, "head.json");
  std::string other_db = WriteLog(dir_, "other", TeamEvents(Uuid::Random(), 5, "team "));
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"verify", "--db", other_db, "--against", head}, "unknown org " + org_.ToString()},
      {{"verify", "--db", db, "--against", head, "--public-key", dir_.Sub("missing.pub")},
       "missing.pub"},
      {{"verify", "--db", db, "--against", dir_.Sub("missing.json")}, "missing.json"},
      {{"verify", "--bundle", dir_.Sub("no-bundle")},
       "bundle directory " + dir_.Sub("no-bundle") + " does not exist"},
      {{"verify"}, "give --db PATH or --connect HOST:PORT"},
  };
  for (const Case& test : cases) {
    CliResult result = RunLedger(dir_, test.args);
    EXPECT_EQ(result.code, 1) << test.error;
    EXPECT_EQ(testing::Lines(result.err).size(), 1u) << result.err;
    EXPECT_TRUE(Has(result.err, "error: ")) << result.err;
    EXPECT_TRUE(Has(result.err, test.error)) << result.err;
  }
}

// Over --connect the tools recompute every leaf from the events the server
// sends: verify, export and evidence agree with the read-only local view.
class AuditVerifyRemote : public testing::ServerFixture {
 protected:
  std::vector<std::string> Remote() {
    return {"--connect", "127.0.0.1:" + std::to_string(port()), "--token", org_token_};
  }
  CliResult Run(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return RunLedger(dir_, args);
  }
};

TEST_F(AuditVerifyRemote, VerifyExportAndEvidenceWorkOverConnect) {
  std::vector<std::string> events = TeamEvents(org_, 70, "team ");
  std::vector<std::string_view> views(events.begin(), events.end());
  ASSERT_TRUE(ledger_->log().Append(views).ok());
  StartServer();
  const std::string org = org_.ToString();

  CliResult verified = Run({"verify", "--org", org}, Remote());
  EXPECT_EQ(verified.code, 0) << verified.err;
  EXPECT_TRUE(Has(verified.out, "ok    " + org + " size 70 root ")) << verified.out;

  CliResult remote = Run({"export", "--org", org, "--from", "3", "--to", "60"}, Remote());
  CliResult local = Run({"export", "--org", org, "--from", "3", "--to", "60"},
                        {"--db", dir_.Sub("db"), "--master-key", dir_.Sub("master.key")});
  ASSERT_EQ(remote.code, 0) << remote.err;
  EXPECT_EQ(testing::Lines(remote.out).size(), 58u);
  EXPECT_EQ(remote.out, local.out);

  CliResult made =
      Run({"evidence", "--org", org, "--from", "3", "--to", "60", "--out", dir_.Sub("bundle")},
          Remote());
  ASSERT_EQ(made.code, 0) << made.err;
  CliResult checked = RunLedger(dir_, {"verify", "--bundle", dir_.Sub("bundle")});
  EXPECT_EQ(checked.code, 0) << checked.err;
}

}  // namespace
}  // namespace ledger
