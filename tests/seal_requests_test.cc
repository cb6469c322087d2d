// Seal requests: a service without data keys sends personal fields as seal
// requests (SealRequestKeys) and the ledger seals them before deciding, so
// only ciphertext is hashed and stored, and the result is indistinguishable
// from fields sealed with the ledger's own keys.
#include <gtest/gtest.h>

#include "ledger/apply.h"
#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"
#include "test_util.h"

namespace ledger {
namespace {

using testing::TempDir;

TEST(SealRequestsTest, LedgerSealsRequestedFieldsBeforeStoringThem) {
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  auto ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok());
  SealRequestKeys requests;
  tools::HistoryOptions history_options;
  history_options.orgs = 2;
  history_options.employees_per_org = 4;
  auto history = tools::GenerateHistory(history_options, requests);
  ASSERT_TRUE(history.ok());
  // The requests carry plaintext: the generator's emails end in ".example".
  bool plaintext_sent = false;
  for (const std::string& event : history->events) {
    plaintext_sent |= event.find(".example") != std::string::npos;
  }
  ASSERT_TRUE(plaintext_sent);

  std::vector<Command> commands;
  for (const std::string& event : history->events) commands.push_back({event, std::nullopt});
  for (const CommandResult& result : (*ledger)->Submit(commands)) {
    ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  }
  EventLog& log = (*ledger)->log();
  size_t employees = 0;
  for (const Uuid& org : history->orgs) {
    std::vector<StoredEvent> stored;
    ASSERT_TRUE(log.ReadOrg(org, 1, 100000, &stored).ok());
    for (const StoredEvent& event : stored) {
      EXPECT_EQ(event.body.find(".example"), std::string::npos) << "plaintext stored";
    }
    Result<State> state = (*ledger)->CurrentState(org);
    ASSERT_TRUE(state.ok());
    for (const auto& [id, employee] : state->employees) {
      ASSERT_TRUE(employee.email);
      fb::SealedT sealed = *employee.email;
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(fb::Sealed::Pack(fbb, &sealed));
      Result<std::optional<std::string>> email =
          log.subject_keys().Open(*flatbuffers::GetRoot<fb::Sealed>(fbb.GetBufferPointer()));
      ASSERT_TRUE(email.ok() && email->has_value()) << email.status().ToString();
      EXPECT_NE((*email)->find(".example"), std::string::npos);
      ++employees;
    }
    // Replay agrees with the write model: the stored bytes are what was decided.
    State replayed;
    replayed.org = org;
    ASSERT_TRUE(ReplayInto(log, log.Head(org)->size, &replayed).ok());
    EXPECT_EQ(PackState(replayed), PackState(*state));
    EXPECT_TRUE(log.VerifyOrg(org).ok());
  }
  EXPECT_EQ(employees, 8u);
}

TEST(SealRequestsTest, ClientKeysCannotOpenOrForget) {
  SealRequestKeys keys;
  Uuid subject = Uuid::Random();
  Result<SealedValue> request = keys.Seal(subject, "ada@example.com");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->ciphertext.size(), std::string("ada@example.com").size() + 16);
  EXPECT_EQ(request->nonce, (std::array<uint8_t, 24>{}));
  EXPECT_FALSE(keys.Forget(subject).ok());
  EXPECT_FALSE(keys.IsForgotten(subject));
}

}  // namespace
}  // namespace ledger
