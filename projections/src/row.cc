#include "ledger/projections/row.h"

#include <date/date.h>

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ledger/utf8.h"
#include "ledger/uuid.h"

namespace ledger::projections {

// Room for a usage or entity row's text in one allocation; an event row
// (about 0.8 KB, 17 fields) grows its buffer twice.
Row::Row() {
  cells_.reserve(256);
  ends_.reserve(20);
  numbers_.reserve(20);
}

void Row::EndField(bool null, Source source, int64_t number) {
  if (cells_.size() >= kNullBit) throw std::length_error("a read-model row over 2 GB");
  ends_.push_back(static_cast<uint32_t>(cells_.size()) | (null ? kNullBit : 0));
  numbers_.push_back({source, number});
  cells_.push_back('\0');
}

std::string_view Row::value(size_t i) const {
  size_t begin = Begin(i);
  return std::string_view(cells_).substr(begin, (ends_[i] & ~kNullBit) - begin);
}

void Row::Append(std::string_view ascii, Source source, int64_t number) {
  cells_.append(ascii);
  EndField(false, source, number);
}

void Row::Null() { EndField(true); }

void Row::Text(std::string_view value) {
  AppendValidUtf8(value, &cells_);
  EndField(false);
}

void Row::TextOrNull(std::string_view value) { value.empty() ? Null() : Text(value); }

void Row::Uuid(std::string_view value) {
  if (value.empty() || !ledger::Uuid::Parse(value)) return Null();
  Append(value);  // hex digits and hyphens
}

void Row::Time(int64_t micros) {
  micros == 0 ? Null() : Append(FormatTime(micros), Source::kTime, micros);
}
void Row::Money(int64_t micros) { Append(FormatMoney(micros), Source::kMoney, micros); }
void Row::Int(int64_t value) {
  char text[24];
  auto [end, error] = std::to_chars(text, text + sizeof text, value);
  Append(std::string_view(text, end - text), Source::kInt, value);
}
void Row::Bool(bool value) { Append(value ? "t" : "f", Source::kBool, value); }

void Row::Json(std::string_view value) {
  if (value.empty()) return Null();
  // jsonb refuses the escape \u0000 that JSON itself allows: such a document
  // is kept as a string too.
  if (nlohmann::json::accept(value) && value.find("\\u0000") == std::string_view::npos) {
    return Text(value);
  }
  std::string text;
  AppendValidUtf8(value, &text);
  Text(nlohmann::json(text).dump());
}

void Row::RawJson(std::string_view value) { Append(value); }

namespace {

// The bytes COPY's text format escapes: the delimiter, newlines, backslash.
constexpr std::array<bool, 256> kCopyEscaped = [] {
  std::array<bool, 256> escaped{};
  for (unsigned char c : {'\\', '\t', '\n', '\r'}) escaped[c] = true;
  return escaped;
}();

char CopyEscapeLetter(char c) {
  switch (c) {
    case '\t':
      return 't';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    default:
      return c;  // the backslash escapes itself
  }
}

// Appends the runs between escapes whole: a rebuild formats about 0.8 KB of
// COPY text per event, and one push_back per byte cost a fifth of its
// rendering time.
void AppendCopyEscaped(std::string_view value, std::string* line) {
  size_t run_start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!kCopyEscaped[static_cast<unsigned char>(value[i])]) continue;
    line->append(value.data() + run_start, i - run_start);
    line->push_back('\\');
    line->push_back(CopyEscapeLetter(value[i]));
    run_start = i + 1;
  }
  line->append(value.data() + run_start, value.size() - run_start);
}

// `value` as exactly `width` decimal digits, zero-padded.
char* AppendDigits(char* out, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

void Row::AppendCopyLine(std::string* line) const {
  line->reserve(line->size() + cells_.size());
  for (size_t i = 0; i < size(); ++i) {
    if (i > 0) line->push_back('\t');
    if (is_null(i)) {
      line->append("\\N");
      continue;
    }
    AppendCopyEscaped(value(i), line);
  }
}

std::string FormatTime(int64_t micros) {
  using namespace std::chrono;
  sys_time<microseconds> t{microseconds{micros}};
  auto day = floor<days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<microseconds> hms{t - day};
  int year = static_cast<int>(ymd.year());
  if (year >= 0 && year <= 9999) {
    // By hand: with snprintf this was an eighth of rendering an event row
    // (three times per row) in a profile. Same text as the general case.
    char text[32];
    char* out = AppendDigits(text, year, 4);
    *out++ = '-';
    out = AppendDigits(out, static_cast<unsigned>(ymd.month()), 2);
    *out++ = '-';
    out = AppendDigits(out, static_cast<unsigned>(ymd.day()), 2);
    *out++ = ' ';
    out = AppendDigits(out, hms.hours().count(), 2);
    *out++ = ':';
    out = AppendDigits(out, hms.minutes().count(), 2);
    *out++ = ':';
    out = AppendDigits(out, hms.seconds().count(), 2);
    *out++ = '.';
    out = AppendDigits(out, hms.subseconds().count(), 6);
    *out++ = '+';
    *out++ = '0';
    *out++ = '0';
    return std::string(text, out);
  }
  char text[96];  // roomy: GCC cannot see that the fields are small
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld+00", year,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return text;
}

std::string FormatMoney(int64_t micros) {
  // Via unsigned so that INT64_MIN negates without overflow.
  uint64_t magnitude = micros < 0 ? 0 - static_cast<uint64_t>(micros) : micros;
  char text[32];
  std::snprintf(text, sizeof text, "%s%llu.%06llu", micros < 0 ? "-" : "",
                static_cast<unsigned long long>(magnitude / 1000000),
                static_cast<unsigned long long>(magnitude % 1000000));
  return text;
}

std::string SnakeCase(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace ledger::projections
