// Appends batches for a few orgs forever and prints one line per event once
// its batch is durable:  ack <org> <org_seq> <event_id>
// The crash test SIGKILLs this process at random moments, timed from the
// "open" line it prints once the log is open (a sanitizer build can take
// longer to start than a whole run of the release build).
#include <cstdio>
#include <random>

#include "test_util.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DB MASTER_KEY ORG...\n", argv[0]);
    return 2;
  }
  ledger::LogOptions options;
  options.path = argv[1];
  options.master_key_path = argv[2];
  std::vector<ledger::Uuid> orgs;
  for (int i = 3; i < argc; ++i) orgs.push_back(*ledger::Uuid::Parse(argv[i]));
  auto log = ledger::testing::OpenOrDie(options);
  std::printf("open\n");
  std::fflush(stdout);
  std::mt19937_64 random(std::random_device{}());
  for (;;) {
    std::vector<std::string> events;
    std::vector<std::string> ids;
    for (int i = 0, n = 1 + random() % 50; i < n; ++i) {
      ids.push_back(ledger::Uuid::Random().ToString());
      events.push_back(
          ledger::testing::TeamEvent(orgs[random() % orgs.size()], "crash", ids.back()));
    }
    std::vector<std::string_view> views(events.begin(), events.end());
    auto positions = log->Append(views);
    if (!positions.ok()) {
      std::fprintf(stderr, "append failed: %s\n", positions.status().ToString().c_str());
      return 1;
    }
    for (size_t i = 0; i < positions->size(); ++i) {
      const ledger::Position& at = (*positions)[i];
      std::printf("ack %s %llu %s\n", at.org.ToString().c_str(),
                  static_cast<unsigned long long>(at.org_seq), ids[i].c_str());
    }
    std::fflush(stdout);
  }
}
