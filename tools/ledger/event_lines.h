// The lines of `ledger export` and of an evidence bundle's events.jsonl: one
// event per line with its envelope, position and leaf hash; in jsonl also
// the exact stored bytes (base64) and the event as JSON.
//
// A line is a pure function of the stored body, so `ledger verify --bundle`
// rebuilds each line from its body_b64 and any other edit to the line shows.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/client/json_commands.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"

namespace ledger::cli {

enum class LineFormat { kJsonl, kCsv };

class EventLines {
 public:
  // Loads the .fbs schemas from schema_dir to print events as JSON.
  static Result<std::unique_ptr<EventLines>> Create(
      LineFormat format, const std::string& schema_dir = client::DefaultSchemaDir());

  // The CSV header line (with its newline); empty for jsonl.
  std::string Header() const;
  // One line for `event`, ending in a newline.
  Result<std::string> Line(const StoredEvent& event);

 private:
  EventLines(LineFormat format, std::unique_ptr<client::JsonCommandParser> printer)
      : format_(format), printer_(std::move(printer)) {}

  LineFormat format_;
  std::unique_ptr<client::JsonCommandParser> printer_;  // jsonl only
};

std::string ToBase64(std::string_view bytes);
// nullopt unless `text` is standard base64 (with padding).
std::optional<std::string> FromBase64(std::string_view text);

// The stored body (record header + event FlatBuffer) parsed as the ledger
// wrote it: the header's positions, the FlatBuffer verified. org is the
// event's envelope org. InvalidArgument says what is wrong.
Result<StoredEvent> ParseBody(std::string body);

}  // namespace ledger::cli
