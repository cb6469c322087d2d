// `ledger keygen`, `ledger head` and `ledger prove` as an auditor runs them:
// their output checked with the library's own verifiers, and their errors
// one line each.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "ledger/audit/signed_head.h"
#include "ledger/merkle_proof.h"
#include "test_util.h"

namespace ledger {
namespace {

struct Ran {
  int code = -1;
  std::string out, err;
};

class HeadProveCli : public ::testing::Test {
 protected:
  static constexpr uint64_t kEvents = 10;

  void SetUp() override {
    LogOptions options = testing::OptionsIn(dir_);
    db_ = options.path;
    master_key_ = options.master_key_path;
    std::unique_ptr<EventLog> log = testing::OpenOrDie(options);
    std::vector<std::string> events;
    for (uint64_t i = 0; i < kEvents; ++i) {
      events.push_back(testing::TeamEvent(org_, std::to_string(i)));
    }
    std::vector<std::string_view> views(events.begin(), events.end());
    ASSERT_TRUE(log->Append(std::span(views).first(4)).ok());
    ASSERT_TRUE(log->Append(std::span(views).subspan(4)).ok());
    for (uint64_t size = 1; size <= kEvents; ++size) roots_[size] = log->HeadAt(org_, size)->root;
    for (uint64_t seq = 1; seq <= kEvents; ++seq) leaves_[seq] = log->Get(org_, seq)->leaf_hash;
  }

  // `ledger ARGS...`; with `on_db`, the log's --db and --master-key first.
  Ran Run(std::vector<std::string> args, bool on_db = true) {
    std::vector<std::string> argv = {LEDGER_CLI_BINARY};
    argv.push_back(args.front());
    if (on_db) argv.insert(argv.end(), {"--db", db_, "--master-key", master_key_});
    argv.insert(argv.end(), args.begin() + 1, args.end());
    std::string name = "run" + std::to_string(runs_++);
    testing::Child child(argv, dir_.Sub(name + ".out"), dir_.Sub(name + ".err"));
    Ran ran;
    ran.code = child.Wait();
    ran.out = child.out();
    ran.err = child.err();
    return ran;
  }

  static std::vector<Digest> Hashes(const nlohmann::json& list) {
    std::vector<Digest> out;
    for (const auto& hex : list) out.push_back(DigestFromHex(hex.get<std::string>()).value());
    return out;
  }

  static Digest Hash(const nlohmann::json& hex) {
    return DigestFromHex(hex.get<std::string>()).value();
  }

  testing::TempDir dir_;
  std::string db_, master_key_;
  Uuid org_ = Uuid::Random();
  std::string org_text_ = org_.ToString();
  Digest roots_[kEvents + 1]{};
  Digest leaves_[kEvents + 1]{};
  int runs_ = 0;
};

TEST_F(HeadProveCli, KeygenThenHeadWithTheKeyPrintsAHeadThatVerifies) {
  std::string key_file = dir_.Sub("audit.key");
  Ran keygen = Run({"keygen", "--out", key_file}, /*on_db=*/false);
  ASSERT_EQ(keygen.code, 0) << keygen.err;
  Result<audit::PublicKey> public_key = audit::LoadPublicKey(key_file + ".pub");
  ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
  EXPECT_NE(keygen.out.find(audit::KeyToHex(*public_key)), std::string::npos) << keygen.out;
  EXPECT_NE(keygen.out.find(key_file + " "), std::string::npos) << keygen.out;
  EXPECT_NE(keygen.out.find(key_file + ".pub"), std::string::npos) << keygen.out;
  struct stat secret;
  ASSERT_EQ(stat(key_file.c_str(), &secret), 0);
  EXPECT_EQ(secret.st_mode & 0777, 0600u);

  for (uint64_t size : {uint64_t{0}, uint64_t{4}}) {
    Ran head = Run(
        {"head", "--org", org_text_, "--key", key_file, "--json", "--size", std::to_string(size)});
    ASSERT_EQ(head.code, 0) << head.err;
    EXPECT_EQ(head.err, "");
    Result<audit::SignedHead> signed_head = audit::SignedHeadFromJson(head.out);
    ASSERT_TRUE(signed_head.ok()) << signed_head.status().ToString() << "\n" << head.out;
    uint64_t expected_size = size == 0 ? kEvents : size;
    EXPECT_EQ(signed_head->org, org_);
    EXPECT_EQ(signed_head->size, expected_size);
    EXPECT_EQ(signed_head->root, roots_[expected_size]);
    EXPECT_EQ(signed_head->key, *public_key);
    EXPECT_TRUE(audit::VerifyHeadSignature(*signed_head).ok());
  }
  Ran text = Run({"head", "--org", org_text_, "--key", key_file});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("signature "), std::string::npos) << text.out;
}

TEST_F(HeadProveCli, KeygenRefusesToOverwrite) {
  std::string key_file = dir_.Sub("audit.key");
  ASSERT_EQ(Run({"keygen", "--out", key_file}, false).code, 0);
  std::string before = testing::FileText(key_file);
  Ran again = Run({"keygen", "--out", key_file}, false);
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "error: " + key_file + ".pub exists: refusing to overwrite it\n");
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(testing::FileText(key_file), before);
  // The secret file alone is guarded too.
  ASSERT_EQ(std::remove((key_file + ".pub").c_str()), 0);
  Ran secret_only = Run({"keygen", "--out", key_file}, false);
  EXPECT_EQ(secret_only.code, 1);
  EXPECT_EQ(secret_only.err, "error: " + key_file + " exists: refusing to overwrite it\n");
  EXPECT_EQ(testing::FileText(key_file), before);
}

TEST_F(HeadProveCli, HeadWithoutAKeyPrintsTheUnsignedHeadAndSaysSo) {
  Ran head = Run({"head", "--org", org_text_, "--json"});
  ASSERT_EQ(head.code, 0) << head.err;
  EXPECT_EQ(head.out, R"({"org":")" + org_text_ + R"(","size":10,"root":")" +
                          ToHex(roots_[kEvents]) + "\"}\n");
  EXPECT_EQ(head.err.rfind("note: unsigned head: ", 0), 0u) << head.err;
}

TEST_F(HeadProveCli, HeadErrorsAreOneLine) {
  std::string stranger = Uuid::Random().ToString();
  Ran unknown = Run({"head", "--org", stranger});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "error: unknown org " + stranger + "\n");
  EXPECT_EQ(unknown.out, "");

  std::string absent = dir_.Sub("absent.key");
  Ran no_key = Run({"head", "--org", org_text_, "--key", absent});
  EXPECT_EQ(no_key.code, 1);
  EXPECT_EQ(no_key.err, "error: signing key " + absent + ": no such file\n");

  Ran too_big = Run({"head", "--org", org_text_, "--size", "11"});
  EXPECT_EQ(too_big.code, 1);
  EXPECT_EQ(too_big.err, "error: org " + org_text_ + " has 10 events, not 11\n");

  Ran not_uuid = Run({"head", "--org", "acme"});
  EXPECT_EQ(not_uuid.code, 1);
  EXPECT_EQ(not_uuid.err, "error: --org 'acme' is not a UUID\n");
}

TEST_F(HeadProveCli, InclusionProofsVerify) {
  for (uint64_t seq : {1, 4, 5, 10}) {
    for (uint64_t size : {0, 5, 7, 10}) {
      if (size != 0 && seq > size) continue;
      std::vector<std::string> args = {"prove", "--org", org_text_, "--seq", std::to_string(seq)};
      if (size != 0) args.insert(args.end(), {"--size", std::to_string(size)});
      Ran prove = Run(args);
      ASSERT_EQ(prove.code, 0) << prove.err;
      nlohmann::json proof = nlohmann::json::parse(prove.out);
      uint64_t expected_size = size == 0 ? kEvents : size;
      EXPECT_EQ(proof["org"], org_text_);
      EXPECT_EQ(proof["seq"], seq);
      EXPECT_EQ(proof["size"], expected_size);
      EXPECT_EQ(Hash(proof["leaf_hash"]), leaves_[seq]);
      EXPECT_EQ(Hash(proof["root"]), roots_[expected_size]);
      EXPECT_TRUE(VerifyInclusion(leaves_[seq], seq - 1, expected_size, Hashes(proof["proof"]),
                                  roots_[expected_size]))
          << prove.out;
    }
  }
  Ran text = Run({"prove", "--org", org_text_, "--seq", "3", "--format", "text"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("leaf_hash " + ToHex(leaves_[3])), std::string::npos) << text.out;
}

TEST_F(HeadProveCli, ConsistencyProofsVerify) {
  for (auto [from, to] : std::vector<std::pair<uint64_t, uint64_t>>{
           {1, 10}, {4, 10}, {7, 9}, {8, 8}, {3, 0}, {10, 0}}) {
    std::vector<std::string> args = {"prove", "--org", org_text_, "--from-size",
                                     std::to_string(from)};
    if (to != 0) args.insert(args.end(), {"--to-size", std::to_string(to)});
    Ran prove = Run(args);
    ASSERT_EQ(prove.code, 0) << prove.err;
    nlohmann::json proof = nlohmann::json::parse(prove.out);
    uint64_t expected_to = to == 0 ? kEvents : to;
    EXPECT_EQ(proof["org"], org_text_);
    EXPECT_EQ(proof["from_size"], from);
    EXPECT_EQ(proof["to_size"], expected_to);
    EXPECT_EQ(Hash(proof["from_root"]), roots_[from]);
    EXPECT_EQ(Hash(proof["to_root"]), roots_[expected_to]);
    EXPECT_TRUE(VerifyConsistency(from, expected_to, Hashes(proof["proof"]), roots_[from],
                                  roots_[expected_to]))
        << prove.out;
  }
}

TEST_F(HeadProveCli, ProveErrorsAreOneLine) {
  auto expect_error = [&](std::vector<std::string> args, const std::string& message) {
    args.insert(args.begin(), {"prove", "--org", org_text_});
    Ran prove = Run(args);
    EXPECT_EQ(prove.code, 1) << message;
    EXPECT_EQ(prove.err, "error: " + message + "\n");
    EXPECT_EQ(prove.out, "");
  };
  std::string range = "is out of range: the tree of org " + org_text_ + " has events 1..";
  expect_error({"--seq", "0"}, "--seq 0 " + range + "10");
  expect_error({"--seq", "11"}, "--seq 11 " + range + "10");
  expect_error({"--seq", "6", "--size", "5"}, "--seq 6 " + range + "5");
  expect_error({"--seq", "1", "--size", "11"}, "org " + org_text_ + " has 10 events, not 11");
  expect_error({"--from-size", "5", "--to-size", "3"},
               "--from-size 5 is greater than --to-size 3: a log only grows");
  expect_error({"--from-size", "0", "--to-size", "3"},
               "--from-size must be at least 1: an empty tree proves nothing");
  expect_error({"--from-size", "11"}, "--from-size 11 is beyond the org's 10 events");
  expect_error({}, "give --seq N (an inclusion proof) or --from-size A (a consistency proof)");

  std::string stranger = Uuid::Random().ToString();
  Ran unknown = Run({"prove", "--org", stranger, "--seq", "1"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "error: unknown org " + stranger + "\n");
}

}  // namespace
}  // namespace ledger
