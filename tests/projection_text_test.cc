// The text the projector hands PostgreSQL: payload JSON, JSON strings, COPY
// lines and timestamps, each against an independent reference.
#include <flatbuffers/idl.h>
#include <flatbuffers/minireflect.h>
#include <flatbuffers/util.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "ledger/projections/payload_json.h"
#include "ledger/projections/row.h"
#include "projection_fixture.h"

namespace ledger::testing {
namespace {

using projections::AppendJsonString;
using projections::AppendPayloadJson;
using projections::FormatTime;
using projections::Row;
using projections::SealedOpener;

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

// The reference: FlatBuffers' own printer over events.fbs, then each printed
// Sealed {subject_id, nonce, ciphertext} replaced by {subject_id, value}.
class ReferencePrinter {
 public:
  ReferencePrinter() {
    std::string schema;
    EXPECT_TRUE(flatbuffers::LoadFile(LEDGER_SCHEMA_DIR "/events.fbs", false, &schema));
    const char* include_dirs[] = {LEDGER_SCHEMA_DIR, nullptr};
    EXPECT_TRUE(parser_.Parse(schema.c_str(), include_dirs, "events.fbs")) << parser_.error_;
    parser_.opts.strict_json = true;
  }

  nlohmann::json Payload(const fb::Event& event, SealedOpener& opener,
                         std::set<std::string>* subjects) {
    std::string text;
    std::string type = std::string("ledger.fb.") + fb::EnumNamePayload(event.payload_type());
    EXPECT_TRUE(flatbuffers::GenerateTextFromTable(parser_, event.payload(), type, &text));
    nlohmann::json doc = nlohmann::json::parse(text);
    Open(doc, opener, subjects);
    return doc;
  }

 private:
  static std::string Bytes(const nlohmann::json& array) {
    std::string bytes;
    for (const auto& b : array) bytes.push_back(static_cast<char>(b.get<int>()));
    return bytes;
  }

  void Open(nlohmann::json& doc, SealedOpener& opener, std::set<std::string>* subjects) {
    if (doc.is_array()) {
      for (auto& item : doc) Open(item, opener, subjects);
    }
    if (!doc.is_object()) return;
    if (doc.contains("nonce") && doc.contains("ciphertext")) {
      std::string subject = doc["subject_id"];
      std::string nonce = Bytes(doc["nonce"]), ciphertext = Bytes(doc["ciphertext"]);
      std::optional<std::string> plaintext = opener.Open({subject, nonce, ciphertext});
      doc = {{"subject_id", subject}, {"value", plaintext ? nlohmann::json(*plaintext) : nullptr}};
      ++sealed_;
      if (!plaintext) ++erased_;
      if (Uuid::Parse(subject)) subjects->insert(subject);
      return;
    }
    for (auto& [key, value] : doc.items()) Open(value, opener, subjects);
  }

 public:
  flatbuffers::Parser parser_;
  int sealed_ = 0;
  int erased_ = 0;
};

TEST(PayloadJson, EqualsFlatBuffersPrinterOverRandomHistoriesOfTheWholeCatalogue) {
  auto test = OpenTestLedger();
  FillWithRandomHistories(*test->ledger, 91, 3, 600);
  std::vector<StoredEvent> events;
  ASSERT_TRUE(test->log().ReadGlobal(1, UINT64_MAX, &events).ok());
  // Forget the first person hired: their fields must print as erased.
  for (const StoredEvent& stored : events) {
    if (const fb::EmployeeHired* hired = stored.event()->payload_as_EmployeeHired()) {
      std::optional<Uuid> subject = Uuid::Parse(hired->email()->subject_id()->string_view());
      ASSERT_TRUE(subject && test->log().subject_keys().Forget(*subject).ok());
      break;
    }
  }
  auto opener = projections::KeyOpener(test->log().subject_keys());
  ReferencePrinter reference;
  std::set<fb::Payload> types;
  for (const StoredEvent& stored : events) {
    const fb::Event& event = *stored.event();
    types.insert(event.payload_type());
    std::set<std::string> ours_subjects, reference_subjects;
    std::string ours;
    AppendPayloadJson(event, *opener, &ours_subjects, &ours);
    nlohmann::json expected = reference.Payload(event, *opener, &reference_subjects);
    ASSERT_TRUE(nlohmann::json::accept(ours)) << ours;
    ASSERT_EQ(nlohmann::json::parse(ours), expected)
        << fb::EnumNamePayload(event.payload_type()) << "\n ours: " << ours;
    ASSERT_EQ(ours_subjects, reference_subjects);
  }
  // The histories reach most of the catalogue, sealed fields, and erasure.
  EXPECT_GT(types.size(), 60u);
  EXPECT_GT(reference.sealed_, 100);
  EXPECT_GT(reference.erased_, 0);
}

// The printer writes null for a struct or union field: there must be none.
void ExpectPrintable(const flatbuffers::TypeTable* table, std::set<const void*>* seen) {
  if (!seen->insert(table).second) return;
  for (size_t i = 0; i < table->num_elems; ++i) {
    flatbuffers::TypeCode code = table->type_codes[i];
    if (code.base_type != flatbuffers::ET_SEQUENCE) continue;
    const flatbuffers::TypeTable* ref = table->type_refs[code.sequence_ref]();
    EXPECT_EQ(ref->st, flatbuffers::ST_TABLE) << table->names[i] << " is a struct or union";
    if (ref->st == flatbuffers::ST_TABLE) ExpectPrintable(ref, seen);
  }
}

TEST(PayloadJson, EveryPayloadFieldIsPrintable) {
  const flatbuffers::TypeTable* payloads = fb::PayloadTypeTable();
  std::set<const void*> seen;
  for (size_t i = 1; i < payloads->num_elems; ++i) {
    ExpectPrintable(payloads->type_refs[payloads->type_codes[i].sequence_ref](), &seen);
  }
  EXPECT_GT(seen.size(), 90u);  // the payloads and the tables they hold
}

TEST(JsonString, EscapesWhatJsonRequiresAndKeepsUtf8) {
  EXPECT_EQ(JsonString(""), R"("")");
  EXPECT_EQ(JsonString(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(JsonString("tab\tnl\ncr\r\x01\x1f"), R"("tab\u0009nl\u000acr\u000d\u0001\u001f")");
  EXPECT_EQ(JsonString("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(JsonString(std::string("a\0b", 3)), R"("ab")");  // jsonb refuses \u0000
}

TEST(JsonString, ReplacesBytesThatAreNotUtf8) {
  const std::string kReplacement = "\xEF\xBF\xBD";
  struct Case {
    std::string input, expected;
  };
  std::vector<Case> cases = {
      {"\xFF", kReplacement},
      {"a\x80z", "a" + kReplacement + "z"},
      {"\xE2\x82", kReplacement + kReplacement},                     // truncated
      {"\xC0\xAF", kReplacement + kReplacement},                     // overlong '/'
      {"\xE0\x80\xAF", kReplacement + kReplacement + kReplacement},  // overlong
      {"\xED\xA0\x80", kReplacement + kReplacement + kReplacement},  // surrogate
      {"\xF4\x90\x80\x80", kReplacement + kReplacement + kReplacement + kReplacement},
  };
  for (const Case& c : cases) {
    std::string out = JsonString(c.input);
    EXPECT_EQ(out, "\"" + c.expected + "\"") << ::testing::PrintToString(c.input);
    EXPECT_TRUE(nlohmann::json::accept(out));
  }
}

TEST(CopyLine, EscapesTheDelimiterNewlinesAndBackslash) {
  Row row;
  row.Text("a\tb\\c\nd\re");
  row.Null();
  row.Int(-5);
  row.TextOrNull("");
  row.Text(std::string("x\0y", 3));
  row.Money(-1'234'567);
  row.Bool(true);
  std::string line = "kept|";
  row.AppendCopyLine(&line);
  EXPECT_EQ(line, "kept|a\\tb\\\\c\\nd\\re\t\\N\t-5\t\\N\txy\t-1.234567\tt");
}

TEST(CopyLine, LongRunsBetweenEscapesAreKeptWhole) {
  std::string text(5000, 'q');
  text[1000] = '\t';
  text[4999] = '\\';
  Row row;
  row.Text(text);
  std::string line;
  row.AppendCopyLine(&line);
  std::string expected = std::string(1000, 'q') + "\\t" + std::string(3998, 'q') + "\\\\";
  EXPECT_EQ(line, expected);
}

TEST(FormatTime, WritesPostgresTimestamptzText) {
  EXPECT_EQ(FormatTime(0), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(FormatTime(1), "1970-01-01 00:00:00.000001+00");
  EXPECT_EQ(FormatTime(-1), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(FormatTime(1'795'435'200'123'456), "2026-11-23 12:00:00.123456+00");
  EXPECT_EQ(FormatTime(951'782'400'000'000), "2000-02-29 00:00:00.000000+00");
  // Outside 0..9999 the general path: five digits, and negative years.
  EXPECT_EQ(FormatTime(253'402'300'800'000'000), "10000-01-01 00:00:00.000000+00");
  EXPECT_EQ(FormatTime(-62'167'219'200'000'000), "0000-01-01 00:00:00.000000+00");
  EXPECT_EQ(FormatTime(-62'167'219'200'000'001), "-001-12-31 23:59:59.999999+00");
}

}  // namespace
}  // namespace ledger::testing
