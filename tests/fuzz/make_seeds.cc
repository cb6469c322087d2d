// Writes the seed corpora of command_fuzz and json_fuzz from the commands
// that follow the fuzz org's history (fuzz_org.h): real, plausible commands
// naming the org's entities. Run it again only when the schema or the
// generator changes (tools/fuzz.sh --make-seeds); the seeds are committed.
//
//   make_seeds <command_corpus dir> <json_corpus dir>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_org.h"
#include "ledger/client/json_commands.h"
#include "ledger/wire/frame.h"
#include "ledger/wire/messages.h"

namespace {

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
}

// An Append's payload, without the frame header: command_fuzz's input.
std::string AppendPayload(uint64_t request_id, const std::vector<ledger::Command>& commands) {
  return ledger::wire::EncodeAppend(request_id, commands).substr(ledger::wire::kHeaderBytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_seeds <command_corpus dir> <json_corpus dir>\n");
    return 2;
  }
  std::string commands_dir = argv[1];
  std::string json_dir = argv[2];
  auto fixture = ledger::fuzz::BuildFuzzOrg();
  auto parser = ledger::client::JsonCommandParser::Create();
  if (!parser.ok()) {
    std::fprintf(stderr, "make_seeds: %s\n", parser.status().ToString().c_str());
    return 1;
  }
  const std::vector<ledger::Command>& following = fixture->following;
  // The org's version: its events, derived ones included, not its commands.
  auto state = fixture->ledger->CurrentState(fixture->org);
  uint64_t version = state.ok() ? state->version : 0;
  for (size_t i = 0; i < following.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/append_%02zu.bin", i);
    ledger::Command command = following[i];
    // Some with the org's version, as a careful client sends them.
    if (i % 5 == 0) command.expected_version = version;
    Write(commands_dir + name, AppendPayload(i + 1, {command}));
    auto json = (*parser)->EventToJson(following[i].event);
    if (!json.ok()) continue;
    std::snprintf(name, sizeof name, "/line_%02zu.json", i);
    // Every fourth in the wrapped form, with an expected version.
    std::string line = i % 4 == 0 ? "{\"event\": " + *json +
                                        ", \"expected_version\": " + std::to_string(version) + "}"
                                  : *json;
    Write(json_dir + name, line + "\n");
  }
  // A few commands in one Append, and a few bare events: both input forms.
  for (size_t i = 0; i + 3 <= following.size() && i < 12; i += 3) {
    char name[32];
    std::snprintf(name, sizeof name, "/batch_%02zu.bin", i);
    Write(commands_dir + name,
          AppendPayload(100 + i, {following[i], following[i + 1], following[i + 2]}));
    std::snprintf(name, sizeof name, "/event_%02zu.bin", i);
    Write(commands_dir + name, following[i].event);
  }
  std::printf("make_seeds: %zu commands written to %s and %s\n", following.size(),
              commands_dir.c_str(), json_dir.c_str());
  return 0;
}
