// Connection: reading frames, writing replies, timeouts, draining, closing.
// The requests themselves are in connection_requests.cc.
#include "connection.h"

#include <spdlog/spdlog.h>

#include "ledger/clock.h"
#include "ledger/wire/messages.h"

namespace ledger::server {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// One socket read. Small enough that a connection's decoder stays small,
// large enough that pipelined appends arrive in few reads.
constexpr size_t kReadBytes = 256 << 10;
// Frames handed to one async_write; gathering them saves system calls.
constexpr size_t kWriteFramesMax = 256;
// After a connection-level error, how long the peer gets to read it.
constexpr std::chrono::seconds kCloseGrace{5};

std::string PeerOf(const Connection::Socket& socket) {
  error_code error;
  auto endpoint = socket.remote_endpoint(error);
  if (error) return "unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

Connection::Connection(Socket socket, Strand strand, const ServerParts& parts)
    : socket_(std::move(socket)),
      strand_(std::move(strand)),
      idle_timer_(strand_),
      parts_(parts),
      peer_(PeerOf(socket_)),
      read_buffer_(kReadBytes) {}

Connection::~Connection() = default;

void Connection::Start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    error_code ignored;
    self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    self->last_frame_at_ = std::chrono::steady_clock::now();
    self->parts_.metrics->ConnectionOpened();
    self->ArmIdleTimer();
    self->Read();
  });
}

// ---------------------------------------------------------------------------
// Reading

bool Connection::Blocked() const {
  return closing_ || draining_ || waiting_for_queue_ ||
         outbound_bytes_ >= parts_.limits.max_outbound_bytes;
}

void Connection::Read() {
  if (reading_ || Blocked()) return;
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      asio::bind_executor(strand_, [self = shared_from_this()](const error_code& e, size_t n) {
        self->OnRead(e, n);
      }));
}

void Connection::OnRead(const error_code& error, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    error ? Close() : DiscardInput();
    return;
  }
  if (error) {
    if (error == asio::error::eof) {
      if (std::optional<wire::WireError> truncated = decoder_.EndOfStream()) {
        spdlog::info("{}: {}", peer_, truncated->ToString());
      }
    }
    // The peer is gone: appends in flight still commit; their replies drop.
    Close();
    return;
  }
  decoder_.Feed(read_buffer_.data(), bytes);
  Resume();
}

// Frames already buffered first, then the socket again.
void Connection::Resume() {
  ProcessFrames();
  Read();
  if (!subscriptions_.empty()) PumpSubscriptions();
}

void Connection::ProcessFrames() {
  wire::Frame frame;
  while (!Blocked()) {
    wire::FrameDecoder::Outcome outcome = decoder_.Next(&frame);
    if (outcome == wire::FrameDecoder::Outcome::kNeedMore) return;
    if (outcome == wire::FrameDecoder::Outcome::kError) {
      FailConnection(decoder_.error().code, decoder_.error().message);
      return;
    }
    last_frame_at_ = std::chrono::steady_clock::now();
    HandleFrame(frame.payload);
  }
}

void Connection::HandleFrame(const std::string& payload) {
  const wire::Message* message = nullptr;
  std::optional<wire::WireError> invalid = wire::VerifyMessage(payload, &message);
  if (invalid && !(invalid->code == wire::WireCode::kUnknownMessageType && principal_)) {
    if (!principal_ && message) {
      FailConnection(wire::WireCode::kNotAuthenticated, "the first message must be Hello");
    } else {
      FailConnection(invalid->code, invalid->message);
    }
    return;
  }
  if (!principal_) {
    HandleHello(*message);
    return;
  }
  if (TokenStillValid()) HandleRequest(*message);
}

void Connection::HandleHello(const wire::Message& message) {
  if (message.body_type() != wire::Body::Hello) {
    FailConnection(wire::WireCode::kNotAuthenticated, "the first message must be Hello");
    return;
  }
  const wire::Hello* hello = message.body_as_Hello();
  std::optional<uint16_t> version =
      wire::NegotiateVersion(hello->protocol_version(), hello->min_protocol_version());
  if (!version) {
    FailConnection(wire::WireCode::kUnsupportedProtocolVersion,
                   "this server speaks protocol versions " +
                       std::to_string(wire::kProtocolVersionMin) + " to " +
                       std::to_string(wire::kProtocolVersion));
    return;
  }
  std::string_view token = hello->token() ? hello->token()->string_view() : std::string_view();
  int64_t now = NowMicros();
  Result<Principal> principal = parts_.tokens->Authenticate(token, now);
  if (!principal.ok()) {
    spdlog::info("{}: authentication failed", peer_);
    FailConnection(wire::WireCode::kAuthenticationFailed, principal.status().message());
    return;
  }
  principal_ = std::move(principal).value();
  token_ = std::string(token);
  token_checked_at_ = std::chrono::steady_clock::now();
  decoder_.set_max_payload(parts_.limits.max_frame_payload);
  std::string org = principal_->admin ? std::string() : principal_->org.ToString();
  spdlog::debug("{}: {} authenticated with token {} ({})", peer_,
                hello->client_name() ? hello->client_name()->str() : std::string("client"),
                principal_->token_id, principal_->admin ? "admin" : org);
  Send(wire::EncodeHelloOk(message.request_id(),
                           {.protocol_version = *version,
                            .org_id = org,
                            .server_name = parts_.server_name,
                            .max_frame_payload = parts_.limits.max_frame_payload,
                            .max_in_flight = parts_.limits.max_in_flight}));
}

// A token revoked or expired after its Hello stops working at once: the
// store stats its file per call (cheap next to a request) and answers the
// same words as at Hello, so a client learns nothing more than it would then.
bool Connection::TokenStillValid() {
  int64_t now = NowMicros();
  token_checked_at_ = std::chrono::steady_clock::now();
  Result<Principal> principal = parts_.tokens->Authenticate(token_, now);
  if (principal.ok()) return true;
  spdlog::info("{}: closing: token {} was revoked or has expired", peer_, principal_->token_id);
  subscriptions_.clear();
  FailConnection(wire::WireCode::kAuthenticationFailed, principal.status().message());
  return false;
}

// ---------------------------------------------------------------------------
// Writing

void Connection::Send(std::string frame) {
  if (closed_) return;
  outbound_bytes_ += frame.size();
  outbound_.push_back(std::move(frame));
  if (!writing_) Write();
}

void Connection::Write() {
  writing_ = true;
  write_buffers_.clear();
  for (const std::string& frame : outbound_) {
    if (write_buffers_.size() == kWriteFramesMax) break;
    write_buffers_.push_back(asio::buffer(frame));
  }
  frames_in_write_ = write_buffers_.size();
  asio::async_write(
      socket_, write_buffers_,
      asio::bind_executor(
          strand_, [self = shared_from_this()](const error_code& e, size_t) { self->OnWrite(e); }));
}

void Connection::OnWrite(const error_code& error) {
  writing_ = false;
  if (closed_) return;
  if (error) {
    Close();
    return;
  }
  bool was_blocked = outbound_bytes_ >= parts_.limits.max_outbound_bytes;
  for (size_t i = 0; i < frames_in_write_; ++i) {
    outbound_bytes_ -= outbound_.front().size();
    outbound_.pop_front();
  }
  if (!outbound_.empty()) {
    Write();
  } else if (closing_) {
    Linger();
    return;
  }
  if (was_blocked && outbound_bytes_ < parts_.limits.max_outbound_bytes) {
    Resume();
  } else if (!subscriptions_.empty() && outbound_bytes_ < parts_.limits.max_outbound_bytes / 2) {
    // Subscriptions stop sending at half the output limit: go on as the
    // output drains, not only at the next commit (which may never come).
    PumpSubscriptions();
  }
}

// ---------------------------------------------------------------------------
// Errors, timeouts, draining, closing

void Connection::FailConnection(wire::WireCode code, std::string message) {
  if (closing_) return;
  parts_.metrics->WireError(code);
  spdlog::info("{}: closing: {} ({})", peer_, wire::WireCodeName(code), message);
  closing_ = true;
  Send(wire::EncodeError(0, wire::WireError{code, std::move(message)}));
  // A peer that never reads its error must not keep the connection open.
  idle_timer_.expires_after(kCloseGrace);
  idle_timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](error_code e) {
    if (!e) self->Close();
  }));
}

// The last reply is out. Closing now with unread input would make the
// kernel send a reset, which can destroy that reply before the peer reads
// it; so half-close, drop what the peer still sends until it closes too (or
// the grace timer set by FailConnection fires), then close.
void Connection::Linger() {
  if (lingering_) return;
  lingering_ = true;
  error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
  if (!reading_) DiscardInput();
}

void Connection::DiscardInput() {
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      asio::bind_executor(strand_, [self = shared_from_this()](const error_code& e, size_t n) {
        self->OnRead(e, n);
      }));
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  idle_timer_.cancel();
  for (size_t i = 0; i < subscriptions_.size(); ++i) parts_.metrics->SubscriptionEnded();
  subscriptions_.clear();
  outbound_.clear();
  outbound_bytes_ = 0;
  parts_.metrics->ConnectionClosed();
  parts_.owner->Closed(this);
}

void Connection::ForceClose() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->Close(); });
}

void Connection::ArmIdleTimer() {
  if (closing_) return;
  idle_timer_.expires_at(last_frame_at_ + parts_.limits.idle_timeout);
  idle_timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](error_code e) {
    if (!e) self->OnIdleTimer();
  }));
}

// Idle: no complete frame for the timeout, and either nothing in flight or
// a partial frame pending (a trickling client is idle however it trickles).
void Connection::OnIdleTimer() {
  if (closing_) return;
  auto deadline = last_frame_at_ + parts_.limits.idle_timeout;
  bool expired = std::chrono::steady_clock::now() >= deadline;
  if (expired && (in_flight_.empty() || decoder_.buffered_bytes() > 0)) {
    spdlog::info("{}: closing: idle for {} ms", peer_, parts_.limits.idle_timeout.count());
    Close();
    return;
  }
  if (expired) last_frame_at_ = std::chrono::steady_clock::now();
  ArmIdleTimer();
}

void Connection::BeginDrain(std::function<void()> done) {
  asio::dispatch(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->draining_ = true;
    done();
    if (self->closed_) return;
    for (auto& [id, subscription] : self->subscriptions_) {
      self->in_flight_.erase(id);
      self->parts_.metrics->SubscriptionEnded();
      self->Send(wire::EncodeError(
          id, wire::WireError{wire::WireCode::kShuttingDown, "the server is stopping"}));
    }
    self->subscriptions_.clear();
    self->MaybeFinishDrain();
  });
}

void Connection::MaybeFinishDrain() {
  if (!draining_ || appends_in_flight_ > 0 || closing_) return;
  FailConnection(wire::WireCode::kShuttingDown, "the server is stopping");
}

}  // namespace ledger::server
