// One client connection: reads frames, answers reads and pings itself, hands
// appends to the sequencer and pushes subscription batches. Everything it
// owns is touched only on its strand, so it needs no locks.
//
// Bounded by construction (schemas/PROTOCOL.md, "Flow control"):
// - input: the frame decoder holds at most one partial frame plus one read;
//   the connection stops reading while its append is parked at a full
//   sequencer or while its unsent replies exceed max_outbound_bytes;
// - output: subscriptions read the log only while replies fit, so a client
//   that does not read pins at most about max_outbound_bytes.
#pragma once

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "ledger/audit/signed_head.h"
#include "ledger/ledger.h"
#include "ledger/server/limits.h"
#include "ledger/server/tokens.h"
#include "ledger/wire/frame.h"
#include "metrics.h"
#include "sequencer.h"

namespace ledger::server {

class Connection;

// What connections share: the server's parts and its registry of them.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  virtual void Closed(Connection* connection) = 0;
  // How many commits the server has announced; read before a subscription
  // reads the log, and handed back to WantsCommits.
  virtual uint64_t Commits() = 0;
  // The connection has a subscription waiting for new commits: the next one
  // wakes it, or at once a commit announced since `commits_seen` (which its
  // read of the log may have missed).
  virtual void WantsCommits(const std::shared_ptr<Connection>& connection,
                            uint64_t commits_seen) = 0;
};

struct ServerParts {
  Ledger* ledger = nullptr;
  const TokenStore* tokens = nullptr;
  Sequencer* sequencer = nullptr;
  Metrics* metrics = nullptr;
  ConnectionOwner* owner = nullptr;
  ServerLimits limits;
  std::string server_name;
  // Owned by the server's options; null: tree heads go out unsigned.
  const audit::SigningKey* signing_key = nullptr;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  Connection(Socket socket, Strand strand, const ServerParts& parts);
  ~Connection();

  void Start();
  // New commits may be readable: pumps waiting subscriptions. Any thread.
  void NotifyCommit();
  // Shutdown: stop reading, end subscriptions, finish appends in flight,
  // then say shutting_down and close. Any thread; `done` runs on the strand
  // as soon as the connection reads nothing more (so pushes no more appends).
  void BeginDrain(std::function<void()> done);
  // Closes at once. Any thread.
  void ForceClose();

 private:
  struct Subscription {
    std::optional<Uuid> org;  // nullopt: the global feed
    uint64_t next_seq = 1;
    bool waiting = false;  // read to the end; waits for a commit
    bool announced_caught_up = false;
  };

  // Reading and frames.
  void Read();
  void OnRead(const boost::system::error_code& error, size_t bytes);
  void Resume();
  void ProcessFrames();
  bool Blocked() const;
  void HandleFrame(const std::string& payload);
  void HandleHello(const wire::Message& message);
  void HandleRequest(const wire::Message& message);
  // Re-checks the Hello's token (revoked or expired since?); closes the
  // connection and returns false when it no longer holds.
  bool TokenStillValid();

  // Requests.
  void Append(uint64_t id, const wire::Append* append);
  // Answers a read while recovery has the log closed (Sequencer::ReadLog).
  void LogClosed(uint64_t id);
  void OnAppended(uint64_t id, std::vector<CommandResult> results,
                  std::optional<std::string> storage_failure);
  void ReadOrg(uint64_t id, const wire::ReadOrg* read);
  void TreeHead(uint64_t id, const wire::TreeHeadRequest* request);
  void OpenSealed(uint64_t id, const wire::OpenSealed* request);
  void Subscribe(uint64_t id, const wire::Subscribe* subscribe);
  void PumpSubscriptions();
  // Sends one batch; false when the subscription is waiting or ended.
  bool PumpOne(uint64_t id, Subscription& subscription);
  // The org a request names, if the token may touch it; else answers it.
  std::optional<Uuid> AuthorizedOrg(uint64_t id, const flatbuffers::String* org_id);
  void Fail(uint64_t id, const Status& status);
  void Fail(uint64_t id, wire::WireCode code, std::string message);

  // Writing and closing.
  void Send(std::string frame);
  void Write();
  void OnWrite(const boost::system::error_code& error);
  // Sends an Error for the whole connection, then closes once it is out.
  void FailConnection(wire::WireCode code, std::string message);
  void Linger();
  void DiscardInput();
  void Close();
  void ArmIdleTimer();
  void OnIdleTimer();
  void MaybeFinishDrain();

  Socket socket_;
  Strand strand_;
  boost::asio::steady_timer idle_timer_;
  const ServerParts& parts_;
  std::string peer_;

  wire::FrameDecoder decoder_{wire::kHelloPayloadMax};
  std::vector<char> read_buffer_;
  bool reading_ = false;
  std::chrono::steady_clock::time_point last_frame_at_;

  std::optional<Principal> principal_;
  std::string token_;  // the Hello's, re-checked before each request
  std::chrono::steady_clock::time_point token_checked_at_;
  std::unordered_set<uint64_t> in_flight_;
  size_t appends_in_flight_ = 0;
  bool waiting_for_queue_ = false;  // an append is parked at the sequencer
  std::map<uint64_t, Subscription> subscriptions_;
  bool pump_scheduled_ = false;

  std::deque<std::string> outbound_;
  size_t outbound_bytes_ = 0;
  bool writing_ = false;
  size_t frames_in_write_ = 0;
  std::vector<boost::asio::const_buffer> write_buffers_;

  bool draining_ = false;
  bool closing_ = false;    // no more requests; close once the output is out
  bool lingering_ = false;  // output done, half-closed, discarding input
  bool closed_ = false;
};

}  // namespace ledger::server
