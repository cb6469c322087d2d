// Commands as JSON lines: the input format of `ledger append`.
//
// One command per line, as FlatBuffers JSON of the table CommandLine
// (schemas/command_json.fbs), in either of two forms:
//
//   {"event": {"envelope": {"org_id": "…"}, "payload_type": "TeamCreated",
//              "payload": {"team_id": "…", "name": "Platform"}},
//    "expected_version": 3}
//
//   {"envelope": {"org_id": "…"}, "payload_type": "TeamCreated",
//    "payload": {"team_id": "…", "name": "Platform"}, "expected_version": 3}
//
// The second is a bare ledger.fb.Event (events.fbs) with an optional
// expected_version beside it. The Event is FlatBuffers' own JSON for it:
// field names as in events.fbs and envelope.fbs, a union as "payload_type"
// (the event type's name) plus "payload", enums by name or number, 64-bit
// integers as JSON numbers, byte vectors as arrays of numbers. Unknown field
// names, unknown event types and a missing required field (envelope, org_id,
// ...) are errors. expected_version is the org's version the command is based
// on (absent: no check; 0 for a new org). Blank lines and lines whose first
// non-blank character is '#' are skipped.
//
// The parsed event is packed again as a standalone ledger.fb.Event with the
// "LGEV" file identifier, exactly what the engine verifies. A string field
// given as "" is packed as absent; the engine treats the two alike.
//
// Personal fields: `Sealed` fields (EmployeeHired.email, ...) are stored as
// ciphertext under per-subject keys that only the ledger holds, so a line
// carries each one as a seal request (schemas/PROTOCOL.md, "Personal
// fields"), which the ledger seals before deciding the command. FlatBuffers'
// JSON writes byte vectors as arrays of numbers:
//   "email": {"subject_id": "<the employee's id>",
//             "nonce": [0, 0, ... 24 zeros],
//             "ciphertext": [<the UTF-8 bytes of the text>, 0, ... 16 zeros]}
// Optional personal fields may be left out; a required one (EmployeeHired
// and EmployeeInvited: email) may not (rule `malformed`). EventToJson of a
// stored event prints the real ciphertext, which the same ledger accepts
// back as an already sealed value.
//
// Not thread-safe: one parser per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/commands.h"
#include "ledger/status.h"

namespace ledger::client {

// Where the .fbs files are read from: $LEDGER_SCHEMA_DIR if set, else the
// source tree's schemas/ directory compiled in.
std::string DefaultSchemaDir();

class JsonCommandParser {
 public:
  // Loads command_json.fbs and the schemas it includes from schema_dir.
  static Result<std::unique_ptr<JsonCommandParser>> Create(
      const std::string& schema_dir = DefaultSchemaDir());
  ~JsonCommandParser();
  JsonCommandParser(const JsonCommandParser&) = delete;
  JsonCommandParser& operator=(const JsonCommandParser&) = delete;

  // One line (without its newline). nullopt for a blank or comment line.
  // kInvalidArgument with FlatBuffers' message ("column 34: unknown field:
  // bogus") for anything else that is not a command.
  Result<std::optional<Command>> ParseLine(std::string_view line);

  // An event's bytes (a ledger.fb.Event) as one line of JSON in the bare
  // form, which ParseLine reads back. kInvalidArgument if the bytes do not
  // verify as an Event.
  Result<std::string> EventToJson(std::string_view event);

 private:
  class Impl;
  explicit JsonCommandParser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger::client
