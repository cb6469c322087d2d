// One read-model row as COPY text fields, and the conversions from the
// ledger's values (micro-dollars, microsecond times, JSON text, sealed
// personal fields) to PostgreSQL's text input forms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ledger::projections {

class Row {
 public:
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
  void RawJson(std::string value);

  size_t size() const { return values_.size(); }
  bool is_null(size_t i) const { return nulls_[i]; }
  const std::string& value(size_t i) const { return values_[i]; }
  // The row as one line of COPY's text format (no newline): fields
  // tab-separated, \N for NULL, backslash escapes.
  void AppendCopyLine(std::string* line) const;

 private:
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
};

// "2026-11-23 10:00:00.123456+00"
std::string FormatTime(int64_t micros);
// "-12.345678"
std::string FormatMoney(int64_t micros);
// "LlmInputTokens" -> "llm_input_tokens": enum names as the read model's words.
std::string SnakeCase(std::string_view name);

}  // namespace ledger::projections
