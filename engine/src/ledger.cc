// Ledger::Submit: decide every command against hot state, then one append.
#include "ledger/ledger.h"

#include <algorithm>
#include <chrono>

#include "ledger/apply.h"
#include "ledger/event_builder.h"
#include "ledger_impl.h"
#include "record.h"
#include "seal_requests.h"

namespace ledger {
namespace {

// A chunk is committed early when fewer than this many events of room are
// left in the batch limit: more than any one command implies but a very
// large offboarding cascade.
constexpr size_t kChunkHeadroomEvents = 1024;

int64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              start)
      .count();
}

CommandResult Rejected(Rule rule, const std::string& message) {
  CommandResult result;
  result.rule = rule;
  result.status = Status::Rejected(std::string(RuleName(rule)) + ": " + message);
  return result;
}

}  // namespace

Result<Uuid> CommandOrg(const Command& command) {
  Uuid org;
  Status valid = record::CheckEvent(command.event, &org);
  if (!valid.ok()) return valid;
  return org;
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const LedgerOptions& options) {
  Result<std::unique_ptr<EventLog>> log = EventLog::Open(options.log);
  if (!log.ok()) return log.status();
  EventLog* raw = log->get();
  auto impl = std::make_unique<Impl>(options, std::move(log).value());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl), raw));
}

Ledger::Ledger(std::unique_ptr<Impl> impl, EventLog* log) : impl_(std::move(impl)), log_(log) {}
Ledger::~Ledger() = default;

std::vector<CommandResult> Ledger::Submit(std::span<const Command> commands, SubmitTiming* timing) {
  return impl_->Submit(commands, timing);
}

LedgerStats Ledger::stats() const { return impl_->stats(); }

Result<State> Ledger::CurrentState(const Uuid& org) { return impl_->CurrentState(org); }

void Ledger::WaitForSnapshots() { impl_->WaitForSnapshots(); }

Status Ledger::Recover() { return impl_->Recover(); }

Status Ledger::Impl::Recover() {
  WaitForSnapshots();  // the snapshot thread reads the log
  hot_.clear();
  lru_.clear();
  hot_bytes_ = 0;
  {
    std::lock_guard lock(stats_mutex_);
    stats_.hot_orgs = 0;
    stats_.hot_bytes = 0;
  }
  return log_->Reopen();
}

Result<State> Ledger::Impl::CurrentState(const Uuid& org) {
  Result<Hot*> hot = Load(org);
  if (!hot.ok()) return hot.status();
  return (*hot)->state;
}

Result<Ledger::Impl::Hot*> Ledger::Impl::Load(const Uuid& org) {
  auto it = hot_.find(org);
  if (it != hot_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return &it->second;
  }
  Result<State> state = LoadState(*log_, org, UINT64_MAX);
  if (!state.ok()) return state.status();
  // A crash between appending SubjectForgotten and destroying the key
  // leaves the key behind: finish the job now.
  for (const Uuid& subject : state->forgotten_subjects) {
    if (!log_->subject_keys().IsForgotten(subject)) {
      LEDGER_RETURN_IF_ERROR(log_->subject_keys().Forget(subject));
    }
  }
  lru_.push_front(org);
  Hot& hot = hot_[org];
  hot.state = std::move(state).value();
  hot.lru = lru_.begin();
  hot.accounted_bytes = hot.state.approx_bytes;
  hot_bytes_ += hot.accounted_bytes;
  std::lock_guard lock(stats_mutex_);
  ++stats_.orgs_loaded;
  return &hot;
}

void Ledger::Impl::Evict(const Uuid& org) {
  auto it = hot_.find(org);
  if (it == hot_.end()) return;
  hot_bytes_ -= it->second.accounted_bytes;
  lru_.erase(it->second.lru);
  hot_.erase(it);
  std::lock_guard lock(stats_mutex_);
  ++stats_.orgs_evicted;
}

void Ledger::Impl::EnforceBound() {
  for (const Uuid& org : touched_) {
    Hot& hot = hot_.at(org);
    hot_bytes_ += hot.state.approx_bytes - hot.accounted_bytes;
    hot.accounted_bytes = hot.state.approx_bytes;
  }
  // Keep at least the most recent org even if it alone exceeds the bound.
  while (hot_bytes_ > options_.state_cache_bytes && lru_.size() > 1) Evict(lru_.back());
}

std::optional<std::string> Ledger::Impl::Directory(const std::string& key) {
  auto pending = pending_directory_.find(key);
  if (pending != pending_directory_.end()) return pending->second;
  Result<std::optional<std::string>> stored = log_->GetDirectory(key);
  return stored.ok() ? *stored : std::nullopt;
}

std::optional<Uuid> Ledger::Impl::OrgWithSlug(std::string_view slug) {
  std::optional<std::string> value = Directory(directory::SlugKey(slug));
  if (!value || value->size() != 16) return std::nullopt;
  return Uuid::FromBytes(*value);
}

std::optional<Lookups::TemplateListing> Ledger::Impl::FindTemplate(const Uuid& id) {
  std::optional<std::string> value = Directory(directory::TemplateKey(id));
  if (!value) return std::nullopt;
  return directory::DecodeListing(*value);
}

bool Ledger::Impl::IsForgotten(const Uuid& subject) {
  if (std::find(forget_.begin(), forget_.end(), subject) != forget_.end()) return true;
  return log_->subject_keys().IsForgotten(subject);
}

std::optional<std::string> Ledger::Impl::Open(const fb::Sealed& sealed) {
  Result<std::optional<std::string>> opened = log_->subject_keys().Open(sealed);
  return opened.ok() ? *opened : std::nullopt;
}

void Ledger::Impl::DecideOne(const Command& command, int64_t now, CommandResult* result) {
  Uuid org;
  Status valid = record::CheckEvent(command.event, &org);
  if (!valid.ok()) {
    *result = Rejected(Rule::kMalformed, valid.message());
    return;
  }
  Result<Hot*> loaded = Load(org);
  if (!loaded.ok()) {
    result->status = loaded.status();
    return;
  }
  State& state = (*loaded)->state;
  // Personal fields the client asked us to seal are sealed before anything
  // else looks at the event: only ciphertext is decided, hashed and stored.
  std::string_view bytes = command.event;
  if (HasSealRequests(*fb::GetEvent(bytes.data()))) {
    std::string& sealed = owned_.emplace_back(command.event);
    if (Status status = FulfilSealRequests(&sealed, log_->subject_keys()); !status.ok()) {
      *result = Rejected(status.code() == Code::kFailedPrecondition ? Rule::kSubjectForgotten
                                                                    : Rule::kInvalidValue,
                         status.message());
      return;
    }
    bytes = sealed;
    // Sealing rewrote bytes in place; a hostile event can make it rewrite the
    // org id too (seal_requests.cc), and Decide requires the state's org.
    Uuid sealed_org;
    if (Status again = record::CheckEvent(bytes, &sealed_org); !again.ok() || sealed_org != org) {
      *result = Rejected(Rule::kMalformed, "sealing changed the event's envelope");
      return;
    }
  }
  const fb::Event& event = *flatbuffers::GetRoot<fb::Event>(bytes.data());
  // A retried command returns its first result (see Envelope.idempotency_key).
  if (const flatbuffers::String* key = event.envelope()->idempotency_key(); key && key->size()) {
    auto seen = state.idempotency.find(key->str());
    if (seen != state.idempotency.end()) {
      if (seen->second.content_hash != ContentHash(event)) {
        *result = Rejected(Rule::kIdempotencyMismatch,
                           "idempotency key '" + key->str() + "' was used by org seq " +
                               std::to_string(seen->second.first_seq) + " for other content");
        return;
      }
      result->first_seq = seen->second.first_seq;
      result->event_count = seen->second.event_count;
      result->replayed = true;
      return;
    }
  }
  // After the idempotency check: a retry of a command that was appended
  // must learn that it was, not that the org moved on (because of it).
  if (command.expected_version && *command.expected_version != state.version) {
    *result = Rejected(Rule::kVersionConflict,
                       "org " + org.ToString() + " is at version " + std::to_string(state.version) +
                           ", the command expected " + std::to_string(*command.expected_version));
    return;
  }
  Decision decision;
  if (Verdict rejection = Decide(state, event, *this, &decision)) {
    *result = Rejected(rejection->rule, rejection->message);
    return;
  }
  // Accepted: apply now so later commands in this Submit see it. Positions
  // are those the log will assign (AppendOptions::now).
  auto apply = [&](std::string_view bytes) {
    Position at{org, state.version + 1, 0, std::max(now, state.recorded_at + 1)};
    Apply(state, *flatbuffers::GetRoot<fb::Event>(bytes.data()), at);
    result->positions.push_back(at);
    events_.push_back(bytes);
  };
  apply(bytes);
  for (std::string& derived : decision.derived) apply(owned_.emplace_back(std::move(derived)));
  result->first_seq = result->positions.front().org_seq;
  result->event_count = static_cast<uint32_t>(result->positions.size());
  for (DirectoryEntry& entry : decision.directory) {
    pending_directory_[entry.key] = entry.value;
    directory_.push_back({std::move(entry.key), std::move(entry.value)});
  }
  if (decision.forget) forget_.push_back(*decision.forget);
  touched_.push_back(org);
}

void Ledger::Impl::ResetPending() {
  events_.clear();
  owned_.clear();
  directory_.clear();
  pending_directory_.clear();
  forget_.clear();
  touched_.clear();
}

std::vector<CommandResult> Ledger::Impl::Submit(std::span<const Command> commands,
                                                SubmitTiming* timing) {
  std::vector<CommandResult> results(commands.size());
  if (commands.size() > limits::kCommandsMax) {
    Status too_many =
        Status::LimitExceeded(std::to_string(commands.size()) + " commands exceed the limit of " +
                              std::to_string(limits::kCommandsMax));
    for (CommandResult& result : results) result.status = too_many;
    return results;
  }
  SubmitTiming unused;
  if (timing == nullptr) timing = &unused;
  ResetPending();
  const size_t headroom = std::min(kChunkHeadroomEvents, options_.batch_events_max / 2);
  size_t chunk_begin = 0;
  int64_t now = options_.log.Now();
  auto started = std::chrono::steady_clock::now();
  for (size_t i = 0; i < commands.size(); ++i) {
    // Room for the largest plausible command (an offboarding cascade).
    if (i > chunk_begin && events_.size() + headroom > options_.batch_events_max) {
      std::span<CommandResult> chunk(results.data() + chunk_begin, i - chunk_begin);
      timing->decide_nanos += NanosSince(started);
      if (Status failed = CommitPending(chunk, now, timing); !failed.ok()) {
        for (size_t j = i; j < results.size(); ++j) results[j].status = failed;
        return results;
      }
      ResetPending();
      chunk_begin = i;
      now = options_.log.Now();
      started = std::chrono::steady_clock::now();
    }
    DecideOne(commands[i], now, &results[i]);
  }
  timing->decide_nanos += NanosSince(started);
  // A failure is already in the results of the commands it concerns.
  (void)CommitPending(std::span(results).subspan(chunk_begin), now, timing);
  return results;
}

Status Ledger::Impl::CommitPending(std::span<CommandResult> results, int64_t now,
                                   SubmitTiming* timing) {
  auto accepted = [](const CommandResult& r) { return r.status.ok() && !r.replayed; };
  auto started = std::chrono::steady_clock::now();
  Result<std::vector<Position>> appended = log_->Append(events_, {directory_, now});
  timing->append_nanos += NanosSince(started);
  ++timing->appends;
  bool positions_match = appended.ok();
  if (appended.ok()) {
    size_t next = 0;
    for (CommandResult& result : results) {
      if (!accepted(result)) continue;
      for (Position& at : result.positions) {
        const Position& real = (*appended)[next++];
        positions_match &= real.org_seq == at.org_seq && real.recorded_at == at.recorded_at;
        at.global_seq = real.global_seq;
      }
    }
  }
  if (!positions_match) {
    // Hot states ran ahead of the log; drop them so they reload from disk.
    for (const Uuid& org : touched_) Evict(org);
    Status failed = appended.ok()
                        ? Status::Corruption("log assigned other positions than the write model")
                        : appended.status();
    for (CommandResult& result : results) {
      if (accepted(result)) {
        result.status = failed;
        result.positions.clear();
        result.first_seq = 0;
        result.event_count = 0;
      }
    }
    return failed;
  }
  // Destroy keys only once the SubjectForgotten event is durable. A failure
  // is retried on the next Submit (and on the org's next load).
  unfinished_forgets_.insert(unfinished_forgets_.end(), forget_.begin(), forget_.end());
  std::erase_if(unfinished_forgets_,
                [&](const Uuid& subject) { return log_->subject_keys().Forget(subject).ok(); });
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  if (snapshots_) {
    heads_.clear();
    for (const Uuid& org : touched_) heads_.emplace_back(org, hot_.at(org).state.version);
    snapshots_->Notify(heads_);
  }
  EnforceBound();
  std::lock_guard lock(stats_mutex_);
  stats_.hot_orgs = hot_.size();
  stats_.hot_bytes = hot_bytes_;
  return Status::Ok();
}

LedgerStats Ledger::Impl::stats() const {
  std::lock_guard lock(stats_mutex_);
  LedgerStats stats = stats_;
  stats.snapshots_written = snapshots_ ? snapshots_->written() : 0;
  return stats;
}

}  // namespace ledger
