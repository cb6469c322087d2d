// Core: starting and closing, the queue of requests and sending them.
#include "core.h"

#include <boost/asio/post.hpp>
#include <cassert>

namespace ledger::client::internal {

namespace asio = boost::asio;

Core::Core(ClientOptions options)
    : options_(std::move(options)),
      io_thread_(options_.io_thread ? options_.io_thread : std::make_shared<IoThread>()),
      io_(io_thread_->impl_->io),
      thread_id_(io_thread_->impl_->thread.get_id()),
      backoff_(options_.reconnect_backoff_initial),
      backoff_timer_(io_),
      request_timer_(io_),
      keepalive_timer_(io_) {}

Core::~Core() { Close(); }

Status Core::Start() {
  started_ = true;
  std::promise<Status> connected;
  std::future<Status> result = connected.get_future();
  asio::post(io_, [this, hold = Hold(), &connected] {
    first_connect_ = &connected;
    Connect();
    ArmKeepalive();
  });
  return result.get();
}

void Core::Close() {
  if (!started_) return;
  started_ = false;
  assert(!OnClientThread() && "a Client must not be destroyed from its own callback");
  std::vector<Request> queued;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queued.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    queue_bytes_ = 0;
  }
  room_.notify_all();
  asio::post(io_, [this, hold = Hold(), queued = std::move(queued)]() mutable {
    ShutDown(std::move(queued));
  });
  std::promise<void> quiet;
  asio::post(io_, [this, &quiet] { WhenQuiet(&quiet); });
  quiet.get_future().wait();
}

void Core::WhenQuiet(std::promise<void>* quiet) {
  // The aborted operations' handlers were queued when ShutDown closed the
  // socket and cancelled the timers, so they normally ran before this; a
  // name lookup cannot be aborted, and its handler comes when it ends.
  if (alive_.use_count() == 1) {
    quiet->set_value();
    return;
  }
  auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(1));
  retry->async_wait([this, retry, quiet](boost::system::error_code) { WhenQuiet(quiet); });
}

void Core::ShutDown(std::vector<Request> queued) {
  state_ = State::kClosed;
  backoff_timer_.cancel();
  request_timer_.cancel();
  keepalive_timer_.cancel();
  if (connection_ != nullptr) FailConnection(connection_, Status::Unavailable("client closed"));
  Status closed = Status::Unavailable("the client was closed before the request was sent");
  for (Request& request : queued) FailRequest(request, closed);
  for (auto& subscription : to_resume_) {
    if (!subscription->AnswerFirst(closed)) subscription->End(Status::Unavailable("client closed"));
  }
  to_resume_.clear();
}

SessionInfo Core::session() const {
  std::lock_guard lock(mu_);
  return session_;
}

void Core::Submit(Request request) {
  std::unique_lock lock(mu_);
  while (!closed_ && QueueFull(request.frame.size())) {
    if (OnClientThread()) {
      lock.unlock();
      FailRequest(request,
                  Status::LimitExceeded("the client's request queue is full (" +
                                        std::to_string(options_.queue_requests_max) +
                                        " requests or " + std::to_string(options_.queue_bytes_max) +
                                        " bytes) and a callback must not wait for room"));
      return;
    }
    room_.wait(lock);
  }
  if (closed_) {
    lock.unlock();
    FailRequest(request, Status::Unavailable("the client is closed"));
    return;
  }
  queue_bytes_ += request.frame.size();
  queue_.push_back(std::move(request));
  if (!drain_posted_) {
    drain_posted_ = true;
    asio::post(io_, [this, hold = Hold()] { Drain(); });
  }
}

bool Core::QueueFull(size_t frame_bytes) const {
  if (queue_.empty()) return false;  // one request of any size always fits
  return queue_.size() >= options_.queue_requests_max ||
         queue_bytes_ + frame_bytes > options_.queue_bytes_max;
}

bool Core::QueueEmpty() const {
  std::lock_guard lock(mu_);
  return queue_.empty();
}

std::vector<Request> Core::TakeQueued(const std::function<bool(Request&)>& take) {
  std::vector<Request> taken;
  {
    std::lock_guard lock(mu_);
    std::deque<Request> kept;
    for (Request& request : queue_) {
      if (take(request)) {
        queue_bytes_ -= request.frame.size();
        taken.push_back(std::move(request));
      } else {
        kept.push_back(std::move(request));
      }
    }
    queue_.swap(kept);
  }
  if (!taken.empty()) room_.notify_all();
  return taken;
}

// Moves queued requests onto the wire while in-flight slots are free. Called
// after each Submit (once per burst), each reply and each new connection.
void Core::Drain() {
  std::vector<Request> batch;
  bool connect = false;
  {
    std::lock_guard lock(mu_);
    drain_posted_ = false;
    connect = state_ == State::kIdle && !queue_.empty();
    while (state_ == State::kConnected && !queue_.empty() &&
           pending_.size() + batch.size() < max_in_flight_) {
      queue_bytes_ -= queue_.front().frame.size();
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (connect) Connect();
  if (batch.empty()) {
    if (state_ == State::kConnected && !QueueEmpty() && SlotsHeldOnlyByTheDead()) {
      FailConnection(connection_,
                     Status::Unavailable("recycling the connection: its in-flight slots are held "
                                         "by cancelled subscriptions or timed-out requests"));
    }
    return;
  }
  room_.notify_all();
  for (Request& request : batch) {
    size_t payload = request.frame.size() - wire::kHeaderBytes;
    if (payload > max_frame_payload_) {
      FailRequest(request, Status::LimitExceeded(
                               "request of " + std::to_string(payload) +
                               " bytes exceeds the server's max_frame_payload of " +
                               std::to_string(max_frame_payload_) + ": send fewer commands"));
      continue;
    }
    Send(std::move(request));
  }
}

// The server keeps a cancelled subscription, and a request that timed out
// here, in flight until the connection closes. When they hold every slot and
// nothing else would be lost (active subscriptions resume without a gap), a
// new connection is the only way to free them.
bool Core::SlotsHeldOnlyByTheDead() {
  if (pending_.size() < max_in_flight_) return false;
  size_t dead = 0;
  for (auto& [id, pending] : pending_) {
    if (pending.subscription != nullptr) {
      dead += !pending.subscription->Active();
    } else if (pending.abandoned) {
      ++dead;
    } else {
      return false;  // a live request: recycling would make its outcome unknown
    }
  }
  return dead > 0;
}

void FailRequest(Request& request, const Status& status) {
  if (request.subscription != nullptr) {
    request.subscription->AnswerFirst(status);
  } else if (request.complete) {
    request.complete(nullptr, status);
  }
}

}  // namespace ledger::client::internal
