// ledgerd's Prometheus metrics (prometheus-cpp), served at /metrics when a
// listen address is given. Updated per group and per connection event, never
// per byte, so they cost nothing measurable at full rate.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <span>
#include <string>

#include "ledger/commands.h"
#include "ledger/ledger.h"
#include "ledger/wire/errors.h"

namespace ledger::server {

class Metrics {
 public:
  // `listen` "127.0.0.1:9464" starts the HTTP endpoint; empty: none.
  static Result<std::unique_ptr<Metrics>> Start(const std::string& listen);
  uint16_t port() const { return port_; }

  // Sequencer thread, once per group commit.
  void GroupCommitted(size_t requests, std::span<const CommandResult> results,
                      const SubmitTiming& timing);
  void QueueDepth(size_t commands) { queue_commands_->Set(static_cast<double>(commands)); }
  // Whether the log takes writes (0 after a storage failure until recovery).
  void LogHealthy(bool healthy) {
    if (healthy) log_recoveries_->Increment();
    log_healthy_->Set(healthy ? 1 : 0);
  }

  // Network threads.
  void ConnectionOpened();
  void ConnectionClosed();
  void ConnectionRefused() { connections_refused_->Increment(); }
  void SubscriptionStarted() { subscriptions_->Increment(); }
  void SubscriptionEnded() { subscriptions_->Decrement(); }
  void WireError(wire::WireCode code);

 private:
  Metrics() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  uint16_t port_ = 0;

  prometheus::Counter* append_requests_ = nullptr;
  prometheus::Counter* commands_accepted_ = nullptr;
  prometheus::Counter* commands_replayed_ = nullptr;
  prometheus::Counter* events_appended_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejections_ = nullptr;
  // Indexed by Rule; created up front so every rule shows, even at zero.
  std::array<prometheus::Counter*, 32> rejections_by_rule_{};
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* wire_errors_ = nullptr;
  prometheus::Histogram* group_commands_ = nullptr;
  prometheus::Histogram* group_requests_ = nullptr;
  prometheus::Histogram* fsync_seconds_ = nullptr;
  prometheus::Histogram* decide_seconds_ = nullptr;
  prometheus::Gauge* queue_commands_ = nullptr;
  prometheus::Gauge* log_healthy_ = nullptr;
  prometheus::Counter* log_recoveries_ = nullptr;
  prometheus::Gauge* connections_ = nullptr;
  prometheus::Counter* connections_total_ = nullptr;
  prometheus::Counter* connections_refused_ = nullptr;
  prometheus::Gauge* subscriptions_ = nullptr;
};

}  // namespace ledger::server
