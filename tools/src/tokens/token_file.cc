// The token store file: text, one token per line, written whole and renamed
// into place (token_file_io.cc), so a reader sees the old file or the new one.
//
//   file    = header LF { record LF }
//   header  = "# ledger-tokens v1"
//   record  = id SP scope SP hash SP created SP expires SP revoked SP note
//   id      = 16 lowercase hex digits             (token_text.h)
//   scope   = "admin" | "org:" uuid               (canonical lowercase UUID)
//   hash    = 64 lowercase hex digits: SHA-256 of the secret's 32 raw bytes
//   created = micros                              when the token was made
//   expires = micros                              0: never
//   revoked = micros                              0: not revoked
//   micros  = decimal digits: microseconds since the Unix epoch (int64)
//   note    = "-"                                 an empty note
//           | 1*( %x21-24 / %x26-7E / "%" 2HEXUPPER )
//             every byte outside 0x21..0x7e, and "%" itself, is written as
//             "%" and two uppercase hex digits; a note that is exactly "-" is
//             written "%2D"
//
// The secret itself is never written. Readers reject a missing header, a
// record without its final LF, a field out of its domain, a duplicate id and
// more than kTokenCountMax records, naming the line.
#include "token_file.h"

#include <charconv>
#include <unordered_set>

namespace ledger::server {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

bool IsPlain(unsigned char c) { return c > 0x20 && c < 0x7f && c != '%'; }

std::string EscapeNote(std::string_view note) {
  if (note.empty()) return "-";
  if (note == "-") return "%2D";
  std::string out;
  for (unsigned char c : note) {
    if (IsPlain(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kUpperHex[c >> 4];
      out += kUpperHex[c & 0xf];
    }
  }
  return out;
}

int UpperHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool UnescapeNote(std::string_view text, std::string* note) {
  note->clear();
  if (text == "-") return true;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      if (!IsPlain(static_cast<unsigned char>(text[i]))) return false;
      *note += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;  // "%" needs two digits after it
    int high = UpperHexValue(text[i + 1]);
    int low = UpperHexValue(text[i + 2]);
    if (high < 0 || low < 0) return false;
    *note += static_cast<char>(high << 4 | low);
    i += 2;
  }
  return !note->empty() && note->size() <= kTokenNoteBytesMax;
}

bool ParseMicros(std::string_view text, int64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

std::string FormatScope(const TokenInfo& info) {
  return info.admin ? std::string("admin") : "org:" + info.org.ToString();
}

bool ParseScope(std::string_view text, TokenInfo* info) {
  if (text == "admin") {
    info->admin = true;
    return true;
  }
  if (!text.starts_with("org:")) return false;
  std::optional<Uuid> org = Uuid::Parse(text.substr(4));
  if (!org || org->IsNil() || org->ToString() != text.substr(4)) return false;
  info->org = *org;
  return true;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t space = line.find(' ', start);
    fields.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos) return fields;
    start = space + 1;
  }
}

// Why `line` is not a record, or "" when it is one (then *record holds it).
std::string ParseRecord(std::string_view line, TokenRecord* record) {
  std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() != 7) return "expected 7 fields separated by single spaces";
  TokenInfo& info = record->info;
  if (!IsLowerHex(fields[0], kTokenIdHexLength)) return "bad token id";
  info.id = std::string(fields[0]);
  if (!ParseScope(fields[1], &info)) return "bad scope (want admin or org:<uuid>)";
  if (!IsLowerHex(fields[2], 2 * record->hash.size())) return "bad hash";
  DecodeLowerHex(fields[2], record->hash.data(), record->hash.size());
  if (!ParseMicros(fields[3], &info.created_at)) return "bad created time";
  if (!ParseMicros(fields[4], &info.expires_at)) return "bad expiry time";
  if (!ParseMicros(fields[5], &info.revoked_at)) return "bad revocation time";
  if (!UnescapeNote(fields[6], &info.note)) return "bad note";
  return "";
}

Status LineError(size_t number, const std::string& why) {
  return Status::Corruption("line " + std::to_string(number) + ": " + why);
}

}  // namespace

std::string FormatTokenFile(const std::vector<TokenRecord>& records) {
  std::string out(kTokenFileHeader);
  out += '\n';
  for (const TokenRecord& record : records) {
    const TokenInfo& info = record.info;
    out += info.id + ' ' + FormatScope(info) + ' ' +
           LowerHex(record.hash.data(), record.hash.size()) + ' ' +
           std::to_string(info.created_at) + ' ' + std::to_string(info.expires_at) + ' ' +
           std::to_string(info.revoked_at) + ' ' + EscapeNote(info.note) + '\n';
  }
  return out;
}

Result<std::vector<TokenRecord>> ParseTokenFile(std::string_view contents) {
  std::vector<TokenRecord> records;
  std::unordered_set<std::string> ids;
  size_t number = 0;
  while (!contents.empty()) {
    ++number;
    size_t end = contents.find('\n');
    if (end == std::string_view::npos) return LineError(number, "truncated (no final newline)");
    std::string_view line = contents.substr(0, end);
    contents.remove_prefix(end + 1);
    if (number == 1) {
      if (line != kTokenFileHeader) return LineError(1, "not a '# ledger-tokens v1' header");
      continue;
    }
    TokenRecord record;
    if (std::string why = ParseRecord(line, &record); !why.empty()) return LineError(number, why);
    if (!ids.insert(record.info.id).second) return LineError(number, "duplicate token id");
    if (records.size() == kTokenCountMax) return LineError(number, "too many tokens");
    records.push_back(std::move(record));
  }
  if (number == 0) return LineError(1, "empty file (no header)");
  return records;
}

Status CheckTokenRecord(const TokenRecord& record) {
  const TokenInfo& info = record.info;
  if (!IsLowerHex(info.id, kTokenIdHexLength)) return Status::InvalidArgument("bad token id");
  if (!info.admin && info.org.IsNil()) {
    return Status::InvalidArgument("an org token needs an org (or make an admin token)");
  }
  if (info.created_at < 0 || info.expires_at < 0 || info.revoked_at < 0) {
    return Status::InvalidArgument("token times must not be negative");
  }
  if (info.note.size() > kTokenNoteBytesMax) {
    return Status::InvalidArgument("note is longer than " + std::to_string(kTokenNoteBytesMax) +
                                   " bytes");
  }
  return Status::Ok();
}

}  // namespace ledger::server
