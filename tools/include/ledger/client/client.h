// The C++ client of ledgerd (schemas/PROTOCOL.md): append commands, read an
// org's events, follow a feed, fetch tree heads, open sealed personal fields,
// over one TCP connection.
//
//   ClientOptions options;
//   LEDGER_RETURN_IF_ERROR(ParseAddress("127.0.0.1:7400", &options));
//   options.token = token;
//   Result<std::unique_ptr<Client>> client = Client::Connect(options);
//   Result<std::vector<CommandResult>> results = (*client)->Append(commands);
//
// Threading: one background thread (the "client thread") owns the socket and
// runs every callback: the client's own, or an IoThread that many clients
// share (ClientOptions::io_thread). All public methods may be called from any thread, but
// the blocking ones (Append, ReadOrg, TreeHead, OpenSealed, Ping, Subscribe,
// the destructor) must not be called from a callback: they would wait for the
// thread that is running them (they return kFailedPrecondition instead).
// Callbacks must be cheap: they delay every other reply.
//
// Pipelining: each request gets a fresh non-zero request_id (ids are never
// reused within a Client); replies are matched by id and may arrive in any
// order. At most HelloOk.max_in_flight requests (subscriptions included) are
// on the wire; further requests wait in a local FIFO queue of at most
// ClientOptions::queue_requests_max requests and queue_bytes_max encoded
// bytes. A caller that finds the queue full blocks until there is room (a
// callback, which must not block, gets kLimitExceeded instead). Requests are
// sent in the order they were queued, so the Appends of one thread are
// decided in the order they were made.
//
// Failures: a request whose connection drops before its reply fails with
// kUnavailable ("connection lost ...; the outcome is unknown"): it may or may
// not have been applied, so retry Appends with the same idempotency keys
// (Envelope.idempotency_key). The next request reconnects (and says Hello
// again) with exponential backoff; after max_reconnect_attempts failed
// attempts the requests waiting for it fail with kUnavailable. Server errors
// map to a Status: ledger codes (below 100) as they are; wire codes keep their
// name and number in the message ("forbidden (112): ...") with the code
// authentication_failed/forbidden -> kPermissionDenied, too_many_in_flight
// -> kLimitExceeded, shutting_down/unhealthy -> kUnavailable, internal ->
// kInternal, any other -> kInvalidArgument.
//
// Subscriptions survive reconnects: the client re-subscribes from the last
// sequence it delivered + 1, so a callback sees every event once, in order,
// with no gap, even across server restarts.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/commands.h"
#include "ledger/event_log.h"
#include "ledger/status.h"
#include "ledger/stored_event.h"
#include "ledger/subject_keys.h"
#include "ledger/uuid.h"

namespace ledger::client {

namespace internal {
class Core;
}  // namespace internal

// One thread running the network I/O (and the callbacks) of every Client
// given it in ClientOptions::io_thread. A process holding many connections
// (a load generator, a service fanning out) then has one event loop instead
// of a thread per connection: one wake-up serves every reply that arrived
// together, where 64 threads on two cores were each woken per reply. A
// callback of one of these clients counts as "on the client thread" for all
// of them, so none of their blocking calls may be made from it. Each Client
// holds the IoThread; the thread stops when the last one is gone.
class IoThread {
 public:
  IoThread();   // starts the thread
  ~IoThread();  // joins it. REQUIRES: not called on it (see above)
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

 private:
  friend class internal::Core;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;
  std::string client_name = "ledger-client";  // for the server's logs
  // The thread to run on, shared with other clients; null: a thread of its own.
  std::shared_ptr<IoThread> io_thread;

  // TCP connect plus handshake, per attempt.
  std::chrono::milliseconds connect_timeout{5'000};
  // A request without its reply this long fails with kUnavailable (outcome
  // unknown); its id stays reserved (and counts as in flight) until the
  // late reply arrives. 0: wait as long as the connection lives.
  // Subscriptions never time out.
  std::chrono::milliseconds request_timeout{0};

  // Reconnecting: the first retry comes at once, then after
  // reconnect_backoff_initial, doubling up to reconnect_backoff_max. A
  // queued request fails after max_reconnect_attempts failed attempts
  // (about 11 s with the defaults); subscriptions keep retrying at
  // reconnect_backoff_max until cancelled, or until the server refuses the
  // token.
  std::chrono::milliseconds reconnect_backoff_initial{50};
  std::chrono::milliseconds reconnect_backoff_max{2'000};
  uint32_t max_reconnect_attempts = 10;

  // The local queue of requests waiting for an in-flight slot or a
  // connection. 64 MiB bounds what a fast producer can pin; 10,000 requests
  // cover 40 full windows of ledgerd's default max_in_flight (256).
  size_t queue_requests_max = 10'000;
  size_t queue_bytes_max = size_t{64} << 20;

  // With nothing sent for this long, the client sends a Ping so that the
  // server's idle timeout (60 s by default) does not close the connection
  // under a request about to be made. 0: never.
  std::chrono::milliseconds keepalive_interval{20'000};
};

// Sets options->host and ->port from "HOST:PORT" or "[IPv6]:PORT".
Status ParseAddress(std::string_view text, ClientOptions* options);

// What the server said in HelloOk on the current (or last) connection.
struct SessionInfo {
  uint16_t protocol_version = 0;
  std::optional<Uuid> org;  // nullopt: an admin token
  std::string server_name;
  uint32_t max_frame_payload = 0;
  uint32_t max_in_flight = 0;
};

// A tree head with the server's signature fields (PROTOCOL.md,
// TreeHeadReply). key and signature are empty (timestamp 0) when the server
// does not sign heads; otherwise 32 and 64 bytes, not yet verified
// (ledger::audit::VerifyHeadSignature does).
struct SignedTreeHeadReply {
  uint64_t size = 0;
  Digest root{};
  int64_t timestamp = 0;  // microseconds since the epoch
  std::string key;
  std::string signature;
};

using AppendCallback = std::function<void(Result<std::vector<CommandResult>>)>;
// A batch of events in feed order: org_seq for an org feed, global_seq for
// the global feed. caught_up: the server had nothing more stored when it
// read this batch (set at least once, possibly on an empty batch).
using EventsCallback = std::function<void(std::span<const StoredEvent> events, bool caught_up)>;
// Why a subscription ended: the server refused or ended it (kPermissionDenied
// for forbidden, ...), the token was refused on reconnect, an event out of
// order (kInternal), or the client closed (kUnavailable). Never called after
// the handle is destroyed.
using EndCallback = std::function<void(const Status&)>;

namespace internal {
struct SubscriptionState;
}  // namespace internal

// A live subscription. Destroying it (or Cancel) stops delivery at once: no
// callback runs after Cancel returns, unless Cancel is called from that very
// callback, in which case none runs after the callback returns. Version 1 of
// the protocol has no unsubscribe message: the server keeps the subscription
// (and its in-flight slot) until the connection closes; the client drops
// its batches and does not resume it after a reconnect. When such slots (and
// those of timed-out requests) are all that keeps a queued request waiting,
// the client reconnects to free them: at once if that request arrives after
// the Cancel, else at the next keepalive tick.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  void Cancel();
  // The last sequence delivered to on_events (0 before any).
  uint64_t last_delivered_seq() const;

 private:
  friend class Client;
  explicit Subscription(std::shared_ptr<internal::SubscriptionState> state);
  std::shared_ptr<internal::SubscriptionState> state_;
};

class Client {
 public:
  // Connects, says Hello and waits for HelloOk: one attempt, no retry.
  // kUnavailable if the server cannot be reached in connect_timeout,
  // kPermissionDenied if it refuses the token.
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  // Closes the connection: requests in flight or queued fail with
  // kUnavailable, subscriptions end (on_end, kUnavailable); then joins the
  // client thread. REQUIRES: not called from a callback.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  SessionInfo session() const;

  // One Append request holding `commands` (at most 10,000, and at most
  // HelloOk.max_frame_payload encoded). The frame is encoded here, on the
  // caller's thread; `done` runs on the client thread with one result per
  // command, in order.
  void AppendAsync(std::vector<Command> commands, AppendCallback done);
  std::future<Result<std::vector<CommandResult>>> AppendAsync(std::vector<Command> commands);
  Result<std::vector<CommandResult>> Append(std::span<const Command> commands);

  // Up to max_events (0: the server's default) of the org's events from
  // from_seq on; empty when there are none yet. kNotFound for an org
  // without events.
  Result<std::vector<StoredEvent>> ReadOrg(const Uuid& org, uint64_t from_seq,
                                           uint32_t max_events = 0);
  // The org's tree head at `size` events (0: now).
  Result<::ledger::TreeHead> TreeHead(const Uuid& org, uint64_t size = 0);
  // The same, with the signature of a ledgerd started with --signing-key.
  Result<SignedTreeHeadReply> SignedTreeHead(const Uuid& org, uint64_t size = 0);
  // Opens sealed personal fields, as stored in events (wire::ToSealedValue
  // converts a ledger.fb.Sealed). Admin tokens only (kPermissionDenied). One
  // result per value, in order: the plaintext, or nullopt if the subject was
  // forgotten (erased for good). At most the server's commands-per-request
  // limit (10,000 by default; kLimitExceeded). All or nothing: a value that
  // does not open (tampered, or not sealed by this ledger) fails the call
  // with kInvalidArgument naming its index ("value 3: ...").
  Result<std::vector<std::optional<std::string>>> OpenSealed(std::span<const SealedValue> values);
  Status Ping();

  // Follows one org's feed (org set) or the global feed (nullopt; admin
  // tokens only) from from_seq (1-based; 0 means 1) on: first what is
  // stored, then each event as it is committed. Returns once the server
  // accepted it (its first batch, delivered to on_events, possibly before
  // this returns) or refused it (the error; on_end is then not called).
  Result<std::unique_ptr<Subscription>> Subscribe(std::optional<Uuid> org, uint64_t from_seq,
                                                  EventsCallback on_events, EndCallback on_end);

 private:
  explicit Client(std::unique_ptr<internal::Core> core);
  std::unique_ptr<internal::Core> core_;
};

}  // namespace ledger::client
