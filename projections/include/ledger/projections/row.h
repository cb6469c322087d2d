// One read-model row as COPY text fields, and the conversions from the
// ledger's values (micro-dollars, microsecond times, JSON text, sealed
// personal fields) to PostgreSQL's text input forms.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledger::projections {

// The column types a COPY can receive in PostgreSQL's binary format (every
// type of projections/sql/); a table with any other type is sent as text.
enum class PgType : uint8_t {
  kBool,
  kInt4,
  kInt8,
  kNumeric,
  kText,
  kJsonb,
  kTimestamptz,
  kUuid,
  kUuidArray,
};
// By the type's OID (pg_type); nullopt for the others.
std::optional<PgType> PgTypeOf(uint32_t oid);

// The 19-byte header and the 2-byte trailer of COPY's binary format.
void AppendCopyBinaryHeader(std::string* out);
void AppendCopyBinaryTrailer(std::string* out);

class Row {
 public:
  Row();
  void Null();
  // NUL bytes dropped and invalid UTF-8 as U+FFFD: PostgreSQL refuses both.
  void Text(std::string_view value);
  void TextOrNull(std::string_view value);  // "" -> NULL
  void Uuid(std::string_view value);        // "" or not a UUID -> NULL
  void Time(int64_t micros);                // 0 -> NULL
  void Money(int64_t micros);               // exact NUMERIC text: 12.345678
  void Int(int64_t value);
  void Bool(bool value);
  // JSON text from an event; "" -> NULL. Text that is not valid JSON (or
  // that jsonb refuses: \u0000) is kept as a JSON string, so one bad
  // document cannot stop the projector.
  void Json(std::string_view value);
  // An already valid JSON document (the projector's own output).
  void RawJson(std::string_view value);

  size_t size() const { return ends_.size(); }
  bool is_null(size_t i) const { return (ends_[i] & kNullBit) != 0; }
  std::string_view value(size_t i) const;
  // The same text, NUL-terminated (libpq's parameters).
  const char* c_str(size_t i) const { return cells_.data() + Begin(i); }
  // The row as one line of COPY's text format (no newline): fields
  // tab-separated, \N for NULL, backslash escapes.
  void AppendCopyLine(std::string* line) const;
  // The row as one tuple of COPY's binary format, each field converted to
  // its column's type: PostgreSQL then parses no uuid, time, number or
  // escape (a rebuild's COPY of events took about half the time). Throws
  // std::logic_error, appending nothing, when a field cannot be its column's
  // type: text that is no UUID for a uuid, or a field not made by Time for a
  // timestamptz, by Int for an integer, by Money or Int for a numeric, by
  // Bool for a boolean (the text format would take "t" from Text).
  void AppendCopyTuple(std::span<const PgType> types, std::string* out) const;

 private:
  // What each field was made from: binary COPY sends the number itself.
  enum class Source : uint8_t { kText, kInt, kTime, kMoney, kBool };
  struct Number {
    Source source;
    int64_t value;
  };

  static constexpr uint32_t kNullBit = 1u << 31;
  size_t Begin(size_t i) const { return i == 0 ? 0 : (ends_[i - 1] & ~kNullBit) + 1; }
  void AppendCopyFields(std::span<const PgType> types, std::string* out) const;
  // Our own formatted text: no check.
  void Append(std::string_view ascii, Source source = Source::kText, int64_t number = 0);
  void EndField(bool null, Source source = Source::kText, int64_t number = 0);

  // Every field's text in one buffer, each followed by a NUL (a rebuild
  // renders about 2 rows per event; a string per field cost a sixth of its
  // own CPU in malloc and free). Text fields hold no NUL: Text drops them.
  std::string cells_;
  std::vector<uint32_t> ends_;   // end of each field in cells_, kNullBit for NULL
  std::vector<Number> numbers_;  // one per field
};

// "2026-11-23 10:00:00.123456+00"
std::string FormatTime(int64_t micros);
// "-12.345678"
std::string FormatMoney(int64_t micros);
// "LlmInputTokens" -> "llm_input_tokens": enum names as the read model's words.
std::string SnakeCase(std::string_view name);

}  // namespace ledger::projections
