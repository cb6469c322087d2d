// Helpers shared by the tests: temporary directories and small events.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "ledger/event_builder.h"
#include "ledger/event_log.h"

namespace ledger::testing {

// A fresh directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A TeamCreated event for `org` whose team name is `name` (so tests can tell
// events apart) and whose event_id is `event_id` when given.
std::string TeamEvent(const Uuid& org, const std::string& name, const std::string& event_id = "");

// The team name inside an event built by TeamEvent.
std::string TeamName(const StoredEvent& event);

LogOptions OptionsIn(const TempDir& dir);

// Whether `text` contains `part` (for checking CLI output).
inline bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
std::unique_ptr<EventLog> OpenOrDie(const LogOptions& options);

}  // namespace ledger::testing
