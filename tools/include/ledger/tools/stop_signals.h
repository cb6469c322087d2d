// SIGINT and SIGTERM for the long-running tools (ledger-project,
// ledger-stress, projection-bench). Both are blocked in the calling thread,
// so in every thread it starts afterwards (ChildProcess clears the mask for
// its children), and one detached thread takes them with sigwait and calls
// `on_signal` with the number: never a handler on a random thread, so
// `on_signal` may do what a handler may not (log, stop a server, exit).
// Call it before starting other threads.
#pragma once

#include <functional>

namespace ledger::tools {

void OnStopSignal(std::function<void(int signal)> on_signal);

}  // namespace ledger::tools
