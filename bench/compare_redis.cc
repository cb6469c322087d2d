// Redis Streams: one XADD per event (the event bytes plus envelope fields),
// `batch` commands pipelined per round trip on one connection. The server
// runs with appendonly yes and appendfsync always, so it fsyncs its AOF
// before it answers a round of commands: a reply means durable. RESP is
// spoken directly over a POSIX socket (Debian has no hiredis package).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>

#include "compare.h"

namespace ledger::bench {
namespace {

constexpr char kStream[] = "compare:events";

class RespConnection {
 public:
  ~RespConnection() {
    if (fd_ >= 0) close(fd_);
  }
  Status Connect(const std::string& host_port) {
    size_t colon = host_port.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("--redis HOST:PORT");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
    if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr) != 1) {
      return Status::InvalidArgument("not an IPv4 address: " + host_port);
    }
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      return Status::IoError("cannot connect to Redis at " + host_port);
    }
    return Status::Ok();
  }

  // Appends one command in RESP (an array of bulk strings) to `out`.
  static void Encode(std::initializer_list<std::string_view> words, std::string* out) {
    *out += '*' + std::to_string(words.size()) + "\r\n";
    for (std::string_view word : words) {
      *out += '$' + std::to_string(word.size()) + "\r\n";
      out->append(word);
      *out += "\r\n";
    }
  }

  Status Send(const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = write(fd_, bytes.data() + sent, bytes.size() - sent);
      if (n <= 0) return Status::IoError("write to Redis failed");
      sent += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // Reads `count` replies; each must be a simple string, integer or bulk
  // string (what XADD, DEL and XLEN answer). The last integer goes to *last.
  Status ReadReplies(size_t count, int64_t* last = nullptr) {
    for (size_t i = 0; i < count; ++i) {
      std::string line;
      LEDGER_RETURN_IF_ERROR(ReadLine(&line));
      if (line.empty() || line[0] == '-') return Status::IoError("Redis: " + line);
      if (line[0] == ':' && last) *last = std::stoll(line.substr(1));
      if (line[0] == '$') {
        long length = std::stol(line.substr(1));
        if (length >= 0) LEDGER_RETURN_IF_ERROR(Skip(static_cast<size_t>(length) + 2));
      }
    }
    return Status::Ok();
  }

 private:
  Status Fill() {
    if (begin_ == buffer_.size()) {
      buffer_.clear();
      begin_ = 0;
    }
    char chunk[65536];
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n <= 0) return Status::IoError("Redis closed the connection");
    buffer_.append(chunk, static_cast<size_t>(n));
    return Status::Ok();
  }
  Status ReadLine(std::string* line) {
    for (;;) {
      size_t end = buffer_.find("\r\n", begin_);
      if (end != std::string::npos) {
        line->assign(buffer_, begin_, end - begin_);
        begin_ = end + 2;
        return Status::Ok();
      }
      LEDGER_RETURN_IF_ERROR(Fill());
    }
  }
  Status Skip(size_t bytes) {
    while (buffer_.size() - begin_ < bytes) LEDGER_RETURN_IF_ERROR(Fill());
    begin_ += bytes;
    return Status::Ok();
  }

  int fd_ = -1;
  std::string buffer_;
  size_t begin_ = 0;
};

}  // namespace

Result<IngestResult> RunRedis(const IngestOptions& options,
                              const std::vector<std::string>& events) {
  RespConnection redis;
  LEDGER_RETURN_IF_ERROR(redis.Connect(options.redis));
  std::string command;
  RespConnection::Encode({"DEL", kStream}, &command);
  LEDGER_RETURN_IF_ERROR(redis.Send(command));
  LEDGER_RETURN_IF_ERROR(redis.ReadReplies(1));
  // Encoded before the clock starts, as the other systems' inputs are.
  std::vector<std::string> rounds;
  IngestResult result;
  for (size_t first = 0; first < events.size(); first += options.batch) {
    std::string round;
    for (size_t i = first; i < std::min(events.size(), first + options.batch); ++i) {
      EventEnvelope envelope = EnvelopeOf(events[i]);
      RespConnection::Encode({"XADD", kStream, "*", "org", envelope.org_id, "id", envelope.event_id,
                              "type", envelope.event_type, "body", events[i]},
                             &round);
      result.bytes += events[i].size();
    }
    rounds.push_back(std::move(round));
  }
  Clock::time_point start = Clock::now();
  for (size_t round = 0; round < rounds.size(); ++round) {
    Clock::time_point sent = Clock::now();
    size_t size = std::min(options.batch, events.size() - round * options.batch);
    LEDGER_RETURN_IF_ERROR(redis.Send(rounds[round]));
    LEDGER_RETURN_IF_ERROR(redis.ReadReplies(size));
    result.latencies_ms.push_back(MillisSince(sent));
  }
  result.seconds = MillisSince(start) / 1000;
  command.clear();
  RespConnection::Encode({"XLEN", kStream}, &command);
  LEDGER_RETURN_IF_ERROR(redis.Send(command));
  int64_t length = 0;
  LEDGER_RETURN_IF_ERROR(redis.ReadReplies(1, &length));
  if (static_cast<size_t>(length) != events.size()) {
    return Status::Internal("the stream holds " + std::to_string(length) + " entries, sent " +
                            std::to_string(events.size()));
  }
  result.events = static_cast<uint64_t>(length);
  return result;
}

}  // namespace ledger::bench
