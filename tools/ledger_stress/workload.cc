#include "workload.h"

#include <chrono>
#include <deque>
#include <future>
#include <random>

#include "ledger/client/client.h"
#include "ledger/tools/history_generator.h"

namespace ledger::stress {

// One client thread: its own connection, its own histories.
class Workload::Client {
 public:
  Client(Workload* workload, int index, std::unique_ptr<client::Client> connection)
      : workload_(workload),
        options_(workload->options_),
        connection_(std::move(connection)),
        random_(options_.seed * 1'000'003 + index) {}

  void Run() {
    while (!workload_->stopping_) {
      tools::HistoryOptions history_options;
      history_options.orgs = 2;
      history_options.employees_per_org = 8;
      history_options.missions_per_employee = 2;
      history_options.usage_per_task = 2;
      history_options.seed = random_();
      Result<tools::GeneratedHistory> history = GenerateHistory(history_options, keys_);
      if (!history.ok()) return workload_->AddError("history: " + history.status().ToString());
      ++workload_->counts_.histories;
      if (!AppendHistory(history->events)) return;
    }
  }

 private:
  struct Pending {
    std::future<Result<std::vector<CommandResult>>> reply;
    std::vector<std::string> command_ids;
  };

  // Appends `events` in order until done, or broken (an outcome unknown).
  // False: the workload stops.
  bool AppendHistory(const std::vector<std::string>& events) {
    broken_ = false;
    size_t next = 0;
    for (;;) {
      if (workload_->stopping_ || workload_->pause_requested_) {
        if (!pending_.empty()) {
          Collect();
        } else if (!workload_->Hold()) {
          return false;
        }
        continue;
      }
      if (pending_.size() >= options_.in_flight) {
        Collect();
        continue;
      }
      if (next == events.size() || broken_) {
        if (pending_.empty()) return true;
        Collect();
        continue;
      }
      Send(events, &next);
    }
  }

  void Send(const std::vector<std::string>& events, size_t* next) {
    size_t count = std::min<size_t>(1 + random_() % options_.batch_max, events.size() - *next);
    Throttle(count);
    std::vector<Command> commands;
    Pending pending;
    for (size_t i = 0; i < count; ++i) {
      const std::string& event = events[*next + i];
      commands.push_back({event, std::nullopt});
      pending.command_ids.push_back(
          flatbuffers::GetRoot<fb::Event>(event.data())->envelope()->event_id()->str());
    }
    *next += count;
    workload_->counts_.commands_sent += count;
    pending.reply = connection_->AppendAsync(std::move(commands));
    pending_.push_back(std::move(pending));
  }

  // Keeps the client at options_.rate commands per second.
  void Throttle(size_t count) {
    if (options_.rate <= 0) return;
    auto now = std::chrono::steady_clock::now();
    if (next_send_ > now) std::this_thread::sleep_until(next_send_);
    next_send_ = std::max(now, next_send_) +
                 std::chrono::microseconds(static_cast<int64_t>(count * 1e6 / options_.rate));
  }

  // Waits for the oldest Append and records what it says.
  void Collect() {
    Pending pending = std::move(pending_.front());
    pending_.pop_front();
    Result<std::vector<CommandResult>> results = pending.reply.get();
    WorkloadCounts& counts = workload_->counts_;
    if (!results.ok()) {
      counts.outcome_unknown += pending.command_ids.size();
      // A killed server shows as "connection lost ... outcome unknown".
      if (results.status().code() != Code::kUnavailable) {
        workload_->AddError("append failed: " + results.status().ToString());
      }
      broken_ = true;
      return;
    }
    for (size_t i = 0; i < results->size(); ++i) Record((*results)[i], pending.command_ids[i]);
  }

  void Record(const CommandResult& result, const std::string& command_id) {
    WorkloadCounts& counts = workload_->counts_;
    if (result.status.ok()) {
      ++counts.commands_accepted;
      counts.events_acknowledged += result.positions.size();
      if (result.replayed || result.positions.size() != result.event_count) {
        workload_->AddError("command " + command_id + ": acknowledged without its positions");
      }
      Status recorded = workload_->acks_->Record(command_id, result.positions);
      if (!recorded.ok()) workload_->AddError(recorded.message());
      return;
    }
    if (result.status.code() == Code::kRejected && broken_) {
      ++counts.rejected_after_loss;
      return;
    }
    workload_->AddError("command " + command_id +
                        " refused though every earlier command of its history was acknowledged "
                        "(were acknowledged events lost?): " +
                        result.status.ToString());
    broken_ = true;
  }

  Workload* workload_;
  const WorkloadOptions& options_;
  std::unique_ptr<client::Client> connection_;
  std::mt19937_64 random_;
  SealRequestKeys keys_;  // personal fields travel as seal requests
  std::deque<Pending> pending_;
  bool broken_ = false;
  std::chrono::steady_clock::time_point next_send_;
};

Status Workload::Start() {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < options_.clients; ++i) {
    client::ClientOptions client_options;
    LEDGER_RETURN_IF_ERROR(client::ParseAddress(options_.address, &client_options));
    client_options.token = options_.token;
    client_options.client_name = "ledger-stress client " + std::to_string(i);
    Result<std::unique_ptr<client::Client>> connection = client::Client::Connect(client_options);
    if (!connection.ok()) return connection.status().WithContext("client " + std::to_string(i));
    clients.push_back(std::make_unique<Client>(this, i, std::move(connection).value()));
  }
  running_ = options_.clients;
  for (auto& client : clients) {
    threads_.emplace_back([this, client = std::move(client)] {
      client->Run();
      std::lock_guard lock(mutex_);
      --running_;
      changed_.notify_all();
    });
  }
  return Status::Ok();
}

bool Workload::Hold() {
  std::unique_lock lock(mutex_);
  ++holding_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return !pause_requested_ || stopping_; });
  --holding_;
  return !stopping_;
}

void Workload::Pause() {
  std::unique_lock lock(mutex_);
  pause_requested_ = true;
  changed_.wait(lock, [&] { return holding_ == running_; });
}

void Workload::Resume() {
  std::lock_guard lock(mutex_);
  pause_requested_ = false;
  changed_.notify_all();
}

void Workload::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

std::vector<std::string> Workload::TakeErrors() {
  std::lock_guard lock(mutex_);
  return std::exchange(errors_, {});
}

void Workload::AddError(std::string error) {
  std::lock_guard lock(mutex_);
  if (errors_.size() < 20) errors_.push_back(std::move(error));
}

}  // namespace ledger::stress
