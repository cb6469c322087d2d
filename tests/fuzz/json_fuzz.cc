// libFuzzer target: the JSON-lines command reader of `ledger append`
// (tools/include/ledger/client/json_commands.h).
//
// Input: text, split into lines as `ledger append` splits its input.
//
// Invariants checked, beyond "no crash, no sanitizer report":
//   - a line the reader accepts becomes an event that passes the FlatBuffers
//     verifier with the "LGEV" identifier (what the engine verifies);
//   - printing it (EventToJson) succeeds, the printed line reads back, and
//     reading it back prints the same line: the reader and the printer agree.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/client/json_commands.h"
#include "ledger/fb/events_generated.h"

namespace {

using ledger::client::JsonCommandParser;

void Check(bool condition, const char* what, std::string_view detail = {}) {
  if (condition) return;
  std::fprintf(stderr, "json_fuzz invariant broken: %s %.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

JsonCommandParser& Parser() {
  // Loading the schemas costs milliseconds; one parser serves every input
  // (ParseLine resets it for each line).
  static std::unique_ptr<JsonCommandParser> parser = [] {
    auto created = JsonCommandParser::Create();
    Check(created.ok(), "cannot load the schemas:", created.status().ToString());
    return std::move(created).value();
  }();
  return *parser;
}

bool VerifiesAsEvent(const std::string& bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return ledger::fb::VerifyEventBuffer(verifier);
}

void CheckLine(std::string_view line) {
  JsonCommandParser& parser = Parser();
  auto parsed = parser.ParseLine(line);
  if (!parsed.ok() || !parsed->has_value()) return;
  const ledger::Command& command = **parsed;
  Check(VerifiesAsEvent(command.event), "accepted line is not a valid Event:", line);

  auto printed = parser.EventToJson(command.event);
  Check(printed.ok(), "accepted event does not print:", line);
  auto reread = parser.ParseLine(*printed);
  Check(reread.ok() && reread->has_value(), "printed event does not read back:", *printed);
  Check(!(*reread)->expected_version.has_value(), "printed event grew an expected_version");
  auto reprinted = parser.EventToJson((*reread)->event);
  Check(reprinted.ok() && *reprinted == *printed, "print -> read -> print changed:", *printed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty()) {
    size_t end = text.find('\n');
    CheckLine(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return 0;
}
