#include "services.h"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace ledger::stress {

// ledgerd opens RocksDB and replays its WAL before it serves: seconds on a
// loaded 2-core machine, never this long.
constexpr std::chrono::milliseconds kServeTimeout{60'000};
constexpr std::chrono::milliseconds kStopTimeout{60'000};

Status Services::StartLedgerd() {
  std::string port_file = dir_ + "/ledgerd.port";
  std::remove(port_file.c_str());
  LEDGER_RETURN_IF_ERROR(ledgerd_.Start(
      {options_.ledgerd, "--db", db(), "--listen", "127.0.0.1:" + std::to_string(port_),
       "--port-file", port_file, "--signing-key", key_file(), "--log-level", "warn"},
      ledgerd_log()));
  auto deadline = std::chrono::steady_clock::now() + kServeTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    uint16_t port = 0;
    if (std::ifstream(port_file) >> port) {
      port_ = port;
      return Status::Ok();
    }
    if (std::optional<int> code = ledgerd_.Exited()) {
      return Status::Internal("ledgerd exited with " + std::to_string(*code) +
                              " before serving:\n" + LogTail(ledgerd_log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Internal("ledgerd did not serve within 60 s");
}

Status Services::StartProjector() {
  return projector_.Start({options_.project, "--connect", address(), "--token", token_, "--pg",
                           options_.pg, "--schema", live_schema(), "--log-level", "warn"},
                          project_log());
}

Status Services::ProjectorRunning() {
  if (std::optional<int> code = projector_.Exited()) {
    return Status::Internal("ledger-project exited by itself with " + std::to_string(*code) +
                            ":\n" + LogTail(project_log()));
  }
  return Status::Ok();
}

Status Services::Kill(ChildProcess& child, const std::string& name, const std::string& log) {
  if (std::optional<int> code = child.Exited()) {
    return Status::Internal(name + " had exited by itself with " + std::to_string(*code) + ":\n" +
                            LogTail(log));
  }
  child.Stop(SIGKILL, kStopTimeout);
  return Status::Ok();
}

Status Services::StopAll() {
  Status status;
  if (projector_.running()) {
    int code = projector_.Stop(SIGTERM, kStopTimeout);
    if (code != 0) {
      status = Status::Internal("ledger-project exited with " + std::to_string(code) +
                                " on SIGTERM:\n" + LogTail(project_log()));
    }
  }
  if (ledgerd_.running()) {
    int code = ledgerd_.Stop(SIGTERM, kStopTimeout);
    if (code != 0 && status.ok()) {
      status = Status::Internal("ledgerd exited with " + std::to_string(code) + " on SIGTERM:\n" +
                                LogTail(ledgerd_log()));
    }
  }
  return status;
}

}  // namespace ledger::stress
