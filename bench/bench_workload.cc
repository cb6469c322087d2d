#include "bench_workload.h"

#include <algorithm>

#include "ledger/event_builder.h"

namespace ledger::bench {

Workload::Workload(std::vector<Uuid> orgs, const WorkloadOptions& options)
    : orgs_(std::move(orgs)), options_(options) {
  // The envelope, ids and FlatBuffer framing take about 170 bytes.
  constexpr size_t kFixedBytes = 170;
  size_t pad = options.event_bytes > kFixedBytes ? options.event_bytes - kFixedBytes : 0;
  padding_.assign(pad, 'x');
}

std::vector<Command> Workload::Setup() const {
  std::vector<Command> commands;
  EventBuilder builder;
  for (const Uuid& org : orgs_) {
    std::string slug = "bench-" + org.ToString();
    auto payload = fb::CreateOrganizationCreatedDirect(builder.builder(), "Bench Org", slug.c_str(),
                                                       "enterprise", "{}", 0, 0);
    EnvelopeFields envelope;
    envelope.org = org;
    envelope.actor = {fb::ActorKind::Service, "ledger-bench"};
    commands.push_back({builder.Finish(envelope, payload), std::nullopt});
  }
  return commands;
}

std::vector<Command> Workload::Batch(size_t org_index, size_t count) const {
  std::vector<Command> commands;
  commands.reserve(count);
  EventBuilder builder;
  EnvelopeFields envelope;
  envelope.org = orgs_[org_index % orgs_.size()];
  envelope.actor = {fb::ActorKind::Service, "ledger-bench"};
  std::string settings = "{\"pad\":\"" + padding_ + "\"}";
  for (size_t i = 0; i < count; ++i) {
    auto payload = fb::CreateOrganizationSettingsChangedDirect(builder.builder(), settings.c_str());
    commands.push_back({builder.Finish(envelope, payload), std::nullopt});
  }
  return commands;
}

Percentiles PercentilesOf(std::vector<double> samples) {
  Percentiles p;
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t index = static_cast<size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(index, samples.size() - 1)];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = samples.back();
  return p;
}

}  // namespace ledger::bench
