#include "metrics.h"

#include <exception>

namespace ledger::server {
namespace {

using prometheus::Histogram;

Histogram::BucketBoundaries PowersOfTwo(double first, int count) {
  Histogram::BucketBoundaries bounds;
  for (double bound = first; count-- > 0; bound *= 2) bounds.push_back(bound);
  return bounds;
}

double Seconds(int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

}  // namespace

Result<std::unique_ptr<Metrics>> Metrics::Start(const std::string& listen) {
  std::unique_ptr<Metrics> m(new Metrics());
  m->registry_ = std::make_shared<prometheus::Registry>();
  prometheus::Registry& r = *m->registry_;
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
  };
  auto histogram = [&](const char* name, const char* help, Histogram::BucketBoundaries bounds) {
    return &prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, bounds);
  };
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
  };
  m->append_requests_ = counter("ledger_append_requests_total", "Append requests committed");
  m->commands_accepted_ = counter("ledger_commands_accepted_total", "Commands accepted");
  m->commands_replayed_ =
      counter("ledger_commands_replayed_total", "Retried idempotency keys answered from memory");
  m->events_appended_ =
      counter("ledger_events_appended_total", "Events appended (commands and derived events)");
  m->rejections_ = &prometheus::BuildCounter()
                        .Name("ledger_commands_rejected_total")
                        .Help("Commands rejected, by rule")
                        .Register(r);
  for (size_t rule = 1; rule <= static_cast<size_t>(Rule::kIdempotencyMismatch); ++rule) {
    m->rejections_by_rule_[rule] =
        &m->rejections_->Add({{"rule", RuleName(static_cast<Rule>(rule))}});
  }
  m->errors_ = &prometheus::BuildCounter()
                    .Name("ledger_commands_failed_total")
                    .Help("Commands that failed with an engine error (I/O, corruption), by code")
                    .Register(r);
  m->wire_errors_ = &prometheus::BuildCounter()
                         .Name("ledger_wire_errors_total")
                         .Help("Error replies sent for bad frames, messages or tokens, by code")
                         .Register(r);
  m->group_commands_ =
      histogram("ledger_group_commands", "Commands per group commit", PowersOfTwo(1, 15));
  m->group_requests_ =
      histogram("ledger_group_requests", "Append requests per group commit", PowersOfTwo(1, 12));
  m->fsync_seconds_ =
      histogram("ledger_group_fsync_seconds",
                "Time to write and fsync one group (the log's Append)", PowersOfTwo(25e-6, 16));
  m->decide_seconds_ =
      histogram("ledger_group_decide_seconds", "Time to validate and apply one group's commands",
                PowersOfTwo(25e-6, 16));
  m->queue_commands_ = gauge("ledger_sequencer_queue_commands", "Commands waiting to be committed");
  m->log_healthy_ = gauge("ledger_log_healthy",
                          "1 while the log takes writes; 0 from a storage failure until recovery");
  m->log_healthy_->Set(1);
  m->log_recoveries_ =
      counter("ledger_log_recoveries_total", "Recoveries (log reopened) after a storage failure");
  m->connections_ = gauge("ledger_connections", "Open client connections");
  m->connections_total_ = counter("ledger_connections_total", "Client connections accepted");
  m->connections_refused_ =
      counter("ledger_connections_refused_total", "Connections refused at the connection limit");
  m->subscriptions_ = gauge("ledger_subscriptions", "Active subscriptions");
  if (!listen.empty()) {
    try {
      m->exposer_ = std::make_unique<prometheus::Exposer>(listen);
      m->exposer_->RegisterCollectable(m->registry_);
      std::vector<int> ports = m->exposer_->GetListeningPorts();
      if (!ports.empty()) m->port_ = static_cast<uint16_t>(ports.front());
    } catch (const std::exception& e) {
      return Status::InvalidArgument("cannot serve metrics on " + listen + ": " + e.what());
    }
  }
  return m;
}

void Metrics::GroupCommitted(size_t requests, std::span<const CommandResult> results,
                             const SubmitTiming& timing) {
  append_requests_->Increment(static_cast<double>(requests));
  group_requests_->Observe(static_cast<double>(requests));
  group_commands_->Observe(static_cast<double>(results.size()));
  decide_seconds_->Observe(Seconds(timing.decide_nanos));
  if (timing.appends > 0) fsync_seconds_->Observe(Seconds(timing.append_nanos / timing.appends));
  double accepted = 0, replayed = 0, events = 0;
  for (const CommandResult& result : results) {
    if (result.status.ok()) {
      result.replayed ? ++replayed : ++accepted;
      events += result.replayed ? 0 : result.event_count;
    } else if (result.status.code() == Code::kRejected) {
      size_t rule = static_cast<size_t>(result.rule);
      if (rule < rejections_by_rule_.size() && rejections_by_rule_[rule]) {
        rejections_by_rule_[rule]->Increment();
      } else {
        rejections_->Add({{"rule", "unknown"}}).Increment();
      }
    } else {
      errors_->Add({{"code", CodeName(result.status.code())}}).Increment();
    }
  }
  commands_accepted_->Increment(accepted);
  commands_replayed_->Increment(replayed);
  events_appended_->Increment(events);
}

void Metrics::ConnectionOpened() {
  connections_->Increment();
  connections_total_->Increment();
}

void Metrics::ConnectionClosed() { connections_->Decrement(); }

void Metrics::WireError(wire::WireCode code) {
  wire_errors_->Add({{"code", wire::WireCodeName(code)}}).Increment();
}

}  // namespace ledger::server
