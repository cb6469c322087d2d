// ledgerd's network side: Boost.Asio threads own the sockets; one sequencer
// thread owns the write model and commits each group of waiting appends with
// one synced write (group commit). See schemas/PROTOCOL.md for the protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ledger/audit/signed_head.h"
#include "ledger/ledger.h"
#include "ledger/server/limits.h"
#include "ledger/server/tokens.h"

namespace ledger::server {

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port (see Server::port())
  // "127.0.0.1:9464" serves Prometheus metrics at /metrics; empty: none.
  std::string metrics_listen;
  int io_threads = 1;
  std::string server_name = "ledgerd";
  ServerLimits limits;
  // Signs every TreeHeadReply (PROTOCOL.md); none: heads go out unsigned.
  std::optional<audit::SigningKey> signing_key;
};

class Server {
 public:
  // Starts listening and serving at once. `ledger` and `tokens` must outlive
  // the server; the server is the only caller of ledger->Submit.
  static Result<std::unique_ptr<Server>> Start(Ledger* ledger, const TokenStore* tokens,
                                               const ServerOptions& options);
  ~Server();  // Shutdown()

  uint16_t port() const;
  uint16_t metrics_port() const;  // 0 without metrics

  // Stops accepting connections and requests, commits and acknowledges every
  // append already accepted, flushes the replies, closes every connection.
  // Idempotent; blocks until done.
  void Shutdown();
  // Blocks until Shutdown has finished (called from another thread or a
  // signal handler installed by the caller).
  void Wait();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger::server
