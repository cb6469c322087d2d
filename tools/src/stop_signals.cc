#include "ledger/tools/stop_signals.h"

#include <signal.h>

#include <thread>

namespace ledger::tools {

void OnStopSignal(std::function<void(int signal)> on_signal) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals, on_signal = std::move(on_signal)] {
    int signal = 0;
    sigwait(&signals, &signal);
    on_signal(signal);
  }).detach();
}

}  // namespace ledger::tools
