// The feed from ledgerd: a subscription to the global feed, from sequence 1
// (what is at or below the checkpoint only warms the projector's states).
// Personal fields are opened by the server (OpenSealed) on a second
// connection, so the subscription's callback may block on a full queue
// without ever waiting for its own connection.
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "feeds.h"
#include "ledger/client/client.h"

namespace ledger::project {
namespace {

// Batches from the subscription to the projecting thread. Bounded: a full
// queue blocks the client thread, which stops reading the socket, which
// pushes back on ledgerd.
class FeedQueue {
 public:
  static constexpr size_t kEventsMax = 200'000;

  void Push(std::span<const StoredEvent> events, bool caught_up) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return queued_ < kEventsMax || closed_; });
    for (const StoredEvent& event : events) queue_.push_back(event);
    queued_ = queue_.size();
    if (caught_up && !events.empty()) caught_up_seq_ = events.back().position.global_seq;
    if (caught_up) saw_caught_up_ = true;
    ready_.notify_one();
  }

  void End(const Status& status) {
    std::lock_guard lock(mutex_);
    ended_ = status;
    ready_.notify_one();
  }

  // Up to `max` events, waiting at most 200 ms for the first.
  std::vector<StoredEvent> Pop(size_t max) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, std::chrono::milliseconds(200),
                    [&] { return !queue_.empty() || ended_.has_value(); });
    std::vector<StoredEvent> out;
    while (!queue_.empty() && out.size() < max) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_ = queue_.size();
    space_.notify_all();
    return out;
  }

  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    space_.notify_all();
  }

  std::optional<Status> ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  // Whether the catch-up ended, and the last global sequence it covered.
  bool caught_up(uint64_t* seq) {
    std::lock_guard lock(mutex_);
    *seq = caught_up_seq_;
    return saw_caught_up_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<StoredEvent> queue_;
  size_t queued_ = 0;
  bool closed_ = false;
  bool saw_caught_up_ = false;
  uint64_t caught_up_seq_ = 0;
  std::optional<Status> ended_;
};

Result<std::unique_ptr<client::Client>> ConnectClient(const Flags& flags, const char* name) {
  client::ClientOptions options;
  Status address = client::ParseAddress(flags.connect, &options);
  if (!address.ok()) return address;
  options.token = flags.token;
  options.client_name = name;
  // ledgerd may be restarting: retry an unreachable server (as the
  // projector retries PostgreSQL) until it answers or a signal says stop;
  // a refused token or a bad address fails at once.
  auto wait = std::chrono::milliseconds(100);
  while (true) {
    Result<std::unique_ptr<client::Client>> client = client::Client::Connect(options);
    if (client.ok() || client.status().code() != Code::kUnavailable || stop_requested) {
      return client;
    }
    spdlog::warn("connecting to ledgerd at {}: {}; retrying in {} ms", flags.connect,
                 client.status().message(), wait.count());
    for (auto slept = std::chrono::milliseconds(0); slept < wait && !stop_requested;
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    wait = std::min(wait * 2, std::chrono::milliseconds(5000));
  }
}

// Opening is a read: when ledgerd restarts under it (kUnavailable, the
// outcome unknown), ask again once it is back, as the subscription resumes.
Result<std::vector<std::optional<std::string>>> OpenSealedRetrying(
    client::Client& client, std::span<const SealedValue> values) {
  auto wait = std::chrono::milliseconds(100);
  while (true) {
    Result<std::vector<std::optional<std::string>>> opened = client.OpenSealed(values);
    if (opened.ok() || opened.status().code() != Code::kUnavailable || stop_requested) {
      return opened;
    }
    spdlog::warn("opening personal fields: {}; retrying in {} ms", opened.status().message(),
                 wait.count());
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace

int RunFromServer(const Flags& flags) {
  Result<std::unique_ptr<client::Client>> opener_client =
      ConnectClient(flags, "ledger-project (opener)");
  if (!opener_client.ok()) return Fail(opener_client.status());
  projections::FetchingOpener opener([&](std::span<const SealedValue> values) {
    // In slices the server takes in one request.
    std::vector<std::optional<std::string>> plaintexts;
    constexpr size_t kSlice = 1000;
    for (size_t at = 0; at < values.size(); at += kSlice) {
      auto slice = values.subspan(at, std::min(kSlice, values.size() - at));
      Result<std::vector<std::optional<std::string>>> opened =
          OpenSealedRetrying(**opener_client, slice);
      if (!opened.ok()) return opened;
      for (auto& plaintext : *opened) plaintexts.push_back(std::move(plaintext));
    }
    return Result<std::vector<std::optional<std::string>>>(std::move(plaintexts));
  });

  Result<std::unique_ptr<projections::Projector>> projector =
      projections::Projector::Open(flags.projector, opener);
  if (!projector.ok()) return Fail(projector.status());
  projections::Projector& p = **projector;
  spdlog::info("schema {}: checkpoint at global sequence {}; following {}", flags.projector.schema,
               p.checkpoint(), flags.connect);

  Result<std::unique_ptr<client::Client>> feed_client = ConnectClient(flags, "ledger-project");
  if (!feed_client.ok()) return Fail(feed_client.status());
  FeedQueue queue;
  Result<std::unique_ptr<client::Subscription>> subscription =
      (*feed_client)
          ->Subscribe(
              std::nullopt, 1,
              [&queue](std::span<const StoredEvent> events, bool caught_up) {
                queue.Push(events, caught_up);
              },
              [&queue](const Status& status) { queue.End(status); });
  if (!subscription.ok()) return Fail(subscription.status());

  ProgressLine progress("projected");
  int exit_status = 0;
  while (!stop_requested) {
    std::vector<StoredEvent> batch = queue.Pop(flags.batch_events);
    if (!batch.empty()) {
      opener.Clear();
      Status projected = p.Project(batch);
      if (!projected.ok()) {
        exit_status = Fail(projected);
        break;
      }
      progress.Update(p.stats().events_written);
      continue;
    }
    if (std::optional<Status> ended = queue.ended()) {
      exit_status = Fail(ended->WithContext("the subscription ended"));
      break;
    }
    uint64_t caught_up_seq = 0;
    if (flags.until_caught_up && queue.caught_up(&caught_up_seq) && p.applied() >= caught_up_seq) {
      break;
    }
  }
  queue.Close();
  (*subscription)->Cancel();
  progress.Finish();
  std::cout << "projected " << p.stats().events_written << " events in " << p.stats().batches
            << " transactions; checkpoint " << p.checkpoint() << "\n";
  return exit_status;
}

}  // namespace ledger::project
