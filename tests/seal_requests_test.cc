// Seal requests: a service without data keys sends personal fields as seal
// requests (SealRequestKeys) and the ledger seals them before deciding, so
// only ciphertext is hashed and stored, and the result is indistinguishable
// from fields sealed with the ledger's own keys.
#include "seal_requests.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "ledger/apply.h"
#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"
#include "ledger/wire/messages.h"
#include "record.h"
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

// The verifier lets tables share bytes: in this event (found by command_fuzz)
// a seal request overlaps other fields, and sealing it in place rewrote
// offsets the engine then read through, out of bounds. Sealing must refuse
// it, or leave an event that still verifies and names the same org.
TEST(SealRequestsTest, RequestOverlappingOtherFieldsIsRefusedNotReadThrough) {
  std::ifstream in(std::string(LEDGER_TESTS_DIR) + "/fuzz/command_corpus/regress_seal_overlap.bin",
                   std::ios::binary);
  std::string payload((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const wire::Message* message = nullptr;
  ASSERT_FALSE(wire::VerifyMessage(payload, &message).has_value());
  ASSERT_EQ(message->body_type(), wire::Body::Append);
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  auto ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok());
  int refused = 0;
  for (Command& command : wire::ToCommands(*message->body_as_Append())) {
    Uuid org;
    if (!record::CheckEvent(command.event, &org).ok()) continue;
    if (!HasSealRequests(*fb::GetEvent(command.event.data()))) continue;
    Status sealed = FulfilSealRequests(&command.event, (*ledger)->log().subject_keys());
    if (!sealed.ok()) {
      EXPECT_NE(sealed.message().find("overlap"), std::string::npos) << sealed.ToString();
      ++refused;
      continue;
    }
    Uuid sealed_org;
    EXPECT_TRUE(record::CheckEvent(command.event, &sealed_org).ok());
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace ledger
