#include "ledger/projections/row.h"

#include <date/date.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ledger/uuid.h"

namespace ledger::projections {

void Row::Null() {
  values_.emplace_back();
  nulls_.push_back(true);
}

void Row::Text(std::string_view value) {
  std::string& out = values_.emplace_back(value);
  nulls_.push_back(false);
  if (out.find('\0') != std::string::npos) std::erase(out, '\0');
}

void Row::TextOrNull(std::string_view value) { value.empty() ? Null() : Text(value); }

void Row::Uuid(std::string_view value) {
  if (value.empty() || !ledger::Uuid::Parse(value)) return Null();
  Text(value);
}

void Row::Time(int64_t micros) { micros == 0 ? Null() : Text(FormatTime(micros)); }
void Row::Money(int64_t micros) { Text(FormatMoney(micros)); }
void Row::Int(int64_t value) { Text(std::to_string(value)); }
void Row::Bool(bool value) { Text(value ? "t" : "f"); }

void Row::Json(std::string_view value) {
  if (value.empty()) return Null();
  if (nlohmann::json::accept(value)) return Text(value);
  Text(nlohmann::json(std::string(value))
           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Row::RawJson(std::string value) {
  values_.push_back(std::move(value));
  nulls_.push_back(false);
}

void Row::AppendCopyLine(std::string* line) const {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (i > 0) line->push_back('\t');
    if (nulls_[i]) {
      line->append("\\N");
      continue;
    }
    for (char c : values_[i]) {
      switch (c) {
        case '\\':
          line->append("\\\\");
          break;
        case '\t':
          line->append("\\t");
          break;
        case '\n':
          line->append("\\n");
          break;
        case '\r':
          line->append("\\r");
          break;
        default:
          line->push_back(c);
      }
    }
  }
}

std::string FormatTime(int64_t micros) {
  using namespace std::chrono;
  sys_time<microseconds> t{microseconds{micros}};
  auto day = floor<days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<microseconds> hms{t - day};
  char text[96];  // roomy: GCC cannot see that the fields are small
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(hms.hours().count()),
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
