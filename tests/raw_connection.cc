#include "raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "ledger/wire/messages.h"

namespace ledger::testing {

RawConnection::RawConnection(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

void RawConnection::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

// Reads what is available into the decoder; false on close, error or timeout.
bool RawConnection::Fill(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd waiting{fd_, POLLIN, 0};
  if (poll(&waiting, 1, static_cast<int>(left.count())) <= 0) return false;
  char buffer[64 << 10];
  ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
  if (got <= 0) return false;
  decoder_.Feed(buffer, static_cast<size_t>(got));
  return true;
}

std::optional<std::string> RawConnection::Next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  wire::Frame frame;
  for (;;) {
    wire::FrameDecoder::Outcome outcome = decoder_.Next(&frame);
    if (outcome == wire::FrameDecoder::Outcome::kFrame) {
      if (wire::VerifyMessage(frame.payload)) return std::nullopt;
      return std::move(frame.payload);
    }
    if (outcome == wire::FrameDecoder::Outcome::kError || !Fill(deadline)) return std::nullopt;
  }
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[64 << 10];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting{fd_, POLLIN, 0};
    if (poll(&waiting, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
    if (got <= 0) return true;
  }
}

bool RawConnection::Hello(std::string_view token) {
  if (!Send(wire::EncodeHello(1, {.token = token, .client_name = "test"}))) return false;
  std::optional<std::string> reply = Next();
  return reply && AsMessage(*reply).body_type() == wire::Body::HelloOk;
}

std::optional<std::string> RawConnection::AppendAndWait(uint64_t id,
                                                        const std::vector<Command>& commands) {
  if (!Send(wire::EncodeAppend(id, commands))) return std::nullopt;
  for (;;) {
    std::optional<std::string> reply = Next();
    if (!reply || AsMessage(*reply).request_id() == id) return reply;
  }
}

const wire::Message& AsMessage(const std::string& payload) {
  return *flatbuffers::GetRoot<wire::Message>(payload.data());
}

std::vector<Command> Commands(const std::vector<std::string>& events) {
  std::vector<Command> commands;
  for (const std::string& event : events) commands.push_back({event, std::nullopt});
  return commands;
}

}  // namespace ledger::testing
