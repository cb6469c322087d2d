#include "ledger/client/json_commands.h"

#include <flatbuffers/idl.h>
#include <flatbuffers/util.h>

#include <cstdlib>
#include <regex>

#include "ledger/fb/events_generated.h"

namespace ledger::client {
namespace {

// FlatBuffers reports "1: 34: error: unknown field: bogus" (line: column);
// each input line is parsed alone, so the line is always 1 and the caller
// knows the real one.
std::string TidyParserError(const std::string& error) {
  static const std::regex kPrefix(R"(^\s*1:\s*(\d+):\s*error:\s*)");
  std::smatch match;
  if (!std::regex_search(error, match, kPrefix)) return error;
  return "column " + match[1].str() + ": " + match.suffix().str();
}

bool IsBlankOrComment(std::string_view line) {
  size_t first = line.find_first_not_of(" \t\r\n");
  return first == std::string_view::npos || line[first] == '#';
}

}  // namespace

std::string DefaultSchemaDir() {
  const char* from_environment = std::getenv("LEDGER_SCHEMA_DIR");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return LEDGER_SCHEMA_DIR;
}

class JsonCommandParser::Impl {
 public:
  // The field offsets of CommandLine, looked up by name so that the code
  // follows command_json.fbs without generated code.
  struct Fields {
    flatbuffers::voffset_t event = 0;
    flatbuffers::voffset_t expected_version = 0;
    flatbuffers::voffset_t envelope = 0;
    flatbuffers::voffset_t payload_type = 0;
    flatbuffers::voffset_t payload = 0;
  };

  Status Load(const std::string& schema_dir) {
    std::string schema;
    std::string path = schema_dir + "/command_json.fbs";
    if (!flatbuffers::LoadFile(path.c_str(), false, &schema)) {
      return Status::NotFound("cannot read " + path + " (set LEDGER_SCHEMA_DIR)");
    }
    const char* include_dirs[] = {schema_dir.c_str(), nullptr};
    if (!parser_.Parse(schema.c_str(), include_dirs, "command_json.fbs")) {
      return Status::InvalidArgument(path + ": " + parser_.error_);
    }
    const flatbuffers::StructDef* root = parser_.root_struct_def_;
    const char* names[] = {"event", "expected_version", "envelope", "payload_type", "payload"};
    flatbuffers::voffset_t* slots[] = {&fields_.event, &fields_.expected_version, &fields_.envelope,
                                       &fields_.payload_type, &fields_.payload};
    for (size_t i = 0; i < std::size(names); ++i) {
      const flatbuffers::FieldDef* field =
          root == nullptr ? nullptr : root->fields.Lookup(names[i]);
      if (field == nullptr) {
        return Status::InvalidArgument(path + ": CommandLine has no field " + names[i]);
      }
      *slots[i] = field->value.offset;
    }
    return Status::Ok();
  }

  Result<std::optional<Command>> ParseLine(std::string_view line) {
    if (IsBlankOrComment(line)) return std::optional<Command>();
    // Anything else would reach FlatBuffers' schema grammar and could
    // declare types or change the root type for the lines after it.
    size_t first = line.find_first_not_of(" \t");
    if (line[first] != '{') {
      return Status::InvalidArgument("column " + std::to_string(first + 1) +
                                     ": a command is a JSON object: expected '{'");
    }
    parser_.builder_.Clear();
    std::string text(line);  // the parser needs a NUL-terminated string
    if (!parser_.Parse(text.c_str())) {
      return Status::InvalidArgument(TidyParserError(parser_.error_));
    }
    const auto* root =
        flatbuffers::GetRoot<flatbuffers::Table>(parser_.builder_.GetBufferPointer());
    fb::EventT event;
    LEDGER_RETURN_IF_ERROR(ToEvent(*root, &event));
    Command command;
    if (root->CheckField(fields_.expected_version)) {
      command.expected_version = root->GetField<uint64_t>(fields_.expected_version, 0);
    }
    flatbuffers::FlatBufferBuilder& builder = event_builder_;
    builder.Clear();
    fb::FinishEventBuffer(builder, fb::Event::Pack(builder, &event));
    command.event.assign(reinterpret_cast<const char*>(builder.GetBufferPointer()),
                         builder.GetSize());
    return std::optional<Command>(std::move(command));
  }

  Result<std::string> EventToJson(std::string_view bytes) {
    std::string aligned(bytes);  // std::string storage is 8-byte aligned
    flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(aligned.data()),
                                   aligned.size());
    if (!fb::VerifyEventBuffer(verifier)) {
      return Status::InvalidArgument("not a valid ledger.fb.Event FlatBuffer");
    }
    flatbuffers::IDLOptions saved = parser_.opts;
    parser_.opts.strict_json = true;  // quoted field names: JSON any tool reads
    parser_.opts.indent_step = -1;    // one line
    std::string json;
    bool ok = flatbuffers::GenerateTextFromTable(parser_, fb::GetEvent(aligned.data()),
                                                 "ledger.fb.Event", &json);
    parser_.opts = saved;
    if (!ok) return Status::Internal("FlatBuffers could not print the event as JSON");
    return json;
  }

 private:
  // The event of either line form, unpacked so that it can be packed again
  // as a root with its own file identifier.
  Status ToEvent(const flatbuffers::Table& root, fb::EventT* out) const {
    const auto* wrapped = root.GetPointer<const fb::Event*>(fields_.event);
    const auto* envelope = root.GetPointer<const fb::Envelope*>(fields_.envelope);
    auto type = static_cast<fb::Payload>(root.GetField<uint8_t>(fields_.payload_type, 0));
    const void* payload = root.GetPointer<const void*>(fields_.payload);
    bool bare = envelope != nullptr || type != fb::Payload::NONE || payload != nullptr;
    if (wrapped != nullptr) {
      if (bare) {
        return Status::InvalidArgument(
            "give either \"event\" or a bare event (\"envelope\", \"payload\"), not both");
      }
      // Held to the bare form's rule, so that every line read prints
      // (EventToJson) as a bare line that reads back (found by json_fuzz).
      if (wrapped->payload_type() == fb::Payload::NONE || wrapped->payload() == nullptr) {
        return Status::InvalidArgument("no payload: give \"payload_type\" and \"payload\"");
      }
      wrapped->UnPackTo(out);
      return Status::Ok();
    }
    if (envelope == nullptr) {
      return Status::InvalidArgument("no event: give \"event\", or \"envelope\" and \"payload\"");
    }
    if (type == fb::Payload::NONE || payload == nullptr) {
      return Status::InvalidArgument("no payload: give \"payload_type\" and \"payload\"");
    }
    out->envelope.reset(envelope->UnPack());
    out->payload.type = type;
    out->payload.value = fb::PayloadUnion::UnPack(payload, type, nullptr);
    return Status::Ok();
  }

  flatbuffers::Parser parser_;
  Fields fields_;
  flatbuffers::FlatBufferBuilder event_builder_{1024};
};

JsonCommandParser::JsonCommandParser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonCommandParser::~JsonCommandParser() = default;

Result<std::unique_ptr<JsonCommandParser>> JsonCommandParser::Create(
    const std::string& schema_dir) {
  auto impl = std::make_unique<Impl>();
  LEDGER_RETURN_IF_ERROR(impl->Load(schema_dir));
  return std::unique_ptr<JsonCommandParser>(new JsonCommandParser(std::move(impl)));
}

Result<std::optional<Command>> JsonCommandParser::ParseLine(std::string_view line) {
  return impl_->ParseLine(line);
}

Result<std::string> JsonCommandParser::EventToJson(std::string_view event) {
  return impl_->EventToJson(event);
}

}  // namespace ledger::client
