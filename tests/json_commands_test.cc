// The JSON-lines command format of `ledger append`: both line forms,
// expected_version, errors with their column, and events the engine accepts.
#include "ledger/client/json_commands.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ledger/ledger.h"
#include "ledger/tools/history_generator.h"
#include "test_util.h"

namespace ledger::client {
namespace {

using testing::TempDir;

constexpr const char* kOrg = "6f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8";

std::unique_ptr<JsonCommandParser> NewParser() {
  Result<std::unique_ptr<JsonCommandParser>> parser = JsonCommandParser::Create();
  EXPECT_TRUE(parser.ok()) << parser.status().ToString();
  return parser.ok() ? std::move(parser).value() : nullptr;
}

std::string OrgCreatedJson(const std::string& slug) {
  return std::string(R"({"envelope": {"org_id": ")") + kOrg +
         R"(", "actor": {"kind": "Service", "id": "import"}}, )"
         R"("payload_type": "OrganizationCreated", )"
         R"("payload": {"name": "Acme", "slug": ")" +
         slug + R"(", "plan": "team", "max_employees": 5}})";
}

std::string TeamJson(const std::string& team_id, const std::string& name) {
  return std::string(R"({"envelope": {"org_id": ")") + kOrg +
         R"("}, "payload_type": "TeamCreated", "payload": {"team_id": ")" + team_id +
         R"(", "name": ")" + name + R"("}})";
}

Command ParseOrDie(JsonCommandParser& parser, const std::string& line) {
  Result<std::optional<Command>> command = parser.ParseLine(line);
  EXPECT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_TRUE(command.ok() && command->has_value());
  return command.ok() && command->has_value() ? **command : Command{};
}

Status ParseError(JsonCommandParser& parser, const std::string& line) {
  Result<std::optional<Command>> command = parser.ParseLine(line);
  EXPECT_FALSE(command.ok()) << line;
  return command.status();
}

TEST(JsonCommands, BareEventBecomesAnEventWithItsFileIdentifier) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  Command command = ParseOrDie(*parser, OrgCreatedJson("acme"));
  EXPECT_FALSE(command.expected_version.has_value());
  ASSERT_GE(command.event.size(), 8u);
  EXPECT_EQ(command.event.substr(4, 4), "LGEV");
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(command.event.data()),
                                 command.event.size());
  ASSERT_TRUE(fb::VerifyEventBuffer(verifier));
  const fb::Event* event = fb::GetEvent(command.event.data());
  EXPECT_EQ(event->envelope()->org_id()->str(), kOrg);
  EXPECT_EQ(event->envelope()->actor()->kind(), fb::ActorKind::Service);
  const fb::OrganizationCreated* created = event->payload_as_OrganizationCreated();
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->slug()->str(), "acme");
  EXPECT_EQ(created->max_employees(), 5u);
}

TEST(JsonCommands, WrappedEventAndExpectedVersion) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  Command command = ParseOrDie(
      *parser, R"({"event": )" + TeamJson("t1", "Platform") + R"(, "expected_version": 3})");
  ASSERT_TRUE(command.expected_version.has_value());
  EXPECT_EQ(*command.expected_version, 3u);
  EXPECT_EQ(fb::GetEvent(command.event.data())->payload_as_TeamCreated()->name()->str(),
            "Platform");

  // Zero is a version (a new org), distinct from "no check".
  std::string bare = TeamJson("t1", "Platform");
  bare.insert(bare.size() - 1, R"(, "expected_version": 0)");
  command = ParseOrDie(*parser, bare);
  ASSERT_TRUE(command.expected_version.has_value());
  EXPECT_EQ(*command.expected_version, 0u);
}

TEST(JsonCommands, EventToJsonRoundTripsTheWholeGeneratedHistory) {
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  tools::HistoryOptions history_options;
  history_options.orgs = 2;
  history_options.employees_per_org = 4;
  auto history = tools::GenerateHistory(history_options, (*ledger)->log().subject_keys());
  ASSERT_TRUE(history.ok());
  auto parser = NewParser();
  ASSERT_TRUE(parser);

  // Every event type the generator makes, sealed personal fields included,
  // survives event -> JSON -> command, and the ledger accepts the result.
  std::vector<Command> commands;
  for (const std::string& event : history->events) {
    Result<std::string> json = parser->EventToJson(event);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    ASSERT_EQ(json->find('\n'), std::string::npos) << "not one line: " << *json;
    Command command = ParseOrDie(*parser, *json);
    Result<std::string> again = parser->EventToJson(command.event);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *json);
    commands.push_back(std::move(command));
  }
  for (const CommandResult& result : (*ledger)->Submit(commands)) {
    EXPECT_TRUE(result.status.ok()) << result.status.ToString();
  }
}

TEST(JsonCommands, BadJsonReportsTheColumnAndFlatBuffersMessage) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  Status status = ParseError(*parser, R"({"envelope": {"org_id": "x"}, "bogus": 1})");
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  // FlatBuffers reports the column where its cursor stopped, just past the
  // offending field.
  EXPECT_EQ(status.message(), "column 40: unknown field: bogus");

  status = ParseError(*parser, R"({"envelope": {"org_id": "x"})");
  EXPECT_NE(status.message().find("column"), std::string::npos) << status.message();

  // Not an object: never handed to the parser, which would read it as schema
  // text (a line "root_type ledger.fb.Envelope;" would change every line after).
  status = ParseError(*parser, "  root_type ledger.fb.Envelope;");
  EXPECT_EQ(status.message(), "column 3: a command is a JSON object: expected '{'");
  EXPECT_TRUE(parser->ParseLine(TeamJson("t", "n")).ok());
}

TEST(JsonCommands, UnknownPayloadTypeIsRejected) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  Status status = ParseError(
      *parser, R"({"envelope": {"org_id": "x"}, "payload_type": "NoSuchEvent", "payload": {}})");
  EXPECT_NE(status.message().find("NoSuchEvent"), std::string::npos) << status.message();
}

TEST(JsonCommands, MissingPiecesAndMixedFormsAreRejected) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  // FlatBuffers enforces the schema's (required) fields.
  Status status = ParseError(*parser, R"({"envelope": {"event_id": "e"}})");
  EXPECT_NE(status.message().find("org_id"), std::string::npos) << status.message();
  status = ParseError(*parser, R"({"envelope": {"org_id": "x"}})");
  EXPECT_NE(status.message().find("no payload"), std::string::npos) << status.message();
  status = ParseError(*parser, R"({"expected_version": 2})");
  EXPECT_NE(status.message().find("no event"), std::string::npos) << status.message();
  status = ParseError(*parser,
                      R"({"event": )" + TeamJson("t", "n") + R"(, "envelope": {"org_id": "x"}})");
  EXPECT_NE(status.message().find("not both"), std::string::npos) << status.message();
}

// The wrapped form once took an event without a payload, which then printed
// as a bare line that did not read back (json_fuzz found it).
TEST(JsonCommands, WrappedEventWithoutPayloadIsRejectedLikeABareOne) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  Status status = ParseError(*parser, R"({"event": {"envelope": {"org_id": "x"}}})");
  EXPECT_NE(status.message().find("no payload"), std::string::npos) << status.message();
}

TEST(JsonCommands, BlankAndCommentLinesAreSkipped) {
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  for (const char* line : {"", "   ", "\t\r", "# a comment", "   # indented {\"not\": json"}) {
    Result<std::optional<Command>> command = parser->ParseLine(line);
    ASSERT_TRUE(command.ok()) << line;
    EXPECT_FALSE(command->has_value()) << line;
  }
}

TEST(JsonCommands, LedgerAcceptsJsonCommandsAndChecksTheirVersion) {
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  auto parser = NewParser();
  ASSERT_TRUE(parser);

  std::string created = OrgCreatedJson("acme-json");
  created.insert(created.size() - 1, R"(, "expected_version": 0)");
  std::string team = R"({"event": )" + TeamJson("7d9e4f10-0000-4000-8000-000000000001", "Core") +
                     R"(, "expected_version": 1})";
  std::string stale = R"({"event": )" + TeamJson("7d9e4f10-0000-4000-8000-000000000002", "Ops") +
                      R"(, "expected_version": 1})";
  std::vector<Command> commands = {ParseOrDie(*parser, created), ParseOrDie(*parser, team),
                                   ParseOrDie(*parser, stale)};
  std::vector<CommandResult> results = (*ledger)->Submit(commands);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_TRUE(results[1].status.ok()) << results[1].status.ToString();
  EXPECT_EQ(results[2].rule, Rule::kVersionConflict) << results[2].status.ToString();
  EXPECT_EQ((*ledger)->log().LastGlobalSeq(), 2u);
}

TEST(JsonCommands, RequiredSealedFieldCannotBeLeftOut) {
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok());
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  std::string hired = std::string(R"({"envelope": {"org_id": ")") + kOrg +
                      R"("}, "payload_type": "EmployeeHired", "payload": {"employee_id": )"
                      R"("7d9e4f10-0000-4000-8000-00000000000a"}})";
  std::vector<Command> commands = {ParseOrDie(*parser, OrgCreatedJson("acme-sealed")),
                                   ParseOrDie(*parser, hired)};
  std::vector<CommandResult> results = (*ledger)->Submit(commands);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[1].rule, Rule::kMalformed) << results[1].status.ToString();
}

// A seal request (PROTOCOL.md, "Personal fields") in JSON: nonce 24 zero
// bytes, ciphertext the plaintext's bytes then 16 zero bytes.
std::string SealRequestJson(const std::string& subject, const std::string& plaintext) {
  std::string bytes;
  for (unsigned char c : plaintext) bytes += std::to_string(c) + ",";
  bytes += "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0";
  std::string zeros = "0";
  for (int i = 1; i < 24; ++i) zeros += ",0";
  return R"({"subject_id": ")" + subject + R"(", "nonce": [)" + zeros + R"(], "ciphertext": [)" +
         bytes + "]}";
}

TEST(JsonCommands, PersonalFieldsAsSealRequestsAreSealedByTheLedger) {
  TempDir dir;
  LedgerOptions options;
  options.log = testing::OptionsIn(dir);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  ASSERT_TRUE(ledger.ok());
  auto parser = NewParser();
  ASSERT_TRUE(parser);
  const std::string employee = "7d9e4f10-0000-4000-8000-00000000000b";
  std::string hired = std::string(R"({"envelope": {"org_id": ")") + kOrg +
                      R"("}, "payload_type": "EmployeeHired", "payload": {"employee_id": ")" +
                      employee + R"(", "email": )" + SealRequestJson(employee, "ada@example.com") +
                      "}}";
  std::vector<Command> commands = {ParseOrDie(*parser, OrgCreatedJson("acme-seal")),
                                   ParseOrDie(*parser, hired)};
  std::vector<CommandResult> results = (*ledger)->Submit(commands);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[1].status.ok()) << results[1].status.ToString();

  Result<StoredEvent> stored = (*ledger)->log().Get(*Uuid::Parse(kOrg), 2);
  ASSERT_TRUE(stored.ok());
  const fb::Sealed* email = stored->event()->payload_as_EmployeeHired()->email();
  // Stored sealed: a random nonce, and the plaintext nowhere in the bytes.
  EXPECT_TRUE(std::any_of(email->nonce()->begin(), email->nonce()->end(),
                          [](uint8_t byte) { return byte != 0; }));
  EXPECT_EQ(stored->body.find("ada@example.com"), std::string::npos);
  auto opened = (*ledger)->log().subject_keys().Open(*email);
  ASSERT_TRUE(opened.ok() && opened->has_value());
  EXPECT_EQ(**opened, "ada@example.com");
}

}  // namespace
}  // namespace ledger::client
