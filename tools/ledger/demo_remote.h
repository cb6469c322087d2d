// The first half of the main job over the socket: a generated history
// appended to a running ledgerd through the client library.
#pragma once

#include <string>

#include "ledger/tools/history_generator.h"

namespace ledger::cli {

struct RemoteDemoFlags {
  std::string connect;
  std::string token;
  tools::HistoryOptions history;
  size_t batch = 1000;
};

// Returns the exit status.
int RunRemoteDemo(const RemoteDemoFlags& flags);

}  // namespace ledger::cli
