// Signed tree heads (signed_head.h): signatures that fail on any changed
// field, their JSON form, and ledgerd --signing-key serving them over the
// client, in process and as the real binary.
#include "ledger/audit/signed_head.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "ledger/audit/source.h"
#include "ledger/client/client.h"
#include "ledger/merkle_proof.h"
#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger {
namespace {

using audit::SignedHead;
using audit::SigningKey;

SigningKey NewKey(const testing::TempDir& dir, const std::string& name) {
  Result<SigningKey> key = audit::GenerateKeyFile(dir.Sub(name));
  if (!key.ok()) throw std::runtime_error(key.status().ToString());
  return *key;
}

SignedHead ExampleHead(const SigningKey& key) {
  TreeHead head{42, LeafHash("the root of 42 events")};
  return audit::SignHead(key, *Uuid::Parse("0b9a3c1e-5d2f-4e6a-9b7c-8d1e2f3a4b5c"), head,
                         1'800'000'000'123'456);
}

TEST(SignedHead, SignThenVerify) {
  testing::TempDir dir;
  SignedHead head = ExampleHead(NewKey(dir, "key"));
  EXPECT_TRUE(audit::VerifyHeadSignature(head).ok());
  EXPECT_EQ(audit::SignedMessage(head.org, TreeHead{head.size, head.root}, head.timestamp),
            "ledger-tree-head-v1\n"
            "org 0b9a3c1e-5d2f-4e6a-9b7c-8d1e2f3a4b5c\n"
            "size 42\n"
            "root " +
                ToHex(head.root) +
                "\n"
                "timestamp 1800000000123456\n");
}

TEST(SignedHead, AnyChangedFieldFailsTheSignature) {
  testing::TempDir dir;
  const SignedHead good = ExampleHead(NewKey(dir, "key"));
  auto expect_tampered = [](const SignedHead& head, const char* what) {
    Status status = audit::VerifyHeadSignature(head);
    EXPECT_EQ(status.code(), Code::kTampered) << what << ": " << status.ToString();
  };
  SignedHead head = good;
  head.size = 41;
  expect_tampered(head, "size");
  head = good;
  head.root[7] ^= 1;
  expect_tampered(head, "root");
  head = good;
  head.org = Uuid::Random();
  expect_tampered(head, "org");
  head = good;
  head.timestamp += 1;
  expect_tampered(head, "timestamp");
  head = good;
  head.signature[63] ^= 0x80;
  expect_tampered(head, "signature");
  head = good;
  head.key = NewKey(dir, "other").public_key;
  expect_tampered(head, "key");
}

TEST(SignedHead, JsonRoundTrips) {
  testing::TempDir dir;
  SignedHead head = ExampleHead(NewKey(dir, "key"));
  std::string json = audit::ToJson(head);
  Result<SignedHead> parsed = audit::SignedHeadFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << json;
  EXPECT_EQ(parsed->org, head.org);
  EXPECT_EQ(parsed->size, head.size);
  EXPECT_EQ(parsed->root, head.root);
  EXPECT_EQ(parsed->timestamp, head.timestamp);
  EXPECT_EQ(parsed->key, head.key);
  EXPECT_EQ(parsed->signature, head.signature);
  EXPECT_TRUE(audit::VerifyHeadSignature(*parsed).ok());
  nlohmann::json object = nlohmann::json::parse(json);
  EXPECT_EQ(object["timestamp"], "2027-01-15T08:00:00.123456Z");
  EXPECT_EQ(object["signed_message_format"], "ledger-tree-head-v1");
}

TEST(SignedHead, JsonWithAMissingOrMalformedFieldNamesIt) {
  testing::TempDir dir;
  nlohmann::json good = nlohmann::json::parse(audit::ToJson(ExampleHead(NewKey(dir, "key"))));
  for (const char* field : {"org", "size", "root", "timestamp_us", "key", "signature"}) {
    nlohmann::json missing = good;
    missing.erase(field);
    Result<SignedHead> parsed = audit::SignedHeadFromJson(missing.dump());
    ASSERT_FALSE(parsed.ok()) << field;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(std::string("\"") + field + "\""), std::string::npos)
        << parsed.status().message();
    nlohmann::json malformed = good;
    malformed[field] = "zz";
    EXPECT_FALSE(audit::SignedHeadFromJson(malformed.dump()).ok()) << field;
  }
  EXPECT_FALSE(audit::SignedHeadFromJson("not json").ok());
  EXPECT_FALSE(audit::SignedHeadFromJson("[1,2]").ok());
}

TEST(SignedHead, KeyFilesRoundTripAndAMissingOneIsNamed) {
  testing::TempDir dir;
  SigningKey made = NewKey(dir, "key");
  Result<SigningKey> loaded = audit::LoadSigningKey(dir.Sub("key"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key, made.public_key);
  EXPECT_EQ(*audit::LoadPublicKey(dir.Sub("key.pub")), made.public_key);
  Result<SigningKey> missing = audit::LoadSigningKey(dir.Sub("nope"));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "signing key " + dir.Sub("nope") + ": no such file");
  EXPECT_FALSE(audit::GenerateKeyFile(dir.Sub("key")).ok());
}

TEST(SignedHead, TreeHeadReplySignatureFieldsAreAllOrNothing) {
  std::vector<uint8_t> root(32, 7), key(32, 1), signature(64, 2), short_key(31, 1);
  auto decode = [](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::ToHeadSignature(
        *flatbuffers::GetRoot<wire::TreeHeadReply>(fbb.GetBufferPointer()));
  };
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(wire::CreateTreeHeadReplyDirect(fbb, "x", 1, &root, 99, &key, &signature));
  Result<wire::HeadSignature> full = decode(fbb);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->timestamp, 99);
  EXPECT_EQ(full->key, std::string(32, '\1'));
  EXPECT_EQ(full->signature, std::string(64, '\2'));

  fbb.Clear();
  fbb.Finish(wire::CreateTreeHeadReplyDirect(fbb, "x", 1, &root));
  Result<wire::HeadSignature> none = decode(fbb);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->key.empty() && none->signature.empty());

  fbb.Clear();
  fbb.Finish(wire::CreateTreeHeadReplyDirect(fbb, "x", 1, &root, 99, &key));
  EXPECT_EQ(decode(fbb).status().code(), Code::kInvalidArgument);
  fbb.Clear();
  fbb.Finish(wire::CreateTreeHeadReplyDirect(fbb, "x", 1, &root, 99, &short_key, &signature));
  EXPECT_EQ(decode(fbb).status().code(), Code::kInvalidArgument);
}

// ledgerd with a signing key, in process.
class SignedHeadServer : public testing::ServerFixture {
 protected:
  void AppendEvents(int teams) {
    std::vector<std::string> events = {testing::OrgEvent(org_)};
    for (int i = 0; i < teams; ++i) events.push_back(testing::TeamEvent(org_, std::to_string(i)));
    std::vector<std::string_view> views(events.begin(), events.end());
    ASSERT_TRUE(ledger_->log().Append(views).ok());
  }

  void StartSigningServer(const SigningKey& key) {
    server::ServerOptions options;
    options.signing_key = key;
    auto started = server::Server::Start(ledger_.get(), tokens_.get(), options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
  }

  std::unique_ptr<client::Client> ConnectClient() {
    client::ClientOptions options;
    options.port = port();
    options.token = org_token_;
    auto connected = client::Client::Connect(options);
    if (!connected.ok()) throw std::runtime_error(connected.status().ToString());
    return std::move(connected).value();
  }

  std::unique_ptr<audit::AuditSource> RemoteSource() {
    audit::SourceFlags flags;
    flags.connect = "127.0.0.1:" + std::to_string(port());
    flags.token = org_token_;
    auto source = audit::AuditSource::Open(flags);
    if (!source.ok()) throw std::runtime_error(source.status().ToString());
    return std::move(source).value();
  }

  // `ledger COMMAND --connect ... --org ORG EXTRA...` against this server.
  testing::Child RunLedger(const std::string& command, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        LEDGER_CLI_BINARY, command,    "--connect", "127.0.0.1:" + std::to_string(port()),
        "--token",         org_token_, "--org",     org_.ToString()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string name = command + std::to_string(runs_++);
    return testing::Child(argv, dir_.Sub(name + ".out"), dir_.Sub(name + ".err"));
  }
  testing::Child RunHead(const std::vector<std::string>& extra) { return RunLedger("head", extra); }

  int runs_ = 0;
};

TEST_F(SignedHeadServer, ServesHeadsSignedByItsKey) {
  AppendEvents(20);
  SigningKey key = NewKey(dir_, "server.key");
  StartSigningServer(key);
  std::unique_ptr<client::Client> client = ConnectClient();
  for (uint64_t size : {0u, 1u, 5u, 21u}) {
    Result<client::SignedTreeHeadReply> reply = client->SignedTreeHead(org_, size);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    Result<TreeHead> expected = ledger_->log().HeadAt(org_, size == 0 ? 21 : size);
    EXPECT_EQ(reply->size, expected->size);
    EXPECT_EQ(reply->root, expected->root);
    ASSERT_EQ(reply->key.size(), 32u);
    ASSERT_EQ(reply->signature.size(), 64u);
    SignedHead head{org_, reply->size, reply->root, reply->timestamp, {}, {}};
    std::copy(reply->key.begin(), reply->key.end(), head.key.begin());
    std::copy(reply->signature.begin(), reply->signature.end(), head.signature.begin());
    EXPECT_EQ(head.key, key.public_key);
    EXPECT_TRUE(audit::VerifyHeadSignature(head).ok()) << "size " << size;
  }
  // The plain TreeHead call still works beside it.
  EXPECT_EQ(client->TreeHead(org_)->size, 21u);
  EXPECT_EQ(client->SignedTreeHead(other_org_).status().code(), Code::kPermissionDenied);

  // The audit source checks the root against the events, then the signature.
  std::unique_ptr<audit::AuditSource> source = RemoteSource();
  Result<SignedHead> signed_head = source->SignedHeadAt(org_, 7);
  ASSERT_TRUE(signed_head.ok()) << signed_head.status().ToString();
  EXPECT_EQ(signed_head->size, 7u);
  EXPECT_EQ(signed_head->key, key.public_key);
  EXPECT_EQ(signed_head->root, ledger_->log().HeadAt(org_, 7)->root);

  testing::Child head = RunHead({"--json"});
  ASSERT_EQ(head.Wait(), 0) << head.err();
  Result<SignedHead> printed = audit::SignedHeadFromJson(head.out());
  ASSERT_TRUE(printed.ok()) << printed.status().ToString() << "\n" << head.out();
  EXPECT_EQ(printed->key, key.public_key);
  EXPECT_EQ(printed->size, 21u);
  EXPECT_TRUE(audit::VerifyHeadSignature(*printed).ok());
}

TEST_F(SignedHeadServer, AServerWithoutAKeyLeavesTheFieldsOut) {
  AppendEvents(3);
  StartServer();
  Result<client::SignedTreeHeadReply> reply = ConnectClient()->SignedTreeHead(org_);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->size, 4u);
  EXPECT_TRUE(reply->key.empty());
  EXPECT_TRUE(reply->signature.empty());
  EXPECT_EQ(reply->timestamp, 0);

  Result<SignedHead> signed_head = RemoteSource()->SignedHeadAt(org_, 0);
  EXPECT_EQ(signed_head.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(signed_head.status().message(),
            "this ledgerd does not sign heads (start it with --signing-key)");

  testing::Child head = RunHead({"--json"});
  ASSERT_EQ(head.Wait(), 0) << head.err();
  Result<TreeHead> expected = ledger_->log().Head(org_);
  EXPECT_EQ(head.out(), R"({"org":")" + org_.ToString() + R"(","size":4,"root":")" +
                            ToHex(expected->root) + "\"}\n");
  EXPECT_EQ(head.err(),
            "note: unsigned head: this ledgerd does not sign heads (start it with "
            "--signing-key)\n");
}

TEST_F(SignedHeadServer, ProofsOverConnectVerifyAgainstTheServersLog) {
  AppendEvents(20);
  StartServer();
  testing::Child inclusion = RunLedger("prove", {"--seq", "6", "--size", "13"});
  ASSERT_EQ(inclusion.Wait(), 0) << inclusion.err();
  nlohmann::json proof = nlohmann::json::parse(inclusion.out());
  std::vector<Digest> path;
  for (const auto& hex : proof["proof"]) path.push_back(*DigestFromHex(hex.get<std::string>()));
  Digest root = ledger_->log().HeadAt(org_, 13)->root;
  EXPECT_EQ(proof["root"], ToHex(root));
  EXPECT_TRUE(VerifyInclusion(ledger_->log().Get(org_, 6)->leaf_hash, 5, 13, path, root));

  testing::Child consistency = RunLedger("prove", {"--from-size", "5"});
  ASSERT_EQ(consistency.Wait(), 0) << consistency.err();
  proof = nlohmann::json::parse(consistency.out());
  path.clear();
  for (const auto& hex : proof["proof"]) path.push_back(*DigestFromHex(hex.get<std::string>()));
  EXPECT_EQ(proof["to_size"], 21);
  EXPECT_TRUE(VerifyConsistency(5, 21, path, ledger_->log().HeadAt(org_, 5)->root,
                                ledger_->log().Head(org_)->root));
}

// The ledgerd binary with --signing-key on loopback.
TEST(SignedHeadLedgerd, TheBinarySignsHeadsWithTheKeyFile) {
  testing::TempDir dir;
  LogOptions log_options = testing::OptionsIn(dir);
  Uuid org = Uuid::Random();
  TreeHead written;
  {
    std::unique_ptr<EventLog> log = testing::OpenOrDie(log_options);
    std::vector<std::string> events;
    for (int i = 0; i < 12; ++i) events.push_back(testing::TeamEvent(org, std::to_string(i)));
    std::vector<std::string_view> views(events.begin(), events.end());
    ASSERT_TRUE(log->Append(views).ok());
    written = *log->Head(org);
  }
  auto tokens = server::TokenStore::Open(server::TokenStorePath(log_options.path));
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  server::TokenSpec spec;
  spec.org = org;
  Result<std::string> token = (*tokens)->Create(spec);
  ASSERT_TRUE(token.ok());
  SigningKey key = NewKey(dir, "ledgerd.key");

  // A missing key file stops ledgerd before it serves.
  testing::Child refused(
      {LEDGERD_BINARY, "--db", log_options.path, "--master-key", log_options.master_key_path,
       "--listen", "127.0.0.1:0", "--signing-key", dir.Sub("absent.key")},
      dir.Sub("refused.out"), dir.Sub("refused.err"));
  EXPECT_EQ(refused.Wait(), 1);
  EXPECT_EQ(refused.err(), "ledgerd: signing key " + dir.Sub("absent.key") + ": no such file\n");

  std::string port_file = dir.Sub("port");
  testing::Child ledgerd(
      {LEDGERD_BINARY, "--db", log_options.path, "--master-key", log_options.master_key_path,
       "--listen", "127.0.0.1:0", "--port-file", port_file, "--log-level", "warn", "--signing-key",
       dir.Sub("ledgerd.key")},
      dir.Sub("ledgerd.out"), dir.Sub("ledgerd.err"));
  uint16_t port = 0;
  for (int i = 0; i < 400 && port == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_NE(port, 0) << ledgerd.err();

  client::ClientOptions options;
  options.port = port;
  options.token = *token;
  auto client = client::Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Result<client::SignedTreeHeadReply> reply = (*client)->SignedTreeHead(org);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->size, written.size);
  EXPECT_EQ(reply->root, written.root);
  SignedHead head{org, reply->size, reply->root, reply->timestamp, key.public_key, {}};
  ASSERT_EQ(reply->key, std::string(head.key.begin(), head.key.end()));
  ASSERT_EQ(reply->signature.size(), 64u);
  std::copy(reply->signature.begin(), reply->signature.end(), head.signature.begin());
  EXPECT_TRUE(audit::VerifyHeadSignature(head).ok());
  client->reset();
  EXPECT_EQ(ledgerd.Stop(SIGTERM), 0) << ledgerd.err();
}

}  // namespace
}  // namespace ledger
