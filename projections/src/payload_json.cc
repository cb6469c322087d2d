#include "ledger/projections/payload_json.h"

#include <flatbuffers/minireflect.h>

#include <charconv>

#include "ledger/payload_table.h"
#include "ledger/utf8.h"
#include "ledger/uuid.h"

namespace ledger::projections {
namespace {

using flatbuffers::ElementaryType;
using flatbuffers::TypeTable;

template <typename T>
void AppendNumber(T value, std::string* out) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, end);
}

class Printer {
 public:
  Printer(SealedOpener& opener, std::set<std::string>* subjects, std::string* out)
      : opener_(opener), subjects_(subjects), out_(*out) {}

  void Table(const flatbuffers::Table* table, const TypeTable* type) {
    if (type == fb::SealedTypeTable()) {
      Sealed(*reinterpret_cast<const fb::Sealed*>(table));
      return;
    }
    out_ += '{';
    bool first = true;
    ForEachField(table, type, [this, &first, type](const TableField& f) {
      if (!first) out_ += ',';
      first = false;
      out_ += '"';
      out_ += type->names[f.index];
      out_ += "\":";
      auto element = static_cast<ElementaryType>(f.code.base_type);
      if (f.code.is_repeating) {
        Vector(element, Deref(f.slot), f.ref);
      } else {
        Value(element, f.slot, f.ref);
      }
      return true;
    });
    out_ += '}';
  }

 private:
  void Vector(ElementaryType element, const uint8_t* vector, const TypeTable* ref) {
    auto size = flatbuffers::ReadScalar<flatbuffers::uoffset_t>(vector);
    const uint8_t* at = vector + sizeof(flatbuffers::uoffset_t);
    size_t stride = flatbuffers::InlineSize(element, ref);
    out_ += '[';
    for (flatbuffers::uoffset_t i = 0; i < size; ++i, at += stride) {
      if (i > 0) out_ += ',';
      Value(element, at, ref);
    }
    out_ += ']';
  }

  // `at` holds the value itself (scalars) or the offset to it.
  void Value(ElementaryType element, const uint8_t* at, const TypeTable* ref) {
    switch (element) {
      case flatbuffers::ET_BOOL:
        out_ += flatbuffers::ReadScalar<uint8_t>(at) ? "true" : "false";
        return;
      case flatbuffers::ET_UTYPE:
      case flatbuffers::ET_UCHAR:
        return Integer(flatbuffers::ReadScalar<uint8_t>(at), ref);
      case flatbuffers::ET_CHAR:
        return Integer(flatbuffers::ReadScalar<int8_t>(at), ref);
      case flatbuffers::ET_SHORT:
        return Integer(flatbuffers::ReadScalar<int16_t>(at), ref);
      case flatbuffers::ET_USHORT:
        return Integer(flatbuffers::ReadScalar<uint16_t>(at), ref);
      case flatbuffers::ET_INT:
        return Integer(flatbuffers::ReadScalar<int32_t>(at), ref);
      case flatbuffers::ET_UINT:
        return Integer(flatbuffers::ReadScalar<uint32_t>(at), ref);
      case flatbuffers::ET_LONG:
        return Integer(flatbuffers::ReadScalar<int64_t>(at), ref);
      case flatbuffers::ET_ULONG:
        return Integer(flatbuffers::ReadScalar<uint64_t>(at), ref);
      case flatbuffers::ET_FLOAT:
        return AppendNumber(flatbuffers::ReadScalar<float>(at), &out_);
      case flatbuffers::ET_DOUBLE:
        return AppendNumber(flatbuffers::ReadScalar<double>(at), &out_);
      case flatbuffers::ET_STRING: {
        auto string = reinterpret_cast<const flatbuffers::String*>(Deref(at));
        return AppendJsonString(string->string_view(), &out_);
      }
      case flatbuffers::ET_SEQUENCE:
        if (ref->st == flatbuffers::ST_TABLE) {
          return Table(reinterpret_cast<const flatbuffers::Table*>(Deref(at)), ref);
        }
        break;
    }
    // Structs and unions inside payloads: the catalogue has none
    // (PayloadJson.EveryPayloadFieldIsPrintable keeps it so).
    out_ += "null";
  }

  template <typename T>
  void Integer(T value, const TypeTable* ref) {
    if (const char* name = flatbuffers::EnumName(value, ref)) {
      out_ += '"';
      out_ += name;
      out_ += '"';
      return;
    }
    AppendNumber(value, &out_);
  }

  void Sealed(const fb::Sealed& sealed) {
    SealedRef ref = RefOf(sealed);
    std::optional<std::string> plaintext = opener_.Open(ref);
    out_ += "{\"subject_id\":";
    AppendJsonString(ref.subject, &out_);
    out_ += ",\"value\":";
    if (plaintext) {
      AppendJsonString(*plaintext, &out_);
    } else {
      out_ += "null";
    }
    out_ += '}';
    if (Uuid::Parse(ref.subject)) subjects_->emplace(ref.subject);
  }

  SealedOpener& opener_;
  std::set<std::string>* subjects_;
  std::string& out_;
};

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + text.size() + 2);
  *out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
      ++i;
      continue;
    }
    size_t length = byte >= 0x80 ? Utf8SequenceLength(text.substr(i)) : 0;
    if (length > 0) {
      i += length;  // valid UTF-8 is copied as it is
      continue;
    }
    out->append(text, run, i - run);
    if (byte == 0) {
      // Dropped, as Row::Text drops it: jsonb refuses \u0000.
    } else if (byte == '"' || byte == '\\') {
      *out += '\\';
      *out += static_cast<char>(byte);
    } else if (byte >= 0x80) {
      out->append(kReplacementCharacter);
    } else {
      *out += "\\u00";
      *out += kHex[byte >> 4];
      *out += kHex[byte & 0xF];
    }
    run = ++i;
  }
  out->append(text, run, text.size() - run);
  *out += '"';
}

void AppendPayloadJson(const fb::Event& event, SealedOpener& opener,
                       std::set<std::string>* subjects, std::string* out) {
  Printer(opener, subjects, out)
      .Table(static_cast<const flatbuffers::Table*>(event.payload()),
             PayloadTable(event.payload_type()));
}

}  // namespace ledger::projections
