// TokenStore (tools/src/tokens) and `ledger token`: tokens are stored hashed,
// authenticate to exactly their scope, fail alike whatever is wrong with
// them, and changes made by another process take effect at the next check.
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "ledger/server/tokens.h"
#include "test_util.h"

namespace ledger::server {
namespace {

using ledger::testing::TempDir;

constexpr char kDenied[] = "token is unknown, expired or revoked";
const Uuid kOrg = *Uuid::Parse("1b4e28ba-2fa1-41d2-883f-0016d3cca427");

std::unique_ptr<TokenStore> OpenStore(const std::string& path) {
  Result<std::unique_ptr<TokenStore>> store = TokenStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TokenSpec OrgSpec(const Uuid& org, std::string note = "") {
  TokenSpec spec;
  spec.org = org;
  spec.note = std::move(note);
  return spec;
}

std::string CreateOrDie(TokenStore& store, const TokenSpec& spec) {
  Result<std::string> token = store.Create(spec);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return token.ok() ? *token : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

void ExpectDenied(const TokenStore& store, const std::string& token, int64_t now = 1) {
  SCOPED_TRACE("token '" + token + "'");
  Result<Principal> principal = store.Authenticate(token, now);
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(principal.status().message(), kDenied);
}

std::string IdOf(const std::string& token) { return token.substr(3, 16); }
std::string SecretOf(const std::string& token) { return token.substr(20); }

TEST(TokenStore, OrgTokenAuthenticatesAsItsOrgOnly) {
  TempDir dir;
  auto store = OpenStore(TokenStorePath(dir.Sub("db")));
  std::string token = CreateOrDie(*store, OrgSpec(kOrg, "billing"));
  EXPECT_TRUE(std::regex_match(token, std::regex("lt_[0-9a-f]{16}_[0-9a-f]{64}"))) << token;
  Result<Principal> principal = store->Authenticate(token, 1);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_FALSE(principal->admin);
  EXPECT_EQ(principal->org, kOrg);
  EXPECT_EQ(principal->token_id, IdOf(token));
}

TEST(TokenStore, AdminTokenAuthenticatesAsAdmin) {
  TempDir dir;
  auto store = OpenStore(TokenStorePath(dir.Sub("db")));
  TokenSpec spec;
  spec.admin = true;
  std::string token = CreateOrDie(*store, spec);
  Result<Principal> principal = store->Authenticate(token, 1);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_TRUE(principal->admin);
  EXPECT_TRUE(principal->org.IsNil());
}

TEST(TokenStore, WrongSecretUnknownIdAndMalformedTextsGetTheSameDenial) {
  TempDir dir;
  auto store = OpenStore(TokenStorePath(dir.Sub("db")));
  std::string token = CreateOrDie(*store, OrgSpec(kOrg));
  std::string id = IdOf(token);
  std::string secret = SecretOf(token);
  std::string other_secret = secret;
  other_secret[63] = other_secret[63] == '0' ? '1' : '0';
  std::string other_id = id;
  other_id[0] = other_id[0] == '0' ? '1' : '0';
  std::string upper = secret;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  ASSERT_NE(upper, secret);  // 64 random hex digits hold a letter
  for (const std::string& bad : {
           "lt_" + id + "_" + other_secret,                // wrong secret
           "lt_" + other_id + "_" + secret,                // unknown id
           std::string(),                                  // empty
           id + "_" + secret,                              // no prefix
           "xx_" + id + "_" + secret,                      // another prefix
           token.substr(0, token.size() - 1),              // one digit short
           token + "0",                                    // one digit long
           token + "\n",                                   // trailing newline
           "lt_" + id + "_" + secret.substr(0, 63) + "g",  // not hex
           "lt_" + id + "_" + upper,                       // uppercase hex
           "lt_" + id + "__" + secret.substr(1),           // an extra underscore
           "lt_" + id.substr(0, 15) + "_" + "_" + secret,  // underscore inside the id
           std::string("lt_") + std::string(16, '_') + "_" + secret,
       }) {
    ExpectDenied(*store, bad);
  }
  EXPECT_TRUE(store->Authenticate(token, 1).ok());
}

TEST(TokenStore, ExpiredTokenIsDeniedFromItsExpiryOn) {
  TempDir dir;
  auto store = OpenStore(TokenStorePath(dir.Sub("db")));
  TokenSpec spec = OrgSpec(kOrg);
  spec.expires_at = 5'000'000;
  std::string token = CreateOrDie(*store, spec);
  EXPECT_TRUE(store->Authenticate(token, 4'999'999).ok());
  ExpectDenied(*store, token, 5'000'000);
  ExpectDenied(*store, token, 9'000'000);
}

TEST(TokenStore, RevokedTokenIsDeniedAndOthersStillWork) {
  TempDir dir;
  auto store = OpenStore(TokenStorePath(dir.Sub("db")));
  std::string revoked = CreateOrDie(*store, OrgSpec(kOrg));
  std::string kept = CreateOrDie(*store, OrgSpec(kOrg));
  ASSERT_TRUE(store->Revoke(IdOf(revoked)).ok());
  ExpectDenied(*store, revoked);
  EXPECT_TRUE(store->Authenticate(kept, 1).ok());
  EXPECT_TRUE(store->Revoke(IdOf(revoked)).ok());  // twice is harmless
  EXPECT_EQ(store->Revoke("0123456789abcdef").code(), Code::kNotFound);
}

TEST(TokenStore, FileHoldsTheHashNeverTheSecretAndIsPrivate) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  auto store = OpenStore(path);
  std::string token = CreateOrDie(*store, OrgSpec(kOrg, "a note"));
  std::string contents = ReadFile(path);
  EXPECT_EQ(contents.find(SecretOf(token)), std::string::npos) << contents;
  EXPECT_NE(contents.find(IdOf(token)), std::string::npos) << contents;
  EXPECT_TRUE(contents.starts_with("# ledger-tokens v1\n")) << contents;
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(TokenStore, NotesWithSpacesNewlinesAndPercentSignsRoundTrip) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  auto store = OpenStore(path);
  const std::vector<std::string> notes = {"", "-", "two words", "line\nbreak %41 100%", "é"};
  for (const std::string& note : notes) CreateOrDie(*store, OrgSpec(kOrg, note));
  Result<std::vector<TokenInfo>> listed = OpenStore(path)->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), notes.size());
  for (size_t i = 0; i < notes.size(); ++i) EXPECT_EQ((*listed)[i].note, notes[i]);
  EXPECT_EQ(store->Create(OrgSpec(kOrg, std::string(257, 'x'))).status().code(),
            Code::kInvalidArgument);
}

TEST(TokenStore, OrgTokenWithoutAnOrgIsRefused) {
  TempDir dir;
  auto store = OpenStore(TokenStorePath(dir.Sub("db")));
  EXPECT_EQ(store->Create(OrgSpec(Uuid())).status().code(), Code::kInvalidArgument);
  Result<std::vector<TokenInfo>> listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST(TokenStore, AnotherInstancesCreateAndRevokeTakeEffectAtTheNextAuthenticate) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  auto server = OpenStore(path);  // as ledgerd holds it
  auto cli = OpenStore(path);     // as `ledger token` in another process
  std::string early = CreateOrDie(*cli, OrgSpec(kOrg));
  EXPECT_TRUE(server->Authenticate(early, 1).ok());
  std::string late = CreateOrDie(*cli, OrgSpec(kOrg));
  EXPECT_TRUE(server->Authenticate(late, 1).ok());
  ASSERT_TRUE(cli->Revoke(IdOf(early)).ok());
  ExpectDenied(*server, early);
  EXPECT_TRUE(server->Authenticate(late, 1).ok());
}

TEST(TokenStore, AFileDamagedLaterKeepsTheLastGoodTokens) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  auto store = OpenStore(path);
  std::string token = CreateOrDie(*store, OrgSpec(kOrg));
  ASSERT_TRUE(store->Authenticate(token, 1).ok());
  WriteFile(path, "# ledger-tokens v1\ngarbage\n");
  EXPECT_TRUE(store->Authenticate(token, 1).ok());
  EXPECT_EQ(store->List().status().code(), Code::kCorruption);
  EXPECT_EQ(store->Create(OrgSpec(kOrg)).status().code(), Code::kCorruption);  // not overwritten
  EXPECT_EQ(ReadFile(path), "# ledger-tokens v1\ngarbage\n");
}

TEST(TokenStore, OpenOfAMalformedFileReportsCorruptionWithTheLine) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  CreateOrDie(*OpenStore(path), OrgSpec(kOrg));
  std::string good = ReadFile(path);
  struct Case {
    std::string contents;
    std::string line;
  };
  std::string record = good.substr(good.find('\n') + 1);
  std::string id = record.substr(0, 16);
  for (const Case& c : std::vector<Case>{
           {"", "line 1:"},
           {"# ledger-tokens v2\n", "line 1:"},
           {good + "not a token line\n", "line 3:"},
           {good + record, "line 3: duplicate token id"},
           {good.substr(0, good.size() - 1), "line 2: truncated"},
           {"# ledger-tokens v1\n" + std::string(record).replace(0, 1, "X"),
            "line 2: bad token id"},
       }) {
    SCOPED_TRACE(c.contents);
    WriteFile(path, c.contents);
    Result<std::unique_ptr<TokenStore>> store = TokenStore::Open(path);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), Code::kCorruption);
    EXPECT_NE(store.status().message().find(path + ": " + c.line), std::string::npos)
        << store.status().message();
  }
}

TEST(TokenStore, CreateMakesTheDirectoryAndAMissingFileHoldsNoTokens) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("not/yet/db"));
  auto store = OpenStore(path);
  Result<std::vector<TokenInfo>> listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  std::string token = CreateOrDie(*store, OrgSpec(kOrg));
  EXPECT_TRUE(store->Authenticate(token, 1).ok());
  EXPECT_EQ(TokenStorePath("a/db"), "a/db/ledger-tokens");
  EXPECT_EQ(TokenStorePath("a/db/"), "a/db/ledger-tokens");
}

TEST(TokenStore, ConcurrentCreatesFromSeveralStoresLoseNone) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = OpenStore(path);  // one store each, as separate processes would
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(CreateOrDie(*store, OrgSpec(kOrg)));
    });
  }
  for (std::thread& thread : threads) thread.join();
  auto store = OpenStore(path);
  Result<std::vector<TokenInfo>> listed = store->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::set<std::string> ids;
  for (const TokenInfo& info : *listed) ids.insert(info.id);
  EXPECT_EQ(ids.size(), size_t{kThreads * kPerThread});
  for (const auto& tokens : made) {
    for (const std::string& token : tokens) {
      EXPECT_TRUE(ids.contains(IdOf(token)));
      EXPECT_TRUE(store->Authenticate(token, 1).ok());
    }
  }
}

TEST(TokenStore, AuthenticateFromManyThreadsWhileTokensChange) {
  TempDir dir;
  std::string path = TokenStorePath(dir.Sub("db"));
  auto server = OpenStore(path);
  auto cli = OpenStore(path);
  std::string steady = CreateOrDie(*cli, OrgSpec(kOrg));
  std::atomic<bool> stop = false;
  std::atomic<int> failures = 0;
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) failures += server->Authenticate(steady, 1).ok() ? 0 : 1;
    });
  }
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(cli->Revoke(IdOf(CreateOrDie(*cli, OrgSpec(kOrg)))).ok());
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failures, 0);
}

// `ledger token` as an operator runs it.
struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CliRun RunCli(const TempDir& dir, const std::string& arguments) {
  std::string err_path = dir.Sub("stderr");
  std::string command =
      std::string("'") + LEDGER_CLI_BINARY + "' token " + arguments + " 2>'" + err_path + "'";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, got);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = ReadFile(err_path);
  return run;
}

TEST(TokenCli, CreateListRevokeAndRefuseBadInput) {
  TempDir dir;
  std::string db = dir.Sub("db");  // never created as a database
  std::string flags = "--db '" + db + "'";
  CliRun created = RunCli(dir, "create " + flags + " --org " + kOrg.ToString() + " --note billing");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_TRUE(std::regex_match(created.out, std::regex("lt_[0-9a-f]{16}_[0-9a-f]{64}\n")))
      << created.out;
  EXPECT_NE(created.err.find("not shown again"), std::string::npos) << created.err;
  std::string token = created.out.substr(0, created.out.size() - 1);
  auto store = OpenStore(TokenStorePath(db));
  Result<Principal> principal = store->Authenticate(token, 1);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_EQ(principal->org, kOrg);

  std::string file = ReadFile(TokenStorePath(db));
  std::string hash = file.substr(file.find(IdOf(token)) + 16 + 1 + 4 + 36 + 1, 64);
  ASSERT_NE(file.find(" " + hash + " "), std::string::npos) << file;
  for (const std::string& list : {"list " + flags, "list --json " + flags}) {
    CliRun listed = RunCli(dir, list);
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_NE(listed.out.find(IdOf(token)), std::string::npos) << listed.out;
    EXPECT_NE(listed.out.find(kOrg.ToString()), std::string::npos) << listed.out;
    EXPECT_NE(listed.out.find("billing"), std::string::npos) << listed.out;
    EXPECT_EQ(listed.out.find(hash), std::string::npos) << listed.out;
    EXPECT_EQ(listed.out.find(SecretOf(token)), std::string::npos) << listed.out;
  }

  CliRun revoked = RunCli(dir, "revoke " + flags + " " + IdOf(token));
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  ExpectDenied(*store, token);

  for (const std::string& bad : {
           "revoke " + flags + " 0123456789abcdef",                       // unknown id
           "create " + flags + " --org not-a-uuid",                       // bad org
           "create " + flags + " --org " + kOrg.ToString() + " --admin",  // both
           "create " + flags,                                             // neither
           "create " + flags + " --admin --expires-in 5",                 // no unit
           "create " + flags + " --admin --expires-in 0d",                // zero
       }) {
    CliRun run = RunCli(dir, bad);
    EXPECT_EQ(run.exit_code, 1) << bad;
    EXPECT_EQ(run.out, "") << bad;
    EXPECT_TRUE(run.err.starts_with("error: ")) << bad << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << bad << ": " << run.err;
  }
  Result<std::vector<TokenInfo>> listed = store->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);  // bad input created nothing
  EXPECT_NE((*listed)[0].revoked_at, 0);
}

}  // namespace
}  // namespace ledger::server
