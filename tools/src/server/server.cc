// Server: the acceptor, the io threads, the registry of connections, the
// sequencer, and the orderly shutdown that ties them together.
#include "ledger/server/server.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "connection.h"
#include "ledger/wire/messages.h"

namespace ledger::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
// How long Shutdown waits for connections to flush their last replies.
constexpr std::chrono::seconds kShutdownGrace{10};
}  // namespace

class Server::Impl : public ConnectionOwner {
 public:
  Impl(Ledger* ledger, const TokenStore* tokens, const ServerOptions& options)
      : options_(options), acceptor_(io_), accept_strand_(asio::make_strand(io_)) {
    parts_.ledger = ledger;
    parts_.tokens = tokens;
    parts_.owner = this;
    parts_.limits = options.limits;
    parts_.server_name = options.server_name;
    if (options_.signing_key) parts_.signing_key = &*options_.signing_key;
  }

  Status Start();
  void Shutdown();
  void Wait();
  uint16_t port() const { return port_; }
  uint16_t metrics_port() const { return metrics_ ? metrics_->port() : 0; }

  void Closed(Connection* connection) override;
  uint64_t Commits() override;
  void WantsCommits(const std::shared_ptr<Connection>& connection, uint64_t commits_seen) override;

 private:
  void Accept();
  void OnAccept(const error_code& error, tcp::socket socket);
  void Refuse(tcp::socket socket);
  void NotifySubscribers();

  ServerOptions options_;
  ServerParts parts_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Sequencer> sequencer_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  std::vector<std::weak_ptr<Connection>> subscribers_;  // waiting for a commit
  uint64_t commits_ = 0;                                // NotifySubscribers calls
  bool accepting_ = true;                               // false once Shutdown began
  bool stopped_ = false;
  std::once_flag shutdown_once_;
};

Status Server::Impl::Start() {
  Result<std::unique_ptr<Metrics>> metrics = Metrics::Start(options_.metrics_listen);
  if (!metrics.ok()) return metrics.status();
  metrics_ = std::move(metrics).value();
  parts_.metrics = metrics_.get();
  error_code error;
  asio::ip::address address = asio::ip::make_address(options_.listen_host, error);
  if (error) return Status::InvalidArgument("cannot listen on '" + options_.listen_host + "'");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return Status::IoError("cannot listen on " + options_.listen_host + ":" +
                           std::to_string(options_.port) + ": " + error.message());
  }
  port_ = acceptor_.local_endpoint().port();
  sequencer_ = std::make_unique<Sequencer>(parts_.ledger, parts_.limits, metrics_.get(),
                                           [this] { NotifySubscribers(); });
  parts_.sequencer = sequencer_.get();
  work_.emplace(io_.get_executor());
  Accept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
  return Status::Ok();
}

void Server::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_),
                         asio::bind_executor(accept_strand_, [this](error_code e, tcp::socket s) {
                           OnAccept(e, std::move(s));
                         }));
}

void Server::Impl::OnAccept(const error_code& error, tcp::socket socket) {
  if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (!error) {
    std::unique_lock lock(mutex_);
    if (!accepting_) {
      error_code ignored;
      socket.close(ignored);  // accepted just as the server began to stop
    } else if (connections_.size() >= parts_.limits.max_connections) {
      lock.unlock();
      Refuse(std::move(socket));
    } else {
      auto strand = asio::make_strand(io_);
      auto connection = std::make_shared<Connection>(std::move(socket), strand, parts_);
      connections_.emplace(connection.get(), connection);
      lock.unlock();
      connection->Start();
    }
  } else {
    // EMFILE and the like: keep serving the connections we have.
    spdlog::warn("accept failed: {}", error.message());
  }
  Accept();
}

// At the connection limit: one Error frame, then close, with no state kept.
void Server::Impl::Refuse(tcp::socket socket) {
  metrics_->ConnectionRefused();
  metrics_->WireError(wire::WireCode::kTooManyConnections);
  auto frame = std::make_shared<std::string>(wire::EncodeError(
      0, wire::WireError{wire::WireCode::kTooManyConnections,
                         "the server is at its limit of " +
                             std::to_string(parts_.limits.max_connections) + " connections"}));
  auto owned = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*owned, asio::buffer(*frame), [owned, frame](error_code, size_t) {
    error_code ignored;
    owned->shutdown(tcp::socket::shutdown_both, ignored);
    owned->close(ignored);
  });
}

void Server::Impl::Closed(Connection* connection) {
  std::lock_guard lock(mutex_);
  connections_.erase(connection);
  changed_.notify_all();
}

uint64_t Server::Impl::Commits() {
  std::lock_guard lock(mutex_);
  return commits_;
}

// A commit that landed between the connection's read of the log and this
// call found no one to wake: without the count, the subscriber would wait
// for the commit after it, which may never come.
void Server::Impl::WantsCommits(const std::shared_ptr<Connection>& connection,
                                uint64_t commits_seen) {
  {
    std::lock_guard lock(mutex_);
    if (commits_ == commits_seen) {
      subscribers_.push_back(connection);
      return;
    }
  }
  connection->NotifyCommit();
}

// Sequencer thread, after each group commit.
void Server::Impl::NotifySubscribers() {
  std::vector<std::weak_ptr<Connection>> waiting;
  {
    std::lock_guard lock(mutex_);
    ++commits_;
    waiting.swap(subscribers_);
  }
  for (const std::weak_ptr<Connection>& weak : waiting) {
    if (std::shared_ptr<Connection> connection = weak.lock()) connection->NotifyCommit();
  }
}

void Server::Impl::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    spdlog::info("shutting down: no new connections or requests; finishing appends");
    asio::post(accept_strand_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
    });
    // 1. Every connection stops reading, so no new appends reach the queue.
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(mutex_);
      accepting_ = false;
      for (auto& [raw, weak] : connections_) {
        if (auto connection = weak.lock()) open.push_back(connection);
      }
    }
    // Counted under the mutex: a count changed outside it could land between
    // the wait's check and its sleep, and that wake-up would be lost for good.
    size_t stopped_reading = 0;
    for (auto& connection : open) {
      connection->BeginDrain([&] {
        std::lock_guard counted(mutex_);
        ++stopped_reading;
        changed_.notify_all();
      });
    }
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopped_reading == open.size(); });
    }
    // 2. Everything accepted is committed and its replies are queued.
    sequencer_->Drain();
    // 3. Connections close once their replies are out (or after a grace).
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait_for(lock, kShutdownGrace, [&] { return connections_.empty(); })) {
        spdlog::warn("{} connections did not close in time; closing them", connections_.size());
        for (auto& [raw, weak] : connections_) {
          if (auto connection = weak.lock()) connection->ForceClose();
        }
        changed_.wait_for(lock, std::chrono::seconds(1), [&] { return connections_.empty(); });
      }
    }
    work_.reset();
    io_.stop();  // what is left (refusals being written) is abandoned
    for (std::thread& thread : threads_) thread.join();
    std::lock_guard lock(mutex_);
    stopped_ = true;
    changed_.notify_all();
    spdlog::info("stopped");
  });
}

void Server::Impl::Wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stopped_; });
}

Result<std::unique_ptr<Server>> Server::Start(Ledger* ledger, const TokenStore* tokens,
                                              const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(ledger, tokens, options);
  Status started = impl->Start();
  if (!started.ok()) return started;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Shutdown(); }
uint16_t Server::port() const { return impl_->port(); }
uint16_t Server::metrics_port() const { return impl_->metrics_port(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::Wait() { impl_->Wait(); }

}  // namespace ledger::server
