#include "ledger/projections/projector.h"

#include <spdlog/spdlog.h>

#include <set>
#include <thread>
#include <tuple>

#include "batch_writer.h"
#include "folder.h"
#include "ledger/projections/event_rows.h"
#include "ledger/projections/read_model.h"
#include "pg.h"

namespace ledger::projections {

class Projector::Impl {
 public:
  Impl(ProjectorOptions options, SealedOpener& opener)
      : options_(std::move(options)), opener_(opener) {}

  Status Start() {
    return WithRetries("connecting", [this] { return Connect(); });
  }

  Status Project(std::span<const StoredEvent> events) {
    std::vector<const StoredEvent*> fresh;
    std::set<std::tuple<Uuid, Kind, std::string>> units;
    for (const StoredEvent& event : events) {
      uint64_t seq = event.position.global_seq;
      if (seq <= folder_.applied()) continue;  // a repeat
      bool write = seq > checkpoint_;
      LEDGER_RETURN_IF_ERROR(folder_.Fold(event, write ? &units : nullptr));
      if (write) fresh.push_back(&event);
    }
    if (fresh.empty()) return Status::Ok();
    uint64_t last = fresh.back()->position.global_seq;
    LEDGER_RETURN_IF_ERROR(Render(fresh, units));
    Status written = WithRetries("writing a batch", [&] { return Write(last); });
    if (!written.ok()) return written;
    stats_.events_written += fresh.size();
    ++stats_.batches;
    return Status::Ok();
  }

  uint64_t checkpoint() const { return checkpoint_; }
  uint64_t applied() const { return folder_.applied(); }
  const ProjectorStats& stats() const { return stats_; }
  const State* StateOf(const Uuid& org) const { return folder_.StateOf(org); }

 private:
  Status Connect() {
    staged_.clear();
    connection_.reset();
    return Guarded("connecting to PostgreSQL", [this] {
      connection_ = ConnectTo(options_.conninfo, options_.schema);
      pqxx::work tx(*connection_);
      Migrate(tx, options_.schema);
      // FOR UPDATE: a projector killed after sending COMMIT leaves that
      // commit landing after we connect; its UPDATE of the checkpoint holds
      // the row lock until then, so wait for it instead of reading the stale
      // checkpoint and writing that batch's rows a second time.
      checkpoint_ =
          tx.exec("SELECT global_seq FROM projector_checkpoint FOR UPDATE")[0][0].as<uint64_t>();
      tx.commit();
    });
  }

  // Renders the batch's rows from the states after the batch; a remote
  // opener fetches the personal fields it missed and the batch renders again.
  Status Render(const std::vector<const StoredEvent*>& fresh,
                const std::set<std::tuple<Uuid, Kind, std::string>>& units) {
    for (int pass = 0; pass < 2; ++pass) {
      writer_.Clear();
      for (const auto& [org, kind, id] : units) {
        const State* state = folder_.StateOf(org);
        if (state == nullptr) continue;
        RenderUnit(RenderContext{*state, opener_}, kind, id, writer_);
      }
      for (const StoredEvent* event : fresh) {
        writer_.Put(Table::kEvents, EventRow(*event, opener_));
        if (std::optional<Row> usage = UsageRow(*event)) {
          writer_.Put(Table::kUsageRecords, std::move(*usage));
        }
        if (const auto* forgotten = event->event()->payload_as_SubjectForgotten()) {
          if (forgotten->subject_id()) writer_.Forget(forgotten->subject_id()->str());
        }
      }
      Result<bool> fetched = opener_.FetchMissing();
      if (!fetched.ok()) return fetched.status().WithContext("opening personal fields");
      if (!*fetched) break;
    }
    return Status::Ok();
  }

  Status Write(uint64_t last) {
    if (!connection_) LEDGER_RETURN_IF_ERROR(Connect());
    // A commit whose outcome was lost with the connection may have landed.
    if (checkpoint_ >= last) return Status::Ok();
    Status status = Guarded("writing to PostgreSQL", [&] {
      pqxx::work tx(*connection_);
      writer_.Write(tx, last, &staged_);
      tx.commit();
    });
    if (status.ok()) {
      checkpoint_ = last;
    } else {
      connection_.reset();  // reconnect (and re-read the checkpoint) next attempt
    }
    return status;
  }

  Status WithRetries(std::string_view what, const std::function<Status()>& attempt) {
    auto wait = options_.retry_initial;
    auto started = std::chrono::steady_clock::now();
    while (true) {
      Status status = attempt();
      if (status.code() != Code::kUnavailable) return status;
      auto waited = std::chrono::steady_clock::now() - started;
      if (options_.give_up_after.count() > 0 && waited >= options_.give_up_after) {
        return status.WithContext("gave up " + std::string(what));
      }
      if (Cancelled()) return status.WithContext("cancelled " + std::string(what));
      ++stats_.retries;
      spdlog::warn("{}: {}; retrying in {} ms", what, status.message(), wait.count());
      if (!Pause(wait)) return status.WithContext("cancelled " + std::string(what));
      wait = std::min(wait * 2, options_.retry_max);
    }
  }

  bool Cancelled() const { return options_.cancelled && options_.cancelled(); }

  // Sleeps for `wait`, looking at options_.cancelled every 50 ms; false if
  // it was cancelled.
  bool Pause(std::chrono::milliseconds wait) const {
    constexpr std::chrono::milliseconds kCancelPoll{50};
    auto until = std::chrono::steady_clock::now() + wait;
    for (auto now = std::chrono::steady_clock::now(); now < until;
         now = std::chrono::steady_clock::now()) {
      if (Cancelled()) return false;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(until - now, kCancelPoll));
    }
    return !Cancelled();
  }

  ProjectorOptions options_;
  SealedOpener& opener_;
  std::unique_ptr<pqxx::connection> connection_;
  std::set<std::string> staged_;
  Folder folder_;
  BatchWriter writer_;
  uint64_t checkpoint_ = 0;
  ProjectorStats stats_;
};

Result<std::unique_ptr<Projector>> Projector::Open(const ProjectorOptions& options,
                                                   SealedOpener& opener) {
  auto impl = std::make_unique<Impl>(options, opener);
  LEDGER_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Projector>(new Projector(std::move(impl)));
}

Projector::Projector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Projector::~Projector() = default;
uint64_t Projector::checkpoint() const { return impl_->checkpoint(); }
uint64_t Projector::applied() const { return impl_->applied(); }
const ProjectorStats& Projector::stats() const { return impl_->stats(); }
Status Projector::Project(std::span<const StoredEvent> events) { return impl_->Project(events); }
const State* Projector::StateOf(const Uuid& org) const { return impl_->StateOf(org); }

}  // namespace ledger::projections
