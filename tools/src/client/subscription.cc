// Subscriptions: in-order delivery across reconnects, and the handle that
// stops it.
#include "core.h"

namespace ledger::client {
namespace internal {

void SubscriptionState::RunUnlessCancelled(const std::function<void()>& fn) {
  {
    std::lock_guard lock(mu);
    if (cancelled) return;
    delivering = true;
  }
  fn();
  {
    std::lock_guard lock(mu);
    delivering = false;
  }
  idle.notify_all();
}

bool SubscriptionState::Active() {
  if (ended) return false;
  std::lock_guard lock(mu);
  return !cancelled;
}

void SubscriptionState::End(const Status& status) {
  if (ended) return;
  ended = true;
  if (on_end) RunUnlessCancelled([&] { on_end(status); });
}

bool SubscriptionState::AnswerFirst(const Status& status) {
  if (!on_first_reply) return false;
  std::function<void(const Status&)> answer = std::move(on_first_reply);
  on_first_reply = nullptr;
  if (!status.ok()) ended = true;  // Subscribe() returns the error; on_end is not called
  answer(status);
  return true;
}

Status SubscriptionState::Deliver(const wire::SubscriptionEvents& batch) {
  if (ended) return Status::Ok();
  Result<std::vector<StoredEvent>> events = wire::ToStoredEvents(batch.events());
  if (!events.ok()) {
    return Status::Internal("bad subscription batch from the server: " + events.status().message());
  }
  // A resumed subscription may see again what it delivered before the
  // connection dropped: skip it. Anything else must continue exactly.
  size_t skip = 0;
  uint64_t expected = next_seq;
  for (const StoredEvent& event : *events) {
    uint64_t seq = org ? event.position.org_seq : event.position.global_seq;
    if (seq < next_seq && skip == static_cast<size_t>(&event - events->data())) {
      ++skip;
      continue;
    }
    if (seq != expected) {
      return Status::Internal("subscription out of order: expected sequence " +
                              std::to_string(expected) + ", the server sent " +
                              std::to_string(seq));
    }
    if (org && event.position.org != *org) {
      return Status::Internal("subscription to org " + org->ToString() +
                              " received an event of org " + event.position.org.ToString());
    }
    ++expected;
  }
  std::span<const StoredEvent> fresh = std::span<const StoredEvent>(*events).subspan(skip);
  next_seq = expected;
  last_delivered.store(expected - 1, std::memory_order_relaxed);
  if (!fresh.empty() || batch.caught_up()) {
    RunUnlessCancelled([&] { on_events(fresh, batch.caught_up()); });
  }
  return Status::Ok();
}

}  // namespace internal

Subscription::Subscription(std::shared_ptr<internal::SubscriptionState> state)
    : state_(std::move(state)) {}

Subscription::~Subscription() { Cancel(); }

void Subscription::Cancel() {
  std::unique_lock lock(state_->mu);
  state_->cancelled = true;
  if (std::this_thread::get_id() == state_->client_thread) return;  // from a callback
  state_->idle.wait(lock, [&] { return !state_->delivering; });
}

uint64_t Subscription::last_delivered_seq() const {
  return state_->last_delivered.load(std::memory_order_relaxed);
}

}  // namespace ledger::client
