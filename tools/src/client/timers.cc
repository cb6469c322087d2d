// Core: the three clocks. Request deadlines, the keepalive Ping, and the
// backoff between reconnect attempts.
#include "core.h"

namespace ledger::client::internal {

// Requests are sent in order with one timeout, so deadlines_ is sorted and
// one timer set for its front covers them all.
void Core::ArmRequestTimer() {
  if (request_timer_armed_ || deadlines_.empty()) return;
  request_timer_armed_ = true;
  request_timer_.expires_at(deadlines_.front().first);
  request_timer_.async_wait([this, hold = Hold()](boost::system::error_code error) {
    request_timer_armed_ = false;
    if (error || state_ == State::kClosed) return;
    OnRequestTimer();
  });
}

void Core::OnRequestTimer() {
  auto now = std::chrono::steady_clock::now();
  while (!deadlines_.empty() && deadlines_.front().first <= now) {
    uint64_t id = deadlines_.front().second;
    deadlines_.pop_front();
    auto found = pending_.find(id);
    if (found == pending_.end() || found->second.abandoned) continue;
    Pending& pending = found->second;
    pending.abandoned = true;  // keeps its slot until the server answers
    if (pending.complete) {
      Completion complete = std::move(pending.complete);
      pending.complete = nullptr;
      complete(nullptr, Status::Unavailable(
                            "no reply within " + std::to_string(options_.request_timeout.count()) +
                            " ms; the outcome is unknown: retry with the same idempotency key"));
    }
  }
  ArmRequestTimer();
  Drain();  // recycles the connection if timed-out requests hold every slot
}

// The server closes a connection with nothing in flight after its idle
// timeout; a Ping when nothing else was sent keeps it open.
void Core::ArmKeepalive() {
  if (options_.keepalive_interval.count() <= 0) return;
  keepalive_timer_.expires_after(options_.keepalive_interval);
  keepalive_timer_.async_wait([this, hold = Hold()](boost::system::error_code error) {
    if (error || state_ == State::kClosed) return;
    if (state_ == State::kConnected && !sent_since_keepalive_ && pending_.empty()) {
      Request ping;
      ping.id = NextId();
      ping.reply_type = wire::Body::Pong;
      ping.frame = wire::EncodePing(ping.id);
      Send(std::move(ping));
    }
    sent_since_keepalive_ = false;
    Drain();  // a request may wait for slots freed by a cancelled subscription
    ArmKeepalive();
  });
}

void Core::ScheduleReconnect() {
  state_ = State::kBackoff;
  backoff_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
  backoff_timer_.async_wait([this, hold = Hold()](boost::system::error_code error) {
    if (error || state_ != State::kBackoff) return;
    Connect();
  });
}

}  // namespace ledger::client::internal
