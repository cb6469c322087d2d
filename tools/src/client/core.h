// The client's engine room: the socket, the queue of requests waiting to be
// sent, the requests in flight and the reconnect loop, run on the client
// thread (an IoThread, its own or shared). Client (client.h) is a typed
// facade over it.
//
// Ownership and threads: everything below "client thread only" is touched
// only by the client thread (the one running io_). Callers on other threads
// reach it through Submit, which queues under mu_ and posts one Drain for
// any number of queued requests. Callbacks run on the client thread with no
// lock held.
//
// Lifetime: a shared IoThread outlives the Core, so every handler that
// touches the Core holds a copy of alive_ (Hold()), and Close returns only
// once the aborted handlers have run and released theirs.
#pragma once

// clang-format off: <utility> must come before any Asio header (Boost 1.74
// with g++ 12 in C++20: awaitable.hpp uses std::exchange without it).
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ledger/client/client.h"
#include "ledger/wire/frame.h"
#include "ledger/wire/messages.h"

namespace ledger::client {

struct IoThread::Impl {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
};

}  // namespace ledger::client

namespace ledger::client::internal {

// The final answer to a request: its reply (already checked to be of the
// expected body type) or, with reply null, why there is none.
using Completion = std::function<void(const wire::Message* reply, const Status& status)>;

// Shared by a Subscription handle and the client thread.
struct SubscriptionState {
  // Fixed at creation.
  std::optional<Uuid> org;  // nullopt: the global feed
  EventsCallback on_events;
  EndCallback on_end;
  std::thread::id client_thread;

  // Client thread only.
  uint64_t next_seq = 1;  // the first sequence not yet delivered
  // Set until the server first answers; Subscribe() waits on it.
  std::function<void(const Status&)> on_first_reply;
  bool ended = false;

  // Guarded by mu: the handle's side.
  std::mutex mu;
  std::condition_variable idle;
  bool cancelled = false;
  bool delivering = false;  // a callback is running
  std::atomic<uint64_t> last_delivered{0};

  // Runs fn (a user callback) unless the handle was cancelled; a Cancel from
  // another thread waits for it to return.
  void RunUnlessCancelled(const std::function<void()>& fn);
  // Ends the subscription once: on_end(status) unless cancelled.
  void End(const Status& status);
  // Answers Subscribe() if it still waits; true if it did.
  bool AnswerFirst(const Status& status);
  // Delivers a batch in order, dropping events delivered before (a resumed
  // subscription) and refusing a gap or an event of another org.
  Status Deliver(const wire::SubscriptionEvents& batch);
  bool Active();  // neither ended nor cancelled
};

struct Request {
  uint64_t id = 0;
  wire::Body reply_type = wire::Body::NONE;
  std::string frame;
  Completion complete;                              // null: nobody waits (a keepalive Ping)
  std::shared_ptr<SubscriptionState> subscription;  // a Subscribe
  uint32_t failed_connects = 0;                     // attempts that failed while it waited
};

// Fails a request that never reached the server (or whose connection
// dropped): its completion, or its Subscribe() call.
void FailRequest(Request& request, const Status& status);

// The Status for an Error(code, message) from the server (client.h).
Status StatusFromError(uint16_t code, std::string_view message);

class Core {
 public:
  explicit Core(ClientOptions options);
  ~Core();  // Close()

  // Makes the first connection (one attempt).
  Status Start();
  // Any thread but the client thread; idempotent. Fails everything pending,
  // ends subscriptions, and waits until no handler of this Core is left.
  void Close();

  // Queues a request; blocks while the queue is full (fails at once on the
  // client thread). Any thread.
  void Submit(Request request);
  uint64_t NextId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  bool OnClientThread() const { return std::this_thread::get_id() == thread_id_; }
  std::thread::id client_thread() const { return thread_id_; }
  SessionInfo session() const;

 private:
  struct Connection;
  struct Pending {
    wire::Body reply_type = wire::Body::NONE;
    Completion complete;
    std::shared_ptr<SubscriptionState> subscription;
    bool abandoned = false;  // timed out: its answer is dropped when it comes
  };
  enum class State { kIdle, kConnecting, kConnected, kBackoff, kClosed };

  // core.cc: the queue.
  void Drain();
  bool QueueFull(size_t frame_bytes) const;  // REQUIRES: mu_ held
  bool QueueEmpty() const;
  std::vector<Request> TakeQueued(const std::function<bool(Request&)>& take);
  void Send(Request request);
  bool SlotsHeldOnlyByTheDead();
  void ShutDown(std::vector<Request> queued);
  // Fulfils `quiet` once only alive_ itself holds the token.
  void WhenQuiet(std::promise<void>* quiet);
  std::shared_ptr<const void> Hold() const { return alive_; }

  // timers.cc: request timeouts, keepalive, backoff.
  void ArmRequestTimer();
  void OnRequestTimer();
  void ArmKeepalive();
  void ScheduleReconnect();

  // connection.cc: connecting, the handshake, reading and writing.
  void Connect();
  void StartWrite();
  void StartRead(const std::shared_ptr<Connection>& connection);
  void OnBytes(const std::shared_ptr<Connection>& connection, size_t bytes);
  void OnHelloReply(const wire::Message& message);
  void FailConnection(const std::shared_ptr<Connection>& connection, const Status& why);
  void OnAttemptFailed(const Status& why);
  void Drop(const Status& why);
  void Resubscribe();
  std::string Address() const;

  // dispatch.cc: replies.
  void OnMessage(const wire::Message& message);
  void OnSubscriptionMessage(uint64_t id, Pending& pending, const wire::Message& message);

  const ClientOptions options_;
  const std::shared_ptr<IoThread> io_thread_;  // first: destroyed after the timers
  boost::asio::io_context& io_;
  const std::thread::id thread_id_;
  const std::shared_ptr<const void> alive_ = std::make_shared<int>(0);
  bool started_ = false;  // Start was called and Close not yet
  std::atomic<uint64_t> next_id_{1};

  // Shared with callers.
  mutable std::mutex mu_;
  std::condition_variable room_;  // the queue has room, or the client closed
  std::deque<Request> queue_;
  size_t queue_bytes_ = 0;
  bool drain_posted_ = false;
  bool closed_ = false;
  SessionInfo session_;

  // Client thread only.
  State state_ = State::kIdle;
  std::shared_ptr<Connection> connection_;
  std::unordered_map<uint64_t, Pending> pending_;
  std::vector<std::shared_ptr<SubscriptionState>> to_resume_;
  uint32_t max_in_flight_ = 1;
  uint32_t max_frame_payload_ = wire::kPayloadMaxDefault;
  std::promise<Status>* first_connect_ = nullptr;
  std::chrono::milliseconds backoff_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer request_timer_;
  bool request_timer_armed_ = false;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> deadlines_;
  boost::asio::steady_timer keepalive_timer_;
  bool sent_since_keepalive_ = false;
};

}  // namespace ledger::client::internal
