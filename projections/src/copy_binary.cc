// Rows in COPY's binary format (PostgreSQL's "COPY ... (FORMAT binary)":
// big-endian fields, each in its type's send/recv form).
#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

#include "ledger/projections/row.h"
#include "ledger/uuid.h"

namespace ledger::projections {

namespace {

// pg_type OIDs (src/include/catalog/pg_type.dat); they are fixed.
constexpr uint32_t kUuidOid = 2950;
constexpr std::pair<uint32_t, PgType> kTypeOfOid[] = {
    {16, PgType::kBool},       {20, PgType::kInt8},          {23, PgType::kInt4},
    {25, PgType::kText},       {1184, PgType::kTimestamptz}, {1700, PgType::kNumeric},
    {kUuidOid, PgType::kUuid}, {2951, PgType::kUuidArray},   {3802, PgType::kJsonb},
};

// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
constexpr int64_t kPostgresEpochMicros = 946'684'800'000'000;
constexpr uint8_t kJsonbVersion = 1;
constexpr uint16_t kNumericNegative = 0x4000;

template <typename T>
void Put(T value, std::string* out) {
  auto bits = static_cast<std::make_unsigned_t<T>>(value);
  for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

void PutUuid(std::string_view text, std::string* out) {
  std::optional<Uuid> id = Uuid::Parse(text);
  if (!id) throw std::logic_error("binary COPY: \"" + std::string(text) + "\" is no UUID");
  out->append(id->AsBytes());
}

// NUMERIC's binary form: base-10000 digits, most significant first, with the
// first digit's weight (power of 10000), a sign and the display scale.
// `value` is an integer scaled by 10^scale, scale 0 or 6.
void PutNumeric(int64_t value, int scale, std::string* out) {
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : value;
  uint64_t integer = scale == 6 ? magnitude / 1'000'000 : magnitude;
  std::array<uint16_t, 8> digits;
  int count = 0;
  std::array<uint16_t, 5> low_first;  // 2^64 < 10000^5
  int integer_digits = 0;
  for (uint64_t rest = integer; rest != 0; rest /= 10000)
    low_first[integer_digits++] = rest % 10000;
  for (int i = integer_digits - 1; i >= 0; --i) digits[count++] = low_first[i];
  if (scale == 6) {
    auto fraction = static_cast<uint32_t>(magnitude % 1'000'000);
    digits[count++] = static_cast<uint16_t>(fraction / 100);
    digits[count++] = static_cast<uint16_t>(fraction % 100 * 100);
  }
  // PostgreSQL drops leading and trailing zero digits itself (make_result).
  Put<int16_t>(static_cast<int16_t>(count), out);
  Put<int16_t>(static_cast<int16_t>(integer_digits - 1), out);
  Put<uint16_t>(value < 0 ? kNumericNegative : 0, out);
  Put<int16_t>(static_cast<int16_t>(scale), out);
  for (int i = 0; i < count; ++i) Put<int16_t>(static_cast<int16_t>(digits[i]), out);
}

// A one-dimensional uuid[] from its text form "{id,id,...}" (EventRow's).
void PutUuidArray(std::string_view text, std::string* out) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    throw std::logic_error("binary COPY: \"" + std::string(text) + "\" is no uuid[]");
  }
  std::string_view items = text.substr(1, text.size() - 2);
  std::string elements;
  int32_t count = 0;
  while (!items.empty()) {
    size_t comma = items.find(',');
    Put<int32_t>(16, &elements);
    PutUuid(items.substr(0, comma), &elements);
    ++count;
    items = comma == std::string_view::npos ? std::string_view() : items.substr(comma + 1);
  }
  Put<int32_t>(count == 0 ? 0 : 1, out);  // dimensions
  Put<int32_t>(0, out);                   // no NULL elements
  Put<uint32_t>(kUuidOid, out);
  if (count != 0) {
    Put<int32_t>(count, out);
    Put<int32_t>(1, out);  // lower bound
  }
  out->append(elements);
}

}  // namespace

std::optional<PgType> PgTypeOf(uint32_t oid) {
  for (const auto& [known, type] : kTypeOfOid) {
    if (known == oid) return type;
  }
  return std::nullopt;
}

void AppendCopyBinaryHeader(std::string* out) {
  out->append("PGCOPY\n\xff\r\n\0", 11);
  Put<int32_t>(0, out);  // flags: no OIDs
  Put<int32_t>(0, out);  // no header extension
}

void AppendCopyBinaryTrailer(std::string* out) { Put<int16_t>(-1, out); }

void Row::AppendCopyTuple(std::span<const PgType> types, std::string* out) const {
  size_t start = out->size();
  try {
    AppendCopyFields(types, out);
  } catch (...) {
    out->resize(start);  // no partial tuple left behind
    throw;
  }
}

void Row::AppendCopyFields(std::span<const PgType> types, std::string* out) const {
  if (types.size() != size()) {
    throw std::logic_error("binary COPY: a row of " + std::to_string(size()) + " fields for " +
                           std::to_string(types.size()) + " columns");
  }
  Put<int16_t>(static_cast<int16_t>(size()), out);
  for (size_t i = 0; i < size(); ++i) {
    if (is_null(i)) {
      Put<int32_t>(-1, out);
      continue;
    }
    std::string_view text = value(i);
    const Number& number = numbers_[i];
    auto wrong = [&](const char* type) {
      return std::logic_error("binary COPY: field " + std::to_string(i) + " (\"" +
                              std::string(text) + "\") cannot be a " + type);
    };
    // The field's length is written first and filled in once it is known.
    size_t length_at = out->size();
    Put<int32_t>(0, out);
    switch (types[i]) {
      case PgType::kBool:
        if (number.source != Source::kBool) throw wrong("boolean");
        out->push_back(number.value != 0 ? 1 : 0);
        break;
      case PgType::kInt4:
        if (number.source != Source::kInt || number.value != static_cast<int32_t>(number.value)) {
          throw wrong("integer");
        }
        Put<int32_t>(static_cast<int32_t>(number.value), out);
        break;
      case PgType::kInt8:
        if (number.source != Source::kInt) throw wrong("bigint");
        Put<int64_t>(number.value, out);
        break;
      case PgType::kNumeric:
        if (number.source != Source::kMoney && number.source != Source::kInt) {
          throw wrong("numeric");
        }
        PutNumeric(number.value, number.source == Source::kMoney ? 6 : 0, out);
        break;
      case PgType::kText:
        out->append(text);
        break;
      case PgType::kJsonb:
        out->push_back(static_cast<char>(kJsonbVersion));
        out->append(text);
        break;
      case PgType::kTimestamptz: {
        if (number.source != Source::kTime) throw wrong("timestamptz");
        int64_t since_2000;
        // INT64_MIN would be -infinity to PostgreSQL, which refuses its text.
        if (__builtin_sub_overflow(number.value, kPostgresEpochMicros, &since_2000) ||
            since_2000 == std::numeric_limits<int64_t>::min()) {
          throw std::out_of_range("binary COPY: time " + std::string(text) + " out of range");
        }
        Put<int64_t>(since_2000, out);
        break;
      }
      case PgType::kUuid:
        PutUuid(text, out);
        break;
      case PgType::kUuidArray:
        PutUuidArray(text, out);
        break;
    }
    auto length = static_cast<uint32_t>(out->size() - length_at - 4);
    for (int byte = 0; byte < 4; ++byte) {
      (*out)[length_at + byte] = static_cast<char>(length >> (24 - 8 * byte));
    }
  }
}

}  // namespace ledger::projections
