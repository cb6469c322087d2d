// Personal fields sealed per subject: open after reopen, erased after forget,
// proofs unaffected, and a wrong master key cannot open anything.
#include "ledger/subject_keys.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_util.h"

namespace ledger {
namespace {

using testing::OpenOrDie;
using testing::OptionsIn;
using testing::TempDir;

// An EmployeeHired event whose email is sealed under the employee's key.
std::string HiredEvent(EventLog& log, const Uuid& org, const Uuid& employee,
                       const std::string& email) {
  EventBuilder builder;
  Result<SealedValue> sealed = log.subject_keys().Seal(employee, email);
  EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
  auto sealed_email = sealed->Build(builder.builder());
  auto id = builder.builder().CreateString(employee.ToString());
  auto hired = fb::CreateEmployeeHired(builder.builder(), id, 0, 0, sealed_email);
  EnvelopeFields envelope;
  envelope.org = org;
  return builder.Finish(envelope, hired);
}

Result<std::optional<std::string>> OpenEmail(EventLog& log, const Uuid& org, uint64_t seq) {
  Result<StoredEvent> event = log.Get(org, seq);
  if (!event.ok()) return event.status();
  return log.subject_keys().Open(*event->event()->payload_as_EmployeeHired()->email());
}

class SubjectKeysTest : public ::testing::Test {
 protected:
  void AppendHire(const Uuid& employee, const std::string& email) {
    auto log = OpenOrDie(OptionsIn(dir_));
    std::string event = HiredEvent(*log, org_, employee, email);
    std::string_view view = event;
    ASSERT_TRUE(log->Append(std::span(&view, 1)).ok());
  }

  TempDir dir_;
  Uuid org_ = Uuid::Random();
  Uuid alice_ = Uuid::Random();
  Uuid bob_ = Uuid::Random();
};

TEST_F(SubjectKeysTest, SealedFieldOpensAfterReopenAndStoresNoPlaintext) {
  AppendHire(alice_, "alice@example.com");
  auto log = OpenOrDie(OptionsIn(dir_));
  Result<std::optional<std::string>> email = OpenEmail(*log, org_, 1);
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_EQ(email->value(), "alice@example.com");
  std::string body = log->Get(org_, 1)->body;
  EXPECT_EQ(body.find("alice@example.com"), std::string::npos);
}

TEST_F(SubjectKeysTest, ForgettingErasesOneSubjectAndKeepsProofs) {
  AppendHire(alice_, "alice@example.com");
  AppendHire(bob_, "bob@example.com");
  TreeHead before;
  {
    auto log = OpenOrDie(OptionsIn(dir_));
    before = *log->Head(org_);
    ASSERT_TRUE(log->subject_keys().Forget(alice_).ok());
    EXPECT_TRUE(log->subject_keys().IsForgotten(alice_));
  }
  auto log = OpenOrDie(OptionsIn(dir_));  // the erasure survives a restart
  Result<std::optional<std::string>> alice = OpenEmail(*log, org_, 1);
  ASSERT_TRUE(alice.ok());
  EXPECT_FALSE(alice->has_value());
  EXPECT_EQ(OpenEmail(*log, org_, 2)->value(), "bob@example.com");
  EXPECT_TRUE(log->VerifyOrg(org_).ok());
  EXPECT_EQ(log->Head(org_)->root, before.root);
  EXPECT_EQ(log->subject_keys().Seal(alice_, "again").status().code(), Code::kFailedPrecondition);
}

TEST_F(SubjectKeysTest, KeyOfAnUnappendedSealIsWrittenWithTheNextAppend) {
  Uuid carol = Uuid::Random();
  {
    auto log = OpenOrDie(OptionsIn(dir_));
    std::string event = HiredEvent(*log, org_, carol, "carol@example.com");
    std::string_view view = event;
    ASSERT_TRUE(log->Append(std::span(&view, 1)).ok());
  }
  auto log = OpenOrDie(OptionsIn(dir_));
  EXPECT_EQ(OpenEmail(*log, org_, 1)->value(), "carol@example.com");
}

TEST_F(SubjectKeysTest, AnotherMasterKeyCannotOpenDataKeys) {
  AppendHire(alice_, "alice@example.com");
  {
    std::ofstream other(dir_.Sub("other.key"));
    other << std::string(64, 'a') << "\n";
  }
  LogOptions options = OptionsIn(dir_);
  options.master_key_path = dir_.Sub("other.key");
  auto log = OpenOrDie(options);
  EXPECT_EQ(OpenEmail(*log, org_, 1).status().code(), Code::kCorruption);
}

TEST_F(SubjectKeysTest, MissingOrMalformedMasterKeyIsAClearError) {
  LogOptions options = OptionsIn(dir_);
  options.master_key_path = dir_.Sub("absent.key");
  options.create_master_key = false;
  Result<std::unique_ptr<EventLog>> missing = EventLog::Open(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  {
    std::ofstream bad(dir_.Sub("bad.key"));
    bad << "not hex\n";
  }
  options.master_key_path = dir_.Sub("bad.key");
  EXPECT_EQ(EventLog::Open(options).status().code(), Code::kInvalidArgument);
}

TEST_F(SubjectKeysTest, TamperedCiphertextDoesNotAuthenticate) {
  auto log = OpenOrDie(OptionsIn(dir_));
  Result<SealedValue> sealed = log->subject_keys().Seal(alice_, "secret");
  ASSERT_TRUE(sealed.ok());
  sealed->ciphertext[0] ^= 1;
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(sealed->Build(builder));
  auto* value = flatbuffers::GetRoot<fb::Sealed>(builder.GetBufferPointer());
  EXPECT_EQ(log->subject_keys().Open(*value).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace ledger
