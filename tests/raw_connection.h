// A bare TCP connection to ledgerd for tests that must send exactly the bytes
// they choose (bad checksums, truncated frames, foreign tokens) and read
// exactly what comes back. Blocking, with timeouts, on loopback only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/commands.h"
#include "ledger/wire/frame.h"

namespace ledger::testing {

class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd_for_test() const { return fd_; }
  // False if the peer has closed (EPIPE / ECONNRESET).
  bool Send(std::string_view bytes);
  void ShutdownWrite();

  // The next frame's payload (a verified ledger.wire.Message), or nullopt on
  // timeout, close or a frame that does not verify.
  std::optional<std::string> Next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True if the peer closes within the timeout (frames before it are dropped).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Hello with `token`; true if HelloOk came back.
  bool Hello(std::string_view token);
  // Sends one Append and waits for its reply (skipping other messages).
  std::optional<std::string> AppendAndWait(uint64_t id, const std::vector<Command>& commands);

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  wire::FrameDecoder decoder_{wire::kPayloadMaxLimit};
};

// The Message inside a payload returned by Next.
const wire::Message& AsMessage(const std::string& payload);

// A command per event, with no expected version.
std::vector<Command> Commands(const std::vector<std::string>& events);

}  // namespace ledger::testing
