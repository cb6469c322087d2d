// ledgerd: the ledger server. Appends commands over TCP with group commit
// and durable acknowledgements; serves reads, tree heads and subscriptions.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "ledger/audit/signed_head.h"
#include "ledger/ledger.h"
#include "ledger/server/server.h"

namespace {

struct Flags {
  std::string db;
  std::string master_key;
  std::string tokens;
  std::string listen = "127.0.0.1:7400";
  std::string metrics;
  std::string port_file;
  std::string signing_key;
  std::string log_level = "info";
  int io_threads = 1;
  uint64_t snapshot_every = ledger::limits::kSnapshotEveryDefault;
  uint32_t idle_timeout_ms = 60'000;
  ledger::server::ServerLimits limits;
};

bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    unsigned long value = std::stoul(text.substr(colon + 1));
    if (value > 65535) return false;
    *port = static_cast<uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return !host->empty();
}

int Fail(const std::string& message) {
  std::cerr << "ledgerd: " << message << "\n";
  return 1;
}

int Run(const Flags& flags) {
  ledger::server::ServerOptions options;
  if (!SplitHostPort(flags.listen, &options.listen_host, &options.port)) {
    return Fail("--listen '" + flags.listen + "' is not HOST:PORT");
  }
  options.metrics_listen = flags.metrics;
  options.io_threads = flags.io_threads;
  options.limits = flags.limits;
  options.limits.idle_timeout = std::chrono::milliseconds(flags.idle_timeout_ms);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  if (!flags.signing_key.empty()) {
    auto key = ledger::audit::LoadSigningKey(flags.signing_key);
    if (!key.ok()) return Fail(key.status().message());
    options.signing_key = *key;
    spdlog::info("signing tree heads with Ed25519 key {}",
                 ledger::audit::KeyToHex(key->public_key));
  }

  std::string tokens_path =
      flags.tokens.empty() ? ledger::server::TokenStorePath(flags.db) : flags.tokens;
  auto tokens = ledger::server::TokenStore::Open(tokens_path);
  if (!tokens.ok()) return Fail(tokens.status().ToString());

  ledger::LedgerOptions ledger_options;
  ledger_options.log.path = flags.db;
  ledger_options.log.master_key_path =
      flags.master_key.empty() ? flags.db + ".master-key" : flags.master_key;
  ledger_options.log.create_if_missing = true;
  ledger_options.log.create_master_key = true;
  ledger_options.snapshot_every = flags.snapshot_every;
  auto ledger = ledger::Ledger::Open(ledger_options);
  if (!ledger.ok()) return Fail(ledger.status().ToString());

  // Signals are taken by sigwait below, never by a handler on a random thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = ledger::server::Server::Start(ledger->get(), tokens->get(), options);
  if (!server.ok()) return Fail(server.status().ToString());
  spdlog::info("ledgerd serving {} on {}:{}{}", flags.db, options.listen_host, (*server)->port(),
               flags.metrics.empty()
                   ? std::string()
                   : ", metrics on http://" + flags.metrics.substr(0, flags.metrics.rfind(':')) +
                         ":" + std::to_string((*server)->metrics_port()) + "/metrics");
  if (!flags.port_file.empty()) {
    std::ofstream(flags.port_file + ".tmp") << (*server)->port() << "\n";
    std::rename((flags.port_file + ".tmp").c_str(), flags.port_file.c_str());
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("{}: stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "ledgerd: the ledger server. Services append commands over TCP (schemas/PROTOCOL.md);\n"
      "an append is acknowledged only after the fsync that made it durable. SIGINT or SIGTERM\n"
      "stops accepting, commits and acknowledges what was accepted, and exits 0."};
  app.add_option("--db", flags.db, "RocksDB directory of the log (created if missing)")->required();
  app.add_option("--master-key", flags.master_key,
                 "file with the master key for personal-data keys; default <db>.master-key");
  app.add_option("--tokens", flags.tokens,
                 "token store (`ledger token create`); default <db>/ledger-tokens");
  app.add_option("--listen", flags.listen, "HOST:PORT to serve; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--metrics", flags.metrics,
                 "HOST:PORT for Prometheus metrics at /metrics; default: off");
  app.add_option("--port-file", flags.port_file, "write the listening port here once serving");
  app.add_option("--signing-key", flags.signing_key,
                 "Ed25519 secret key file (`ledger keygen`): sign every tree head served");
  app.add_option("--io-threads", flags.io_threads, "threads serving sockets")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  app.add_option("--snapshot-every", flags.snapshot_every,
                 "snapshot an org's state every N events (0: never)")
      ->capture_default_str();
  auto& limits = flags.limits;
  app.add_option("--max-frame-bytes", limits.max_frame_payload, "largest request frame payload")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{1} << 16, ledger::wire::kPayloadMaxLimit));
  app.add_option("--max-commands", limits.max_commands_per_request, "commands per Append")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{1}, static_cast<uint32_t>(ledger::limits::kCommandsMax)));
  app.add_option("--max-in-flight", limits.max_in_flight, "requests in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  app.add_option("--max-connections", limits.max_connections, "open connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--idle-timeout-ms", flags.idle_timeout_ms,
                 "close a connection silent this long with nothing in flight")
      ->capture_default_str()
      ->check(CLI::Range(100, 86'400'000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  return Run(flags);
}
