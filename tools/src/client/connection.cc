// Core: one connection's life. Connect -> Hello -> HelloOk -> requests, until
// the socket fails or the server ends the session; then every request in
// flight fails (outcome unknown), subscriptions wait to be resumed, and the
// next connection is made when something needs it.
// clang-format off: core.h first, for its <utility> before any Asio header.
#include "core.h"
// clang-format on

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace ledger::client::internal {

namespace asio = boost::asio;
using asio::ip::tcp;

// Bytes asked of the socket per read: large enough that a stream of small
// replies costs one system call per many frames.
constexpr size_t kReadChunkBytes = 64 << 10;

struct Core::Connection {
  explicit Connection(asio::io_context& io) : socket(io), resolver(io), timer(io) {}

  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer timer;  // the connect + handshake deadline
  wire::FrameDecoder decoder;
  std::vector<char> read_buffer = std::vector<char>(kReadChunkBytes);
  // Frames waiting for the write in progress, and the frames it is writing:
  // every frame queued while one write runs goes out in the next one.
  std::vector<std::string> outgoing;
  std::vector<std::string> writing;
  bool write_in_progress = false;
  uint64_t hello_id = 0;
};

std::string Core::Address() const {
  bool ipv6 = options_.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(options_.port);
}

void Core::Connect() {
  state_ = State::kConnecting;
  auto connection = std::make_shared<Connection>(io_);
  connection_ = connection;
  connection->timer.expires_after(options_.connect_timeout);
  connection->timer.async_wait([this, hold = Hold(), connection](boost::system::error_code error) {
    if (error || connection != connection_ || state_ != State::kConnecting) return;
    FailConnection(connection,
                   Status::Unavailable("connecting to " + Address() + " timed out after " +
                                       std::to_string(options_.connect_timeout.count()) + " ms"));
  });
  auto on_connected = [this, hold = Hold(), connection](boost::system::error_code error,
                                                        const tcp::endpoint&) {
    if (connection != connection_) return;
    if (error) {
      FailConnection(connection, Status::Unavailable("cannot connect to " + Address() + ": " +
                                                     error.message()));
      return;
    }
    boost::system::error_code ignored;
    connection->socket.set_option(tcp::no_delay(true), ignored);
    connection->hello_id = NextId();
    wire::HelloArgs hello;
    hello.token = options_.token;
    hello.client_name = options_.client_name;
    connection->outgoing.push_back(wire::EncodeHello(connection->hello_id, hello));
    StartWrite();
    StartRead(connection);
  };
  connection->resolver.async_resolve(
      options_.host, std::to_string(options_.port),
      [this, hold = Hold(), connection, on_connected](boost::system::error_code error,
                                                      tcp::resolver::results_type endpoints) {
        if (connection != connection_) return;
        if (error) {
          FailConnection(connection, Status::Unavailable("cannot resolve " + options_.host + ": " +
                                                         error.message()));
          return;
        }
        asio::async_connect(connection->socket, endpoints, on_connected);
      });
}

// REQUIRES: state_ == kConnected.
void Core::Send(Request request) {
  Pending pending{request.reply_type, std::move(request.complete), std::move(request.subscription)};
  if (options_.request_timeout.count() > 0 && pending.subscription == nullptr) {
    deadlines_.emplace_back(std::chrono::steady_clock::now() + options_.request_timeout,
                            request.id);
    ArmRequestTimer();
  }
  pending_.emplace(request.id, std::move(pending));
  connection_->outgoing.push_back(std::move(request.frame));
  sent_since_keepalive_ = true;
  StartWrite();
}

void Core::StartWrite() {
  std::shared_ptr<Connection> connection = connection_;
  if (connection->write_in_progress || connection->outgoing.empty()) return;
  connection->write_in_progress = true;
  connection->writing.swap(connection->outgoing);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(connection->writing.size());
  for (const std::string& frame : connection->writing) buffers.push_back(asio::buffer(frame));
  asio::async_write(connection->socket, buffers,
                    [this, hold = Hold(), connection](boost::system::error_code error, size_t) {
                      if (connection != connection_) return;
                      connection->write_in_progress = false;
                      connection->writing.clear();
                      if (error) {
                        FailConnection(connection, Status::Unavailable("writing to " + Address() +
                                                                       ": " + error.message()));
                        return;
                      }
                      StartWrite();
                    });
}

void Core::StartRead(const std::shared_ptr<Connection>& connection) {
  connection->socket.async_read_some(
      asio::buffer(connection->read_buffer),
      [this, hold = Hold(), connection](boost::system::error_code error, size_t bytes) {
        if (connection != connection_) return;
        if (!error) {
          OnBytes(connection, bytes);
          return;
        }
        std::string why = error == asio::error::eof ? "the server closed the connection"
                                                    : "reading: " + error.message();
        if (std::optional<wire::WireError> truncated = connection->decoder.EndOfStream()) {
          why += " (" + truncated->ToString() + ")";
        }
        FailConnection(connection, Status::Unavailable(why));
      });
}

void Core::OnBytes(const std::shared_ptr<Connection>& connection, size_t bytes) {
  connection->decoder.Feed(connection->read_buffer.data(), bytes);
  wire::Frame frame;
  for (;;) {
    wire::FrameDecoder::Outcome outcome = connection->decoder.Next(&frame);
    if (outcome == wire::FrameDecoder::Outcome::kNeedMore) break;
    if (outcome == wire::FrameDecoder::Outcome::kError) {
      FailConnection(connection, Status::Internal("bad frame from the server: " +
                                                  connection->decoder.error().ToString()));
      return;
    }
    const wire::Message* message = nullptr;
    std::optional<wire::WireError> error = wire::VerifyMessage(frame.payload, &message);
    if (error && error->code == wire::WireCode::kUnknownMessageType) continue;  // a newer server
    if (error) {
      FailConnection(connection,
                     Status::Internal("bad message from the server: " + error->ToString()));
      return;
    }
    if (state_ == State::kConnecting) {
      OnHelloReply(*message);
    } else {
      OnMessage(*message);
    }
    if (connection != connection_) return;  // the message ended the connection
  }
  StartRead(connection);
}

void Core::OnHelloReply(const wire::Message& message) {
  std::shared_ptr<Connection> connection = connection_;
  if (const wire::Error* error = message.body_as_Error()) {
    FailConnection(connection,
                   StatusFromError(error->code(), error->message() ? error->message()->string_view()
                                                                   : std::string_view()));
    return;
  }
  const wire::HelloOk* ok = message.body_as_HelloOk();
  if (ok == nullptr || message.request_id() != connection->hello_id ||
      ok->protocol_version() != wire::kProtocolVersion) {
    FailConnection(connection, Status::Internal("the server did not answer Hello with HelloOk "
                                                "for protocol version 1"));
    return;
  }
  connection->timer.cancel();
  state_ = State::kConnected;
  max_in_flight_ = std::max<uint32_t>(1, ok->max_in_flight());
  max_frame_payload_ = std::min(ok->max_frame_payload(), wire::kPayloadMaxLimit);
  backoff_ = options_.reconnect_backoff_initial;
  {
    std::lock_guard lock(mu_);
    session_.protocol_version = ok->protocol_version();
    std::string_view org = ok->org_id() ? ok->org_id()->string_view() : std::string_view();
    session_.org = org.empty() ? std::nullopt : Uuid::Parse(org);
    session_.server_name = ok->server_name() ? ok->server_name()->str() : "";
    session_.max_frame_payload = max_frame_payload_;
    session_.max_in_flight = max_in_flight_;
  }
  if (first_connect_ != nullptr) {
    std::exchange(first_connect_, nullptr)->set_value(Status::Ok());
  }
  Resubscribe();
  Drain();
}

// Ends `connection` if it is still the current one: an attempt that failed,
// or an established session that broke.
void Core::FailConnection(const std::shared_ptr<Connection>& connection, const Status& why) {
  if (connection != connection_) return;
  boost::system::error_code ignored;
  connection->socket.close(ignored);
  connection->resolver.cancel();
  connection->timer.cancel();
  connection_.reset();
  if (state_ == State::kConnecting) {
    OnAttemptFailed(why);
  } else {
    Drop(why);  // connected, or closing: fail what is in flight
  }
}

void Core::OnAttemptFailed(const Status& why) {
  state_ = State::kIdle;
  if (first_connect_ != nullptr) {
    std::exchange(first_connect_, nullptr)->set_value(why);
    return;
  }
  bool refused = why.code() == Code::kPermissionDenied;
  uint32_t max_attempts = options_.max_reconnect_attempts;
  std::vector<Request> failed = TakeQueued(
      [&](Request& request) { return refused || ++request.failed_connects >= max_attempts; });
  Status status =
      refused ? why
              : Status::Unavailable("could not reconnect to " + Address() + " in " +
                                    std::to_string(max_attempts) + " attempts: " + why.message());
  for (Request& request : failed) FailRequest(request, status);
  if (refused) {
    for (auto& subscription : to_resume_) subscription->End(why);
    to_resume_.clear();
  }
  if (!to_resume_.empty() || !QueueEmpty()) ScheduleReconnect();
}

// The session broke: what was in flight has an unknown outcome.
void Core::Drop(const Status& why) {
  if (state_ != State::kClosed) state_ = State::kIdle;
  deadlines_.clear();
  std::vector<std::pair<uint64_t, Pending>> lost(std::make_move_iterator(pending_.begin()),
                                                 std::make_move_iterator(pending_.end()));
  pending_.clear();
  std::sort(lost.begin(), lost.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Status unknown = Status::Unavailable("connection to " + Address() + " lost (" + why.message() +
                                       "); the outcome is unknown: retry with the same "
                                       "idempotency key");
  for (auto& [id, pending] : lost) {
    if (pending.subscription != nullptr) {
      SubscriptionState& subscription = *pending.subscription;
      if (subscription.AnswerFirst(Status::Unavailable("connection to " + Address() + " lost (" +
                                                       why.message() + ")"))) {
        continue;
      }
      if (state_ == State::kClosed) {
        subscription.End(Status::Unavailable("client closed"));
      } else if (subscription.Active()) {
        to_resume_.push_back(std::move(pending.subscription));
      }
    } else if (pending.complete && !pending.abandoned) {
      pending.complete(nullptr, unknown);
    }
  }
  if (state_ == State::kIdle && (!to_resume_.empty() || !QueueEmpty())) Connect();
}

// After a reconnect: each surviving subscription continues from the first
// sequence it has not delivered.
void Core::Resubscribe() {
  std::vector<std::shared_ptr<SubscriptionState>> resume;
  resume.swap(to_resume_);
  for (auto& subscription : resume) {
    if (!subscription->Active()) continue;
    Request request;
    request.id = NextId();
    request.reply_type = wire::Body::SubscriptionEvents;
    std::string org = subscription->org ? subscription->org->ToString() : "";
    request.frame = wire::EncodeSubscribe(request.id, org, subscription->next_seq);
    request.subscription = std::move(subscription);
    Send(std::move(request));
  }
}

}  // namespace ledger::client::internal
