#include "test_util.h"

#include <unistd.h>

namespace ledger::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ledger-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TeamEvent(const Uuid& org, const std::string& name, const std::string& event_id) {
  EventBuilder builder;
  auto team = fb::CreateTeamCreatedDirect(builder.builder(), Uuid::Random().ToString().c_str(),
                                          name.c_str(), "made by a test");
  EnvelopeFields envelope;
  envelope.org = org;
  envelope.event_id = event_id;
  return builder.Finish(envelope, team);
}

std::string TeamName(const StoredEvent& event) {
  const fb::TeamCreated* team = event.event()->payload_as_TeamCreated();
  return team == nullptr ? "" : team->name()->str();
}

LogOptions OptionsIn(const TempDir& dir) {
  LogOptions options;
  options.path = dir.Sub("db");
  options.master_key_path = dir.Sub("master.key");
  return options;
}

std::unique_ptr<EventLog> OpenOrDie(const LogOptions& options) {
  Result<std::unique_ptr<EventLog>> log = EventLog::Open(options);
  if (!log.ok()) throw std::runtime_error("open failed: " + log.status().ToString());
  return std::move(log).value();
}

}  // namespace ledger::testing
