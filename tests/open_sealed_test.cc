// OpenSealed over real sockets on loopback: an admin opens personal fields
// sealed in stored events (as a projector does), forgotten subjects come back
// erased, and every refusal (org token, a value that does not open, too many
// values) fails that request alone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/client/client.h"
#include "ledger/event_builder.h"
#include "ledger/wire/messages.h"
#include "server_fixture.h"

namespace ledger::testing {
namespace {

using Opened = std::vector<std::optional<std::string>>;

// Small, so the over-limit test sends a handful of values.
constexpr uint32_t kValuesMax = 8;

class OpenSealedTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    server::ServerLimits limits;
    limits.max_commands_per_request = kValuesMax;
    StartServer(limits);
    admin_ = ConnectClient(admin_token_);
    org_client_ = ConnectClient(org_token_);
    ASSERT_TRUE(admin_ && org_client_);
    Accept({OrgEvent(org_), Hired(ada_, "ada@acme.example", "Ada Lovelace"),
            Hired(bob_, "bob@acme.example", "Bob Babbage")});
    LoadSealedValues();
  }
  void TearDown() override {
    admin_.reset();
    org_client_.reset();
    ServerFixture::TearDown();
  }

  std::unique_ptr<client::Client> ConnectClient(const std::string& token) {
    client::ClientOptions options;
    options.port = port();
    options.token = token;
    Result<std::unique_ptr<client::Client>> connected = client::Client::Connect(options);
    EXPECT_TRUE(connected.ok()) << connected.status().ToString();
    return connected.ok() ? std::move(connected).value() : nullptr;
  }

  // EmployeeHired with email and full name sent as seal requests: the server
  // seals them under the employee's data key before storing the event.
  std::string Hired(const Uuid& employee, const std::string& email, const std::string& name) {
    SealRequestKeys requests;
    EventBuilder builder;
    auto sealed_email = requests.Seal(employee, email);
    auto sealed_name = requests.Seal(employee, name);
    EXPECT_TRUE(sealed_email.ok() && sealed_name.ok());
    auto email_offset = sealed_email->Build(builder.builder());
    auto name_offset = sealed_name->Build(builder.builder());
    std::string id = employee.ToString();
    EnvelopeFields envelope;
    envelope.org = org_;
    return builder.Finish(
        envelope, fb::CreateEmployeeHiredDirect(builder.builder(), id.c_str(), nullptr, nullptr,
                                                email_offset, name_offset));
  }

  std::string Forgotten(const Uuid& subject) {
    EventBuilder builder;
    EnvelopeFields envelope;
    envelope.org = org_;
    return builder.Finish(
        envelope, fb::CreateSubjectForgottenDirect(builder.builder(), subject.ToString().c_str(),
                                                   "erasure request"));
  }

  void Accept(const std::vector<std::string>& events) {
    Result<std::vector<CommandResult>> results = org_client_->Append(Commands(events));
    ASSERT_TRUE(results.ok()) << results.status().ToString();
    for (const CommandResult& result : *results) {
      ASSERT_TRUE(result.status.ok()) << result.status.ToString();
    }
  }

  // The sealed fields of the stored EmployeeHired events, read back over the
  // wire exactly as a projector following the feed sees them.
  void LoadSealedValues() {
    Result<std::vector<StoredEvent>> events = admin_->ReadOrg(org_, 1);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    for (const StoredEvent& event : *events) {
      const fb::EmployeeHired* hired = event.event()->payload_as_EmployeeHired();
      if (hired == nullptr) continue;
      Uuid employee = *Uuid::Parse(hired->employee_id()->string_view());
      for (const fb::Sealed* sealed : {hired->email(), hired->full_name()}) {
        Result<SealedValue> value = wire::ToSealedValue(*sealed);
        ASSERT_TRUE(value.ok()) << value.status().ToString();
        (employee == ada_ ? ada_values_ : bob_values_).push_back(std::move(value).value());
      }
    }
    ASSERT_EQ(ada_values_.size(), 2u);  // email, full name
    ASSERT_EQ(bob_values_.size(), 2u);
  }

  // Ada's email, Bob's email, Ada's name, Bob's name: interleaved subjects.
  std::vector<SealedValue> Interleaved() const {
    return {ada_values_[0], bob_values_[0], ada_values_[1], bob_values_[1]};
  }

  Uuid ada_ = Uuid::Random();
  Uuid bob_ = Uuid::Random();
  std::vector<SealedValue> ada_values_, bob_values_;
  std::unique_ptr<client::Client> admin_, org_client_;
};

// An OpenSealed frame with one hand-built Sealed per (subject, nonce, ciphertext).
struct RawSealed {
  std::string subject;
  std::string nonce;
  std::string ciphertext;
};

std::string EncodeRawOpenSealed(uint64_t id, const std::vector<RawSealed>& values) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Sealed>> sealed;
  for (const RawSealed& value : values) {
    auto bytes = [&](const std::string& text) {
      return fbb.CreateVector(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    };
    auto subject = fbb.CreateString(value.subject);
    auto nonce = bytes(value.nonce);
    auto ciphertext = bytes(value.ciphertext);
    sealed.push_back(fb::CreateSealed(fbb, subject, nonce, ciphertext));
  }
  auto body = wire::CreateOpenSealed(fbb, fbb.CreateVector(sealed));
  return wire::FinishFrame(&fbb, id, wire::Body::OpenSealed, body.Union());
}

RawSealed Raw(const SealedValue& value) {
  return {value.subject.ToString(), std::string(value.nonce.begin(), value.nonce.end()),
          value.ciphertext};
}

// The Error of a reply: code and message (copied: the payload dies here).
std::pair<uint16_t, std::string> ErrorOf(const std::optional<std::string>& payload) {
  const wire::Error* error = payload ? AsMessage(*payload).body_as_Error() : nullptr;
  if (error == nullptr) return {0, "not an Error"};
  return {error->code(), error->message() ? error->message()->str() : ""};
}

void ExpectPong(RawConnection& connection, uint64_t id) {
  ASSERT_TRUE(connection.Send(wire::EncodePing(id)));
  std::optional<std::string> pong = connection.Next();
  ASSERT_TRUE(pong) << "the connection did not survive";
  EXPECT_EQ(AsMessage(*pong).body_type(), wire::Body::Pong);
  EXPECT_EQ(AsMessage(*pong).request_id(), id);
}

TEST_F(OpenSealedTest, AdminOpensValuesOfTwoSubjectsInRequestOrder) {
  Result<Opened> opened = admin_->OpenSealed(Interleaved());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened,
            (Opened{"ada@acme.example", "bob@acme.example", "Ada Lovelace", "Bob Babbage"}));
  // The stored events hold ciphertext only.
  for (const SealedValue& value : Interleaved()) {
    EXPECT_EQ(value.ciphertext.find("acme"), std::string::npos);
  }
}

TEST_F(OpenSealedTest, ForgottenSubjectComesBackErasedWhileTheOtherStillOpens) {
  Accept({Forgotten(ada_)});
  Result<Opened> opened = admin_->OpenSealed(Interleaved());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, (Opened{std::nullopt, "bob@acme.example", std::nullopt, "Bob Babbage"}));

  // On the wire: erased set, plaintext empty, for exactly Ada's values.
  auto connection = Connect(admin_token_);
  ASSERT_TRUE(connection->Send(wire::EncodeOpenSealed(5, Interleaved())));
  std::optional<std::string> reply = connection->Next();
  ASSERT_TRUE(reply);
  const wire::OpenedValues* values = AsMessage(*reply).body_as_OpenedValues();
  ASSERT_TRUE(values && values->values());
  ASSERT_EQ(values->values()->size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    const wire::OpenedValue* value = values->values()->Get(i);
    bool ada = i % 2 == 0;
    EXPECT_EQ(value->erased(), ada) << i;
    EXPECT_EQ(value->plaintext() == nullptr || value->plaintext()->size() == 0, ada) << i;
  }
}

TEST_F(OpenSealedTest, OrgTokenIsForbidden) {
  Result<Opened> opened = org_client_->OpenSealed(Interleaved());
  EXPECT_EQ(opened.status().code(), Code::kPermissionDenied);
  EXPECT_NE(opened.status().message().find("admin token"), std::string::npos)
      << opened.status().message();

  auto connection = Connect(org_token_);
  ASSERT_TRUE(connection->Send(wire::EncodeOpenSealed(5, Interleaved())));
  auto [code, message] = ErrorOf(connection->Next());
  EXPECT_EQ(code, static_cast<uint16_t>(wire::WireCode::kForbidden)) << message;
  ExpectPong(*connection, 6);
}

TEST_F(OpenSealedTest, TamperedCiphertextFailsNamingItsIndexAndTheConnectionStaysUsable) {
  std::vector<SealedValue> values = Interleaved();
  values[2].ciphertext[0] ^= 0x01;
  Result<Opened> opened = admin_->OpenSealed(values);
  EXPECT_EQ(opened.status().code(), Code::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("value 2:"), std::string::npos)
      << opened.status().message();
  EXPECT_NE(opened.status().message().find("does not authenticate"), std::string::npos)
      << opened.status().message();
  // The same client, on the same connection, still opens the good values.
  Result<Opened> again = admin_->OpenSealed(Interleaved());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)[2], "Ada Lovelace");

  auto connection = Connect(admin_token_);
  ASSERT_TRUE(connection->Send(wire::EncodeOpenSealed(5, values)));
  auto [code, message] = ErrorOf(connection->Next());
  EXPECT_EQ(code, static_cast<uint16_t>(Code::kInvalidArgument)) << message;
  EXPECT_EQ(message.rfind("value 2:", 0), 0u) << message;
  ExpectPong(*connection, 6);
}

TEST_F(OpenSealedTest, MalformedValuesFailNamingTheirIndex) {
  RawSealed good = Raw(ada_values_[0]);
  RawSealed short_nonce = good;
  short_nonce.nonce.pop_back();
  RawSealed bad_subject = good;
  bad_subject.subject = "not-a-uuid";
  RawSealed unknown_subject = good;  // a subject this ledger holds no key for
  unknown_subject.subject = Uuid::Random().ToString();
  RawSealed seal_request = good;  // never sealed: nonce of zeros, zero tag
  seal_request.nonce = std::string(24, '\0');
  seal_request.ciphertext = "ada@acme.example" + std::string(16, '\0');
  RawSealed other_subject = Raw(bob_values_[0]);  // Bob's key on Ada's value
  other_subject.nonce = good.nonce;
  other_subject.ciphertext = good.ciphertext;

  auto connection = Connect(admin_token_);
  uint64_t id = 10;
  for (const RawSealed& bad :
       {short_nonce, bad_subject, unknown_subject, seal_request, other_subject}) {
    ASSERT_TRUE(connection->Send(EncodeRawOpenSealed(++id, {good, bad})));
    std::optional<std::string> reply = connection->Next();
    ASSERT_TRUE(reply);
    EXPECT_EQ(AsMessage(*reply).request_id(), id);
    auto [code, message] = ErrorOf(reply);
    EXPECT_EQ(code, static_cast<uint16_t>(Code::kInvalidArgument)) << message;
    EXPECT_EQ(message.rfind("value 1:", 0), 0u) << message;
  }
  ExpectPong(*connection, 99);
}

TEST_F(OpenSealedTest, SealedWithoutItsCiphertextIsAnInvalidMessage) {
  flatbuffers::FlatBufferBuilder fbb;
  auto subject = fbb.CreateString(ada_.ToString());
  auto nonce = fbb.CreateVector(ada_values_[0].nonce.data(), ada_values_[0].nonce.size());
  // By hand: SealedBuilder::Finish would assert on the missing required field.
  flatbuffers::uoffset_t start = fbb.StartTable();
  fbb.AddOffset(fb::Sealed::VT_SUBJECT_ID, subject);
  fbb.AddOffset(fb::Sealed::VT_NONCE, nonce);
  flatbuffers::Offset<fb::Sealed> sealed(fbb.EndTable(start));
  auto body = wire::CreateOpenSealed(fbb, fbb.CreateVector(&sealed, 1));
  auto connection = Connect(admin_token_);
  ASSERT_TRUE(connection->Send(wire::FinishFrame(&fbb, 5, wire::Body::OpenSealed, body.Union())));
  std::optional<std::string> reply = connection->Next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(AsMessage(*reply).request_id(), 0u);  // about the connection, which closes
  EXPECT_EQ(ErrorOf(reply).first, static_cast<uint16_t>(wire::WireCode::kInvalidMessage));
  EXPECT_TRUE(connection->WaitClosed());
}

TEST_F(OpenSealedTest, MoreValuesThanTheLimitFail) {
  std::vector<SealedValue> values(kValuesMax, bob_values_[1]);
  Result<Opened> at_limit = admin_->OpenSealed(values);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(*at_limit, Opened(kValuesMax, "Bob Babbage"));

  values.push_back(bob_values_[1]);
  Result<Opened> over = admin_->OpenSealed(values);
  EXPECT_EQ(over.status().code(), Code::kLimitExceeded);
  EXPECT_NE(over.status().message().find("9 sealed values exceed the limit of 8"),
            std::string::npos)
      << over.status().message();
  ASSERT_TRUE(admin_->Ping().ok());
}

TEST_F(OpenSealedTest, EmptyListGetsAnEmptyReply) {
  Result<Opened> opened = admin_->OpenSealed({});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->empty());

  auto connection = Connect(admin_token_);
  ASSERT_TRUE(connection->Send(wire::EncodeOpenSealed(5, {})));
  std::optional<std::string> reply = connection->Next();
  ASSERT_TRUE(reply);
  const wire::OpenedValues* values = AsMessage(*reply).body_as_OpenedValues();
  ASSERT_NE(values, nullptr);
  EXPECT_TRUE(values->values() == nullptr || values->values()->size() == 0);
}

// ---------------------------------------------------------------------------
// The codec alone.

TEST(OpenSealedWire, ValuesRoundTripAndInconsistentRepliesAreRefused) {
  Opened values = {"ada@acme.example", std::nullopt, ""};
  wire::Frame frame{wire::EncodeOpenedValues(3, values).substr(wire::kHeaderBytes)};
  const wire::Message* message = nullptr;
  ASSERT_FALSE(wire::VerifyMessage(frame.payload, &message));
  ASSERT_EQ(message->body_type(), wire::Body::OpenedValues);
  Result<Opened> decoded = wire::ToOpenedValues(*message->body_as_OpenedValues());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, values);
  EXPECT_TRUE(wire::IsClientMessage(wire::Body::OpenSealed));
  EXPECT_TRUE(wire::IsServerMessage(wire::Body::OpenedValues));

  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint8_t> plaintext = {'x'};
  std::vector<flatbuffers::Offset<wire::OpenedValue>> erased_with_text = {
      wire::CreateOpenedValueDirect(fbb, true, &plaintext)};
  fbb.Finish(wire::CreateOpenedValuesDirect(fbb, &erased_with_text));
  auto* bad = flatbuffers::GetRoot<wire::OpenedValues>(fbb.GetBufferPointer());
  EXPECT_EQ(wire::ToOpenedValues(*bad).status().code(), Code::kInvalidArgument);
}

TEST(OpenSealedWire, ToSealedValueRefusesWhatSealedValueCannotHold) {
  Uuid subject = Uuid::Random();
  std::vector<uint8_t> nonce(24, 7), short_nonce(23, 7), ciphertext(20, 9);
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::CreateSealedDirect(fbb, subject.ToString().c_str(), &nonce, &ciphertext));
  Result<SealedValue> value =
      wire::ToSealedValue(*flatbuffers::GetRoot<fb::Sealed>(fbb.GetBufferPointer()));
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(value->subject, subject);
  EXPECT_EQ(value->nonce[0], 7);
  EXPECT_EQ(value->ciphertext, std::string(20, '\x09'));

  fbb.Clear();
  fbb.Finish(fb::CreateSealedDirect(fbb, subject.ToString().c_str(), &short_nonce, &ciphertext));
  EXPECT_EQ(wire::ToSealedValue(*flatbuffers::GetRoot<fb::Sealed>(fbb.GetBufferPointer()))
                .status()
                .code(),
            Code::kInvalidArgument);
  fbb.Clear();
  fbb.Finish(fb::CreateSealedDirect(fbb, "not-a-uuid", &nonce, &ciphertext));
  EXPECT_EQ(wire::ToSealedValue(*flatbuffers::GetRoot<fb::Sealed>(fbb.GetBufferPointer()))
                .status()
                .code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ledger::testing
