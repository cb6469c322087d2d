// `ledger export`: every line carries the exact stored bytes, so an auditor
// recomputes every leaf and the root without trusting the tool.
#include <gtest/gtest.h>

#include "audit_cli.h"
#include "ledger/merkle.h"

namespace ledger {
namespace {

using testing::CliResult;
using testing::Lines;
using testing::RunLedger;
using testing::TempDir;

class AuditExport : public ::testing::Test {
 protected:
  void SetUp() override { db_ = testing::WriteLog(dir_, "db", testing::TeamEvents(org_, 50, "t")); }

  CliResult Export(std::vector<std::string> more) {
    std::vector<std::string> args = {"export", "--db", db_, "--org", org_.ToString()};
    args.insert(args.end(), more.begin(), more.end());
    return RunLedger(dir_, args);
  }

  std::vector<uint64_t> Seqs(const CliResult& result) {
    std::vector<uint64_t> seqs;
    for (const std::string& line : Lines(result.out)) {
      seqs.push_back(nlohmann::json::parse(line)["org_seq"].get<uint64_t>());
    }
    return seqs;
  }

  TempDir dir_;
  Uuid org_ = Uuid::Random();
  std::string db_;
};

TEST_F(AuditExport, JsonlBodiesRecomputeEveryLeafAndTheRoot) {
  CliResult result = Export({"--format", "jsonl"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");  // no progress: stderr is not a terminal
  std::vector<Digest> leaves;
  for (const std::string& line : Lines(result.out)) {
    nlohmann::json json = nlohmann::json::parse(line);
    std::string body = testing::DecodeBase64(json["body_b64"].get<std::string>());
    Digest leaf = LeafHash(body);
    EXPECT_EQ(ToHex(leaf), json["leaf_hash"]);
    EXPECT_EQ(json["org"], org_.ToString());
    EXPECT_EQ(json["org_seq"], leaves.size() + 1);
    EXPECT_EQ(json["type"], "TeamCreated");
    EXPECT_EQ(json["event"]["payload_type"], "TeamCreated");
    EXPECT_EQ(json["event"]["payload"]["name"], "t" + std::to_string(leaves.size() + 1));
    EXPECT_EQ(json["recorded_at_us"],
              testing::kLogStartMicros + static_cast<int64_t>(leaves.size() + 1) * 1'000'000);
    leaves.push_back(leaf);
  }
  ASSERT_EQ(leaves.size(), 50u);
  TreeHead head = *testing::ReopenLog(db_)->Head(org_);
  EXPECT_EQ(RootFromLeaves(leaves), head.root);
}

TEST_F(AuditExport, CsvHasTheHeaderAndOneRowPerEvent) {
  CliResult result = Export({"--format", "csv", "--out", dir_.Sub("events.csv")});
  ASSERT_EQ(result.code, 0) << result.err;
  std::vector<std::string> rows = Lines(testing::FileText(dir_.Sub("events.csv")));
  ASSERT_EQ(rows.size(), 51u);
  EXPECT_EQ(rows[0],
            "org,org_seq,global_seq,recorded_at,recorded_at_us,type,actor_kind,actor_id,event_id,"
            "leaf_hash");
  EXPECT_EQ(rows[1].rfind(org_.ToString() + ",1,1,2026-03-01T00:00:01.000000Z,", 0), 0u) << rows[1];
  EXPECT_NE(rows[50].find(",TeamCreated,"), std::string::npos) << rows[50];
}

TEST_F(AuditExport, FromAndToSelectBySeqAndByTime) {
  std::vector<uint64_t> by_seq = Seqs(Export({"--from", "10", "--to", "14"}));
  EXPECT_EQ(by_seq, (std::vector<uint64_t>{10, 11, 12, 13, 14}));
  // Event i is recorded at 00:00:i; from 00:00:20 through 00:00:22.5.
  std::vector<uint64_t> by_time =
      Seqs(Export({"--from", "2026-03-01T00:00:20Z", "--to", "2026-03-01T00:00:22.500000Z"}));
  EXPECT_EQ(by_time, (std::vector<uint64_t>{20, 21, 22}));
  std::vector<uint64_t> tail = Seqs(Export({"--from", "48"}));
  EXPECT_EQ(tail, (std::vector<uint64_t>{48, 49, 50}));
  std::vector<uint64_t> head = Seqs(Export({"--to", "2026-03-01T00:00:02Z"}));
  EXPECT_EQ(head, (std::vector<uint64_t>{1, 2}));
}

TEST_F(AuditExport, ErrorsAreOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  std::string other = Uuid::Random().ToString();
  std::vector<Case> cases = {
      {{"export", "--db", db_, "--org", other}, "unknown org " + other},
      {{"export", "--db", db_, "--org", org_.ToString(), "--from", "yesterday"}, "malformed time"},
      {{"export", "--db", db_, "--org", org_.ToString(), "--to", "2026-02-30T99:00:00Z"},
       "malformed time"},
      {{"export", "--db", db_, "--org", org_.ToString(), "--to", "2020-01-01"}, "did not exist at"},
      {{"export", "--db", db_, "--org", "not-a-uuid"}, "is not a UUID"},
      {{"export", "--db", dir_.Sub("nowhere"), "--org", org_.ToString()}, "error: "},
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
