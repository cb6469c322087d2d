// Connection: the requests (PROTOCOL.md, "Each message"). Runs on the
// connection's strand; reads go straight to the log, which is safe alongside
// the sequencer's writes.
#include <spdlog/spdlog.h>

#include <chrono>

#include "connection.h"
#include "ledger/clock.h"
#include "ledger/wire/messages.h"

namespace ledger::server {

namespace asio = boost::asio;

namespace {

// Events that fit in one reply frame, counted from the front.
size_t EventsThatFit(const std::vector<StoredEvent>& events, uint32_t max_payload) {
  size_t bytes = wire::kMessageOverheadBytes;
  for (size_t i = 0; i < events.size(); ++i) {
    bytes += wire::EventRecordBytesBound(events[i]);
    if (bytes > max_payload) return i;
  }
  return events.size();
}

// Why value `index` of an OpenSealed did not open. A value that does not
// authenticate, is malformed or names a subject this ledger holds no key for
// is the request's fault (invalid argument); SubjectKeys::Open reports all of
// them as corruption or not found. Anything else (an I/O error) keeps its code.
Status OpenFailure(size_t index, const Status& status) {
  std::string context = "value " + std::to_string(index);
  if (status.code() == Code::kCorruption || status.code() == Code::kNotFound) {
    return Status::InvalidArgument(context + ": " + status.message() + "; nothing was opened");
  }
  return status.WithContext(context);
}

template <size_t N>
std::string Bytes(const std::array<uint8_t, N>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), N);
}

}  // namespace

void Connection::HandleRequest(const wire::Message& message) {
  uint64_t id = message.request_id();
  wire::Body type = message.body_type();
  bool known = type != wire::Body::NONE && type <= wire::Body::MAX;
  if (known && (type == wire::Body::Hello || !wire::IsClientMessage(type))) {
    FailConnection(wire::WireCode::kUnexpectedMessage,
                   std::string(wire::EnumNameBody(type)) + " is not a client request");
    return;
  }
  if (id == 0 || in_flight_.count(id)) {
    FailConnection(wire::WireCode::kBadRequestId,
                   id == 0 ? "request_id 0 is reserved"
                           : "request_id " + std::to_string(id) + " is already in flight");
    return;
  }
  if (!known) {
    Fail(id, wire::WireCode::kUnknownMessageType,
         "message type " + std::to_string(static_cast<int>(type)) + " is unknown to this server");
    return;
  }
  if (in_flight_.size() >= parts_.limits.max_in_flight) {
    Fail(id, wire::WireCode::kTooManyInFlight,
         "more than " + std::to_string(parts_.limits.max_in_flight) + " requests in flight");
    return;
  }
  switch (type) {
    case wire::Body::Append:
      return Append(id, message.body_as_Append());
    case wire::Body::ReadOrg:
      return ReadOrg(id, message.body_as_ReadOrg());
    case wire::Body::Subscribe:
      return Subscribe(id, message.body_as_Subscribe());
    case wire::Body::TreeHeadRequest:
      return TreeHead(id, message.body_as_TreeHeadRequest());
    case wire::Body::OpenSealed:
      return OpenSealed(id, message.body_as_OpenSealed());
    case wire::Body::Ping:
      return Send(wire::EncodePong(id));
    default:
      return Fail(id, wire::WireCode::kInternal, "unhandled client message");
  }
}

void Connection::LogClosed(uint64_t id) {
  Fail(id, wire::WireCode::kUnhealthy,
       "the log is closed while it recovers from a storage failure; retry shortly");
}

void Connection::Fail(uint64_t id, const Status& status) { Send(wire::EncodeError(id, status)); }

void Connection::Fail(uint64_t id, wire::WireCode code, std::string message) {
  parts_.metrics->WireError(code);
  Send(wire::EncodeError(id, wire::WireError{code, std::move(message)}));
}

std::optional<Uuid> Connection::AuthorizedOrg(uint64_t id, const flatbuffers::String* org_id) {
  std::optional<Uuid> org = Uuid::Parse(org_id ? org_id->string_view() : std::string_view());
  if (!org) {
    Fail(id, Status::InvalidArgument("org_id is not a UUID"));
    return std::nullopt;
  }
  // The same answer whether or not the other org exists.
  if (!principal_->admin && *org != principal_->org) {
    Fail(id, wire::WireCode::kForbidden,
         "this token may only use org " + principal_->org.ToString());
    return std::nullopt;
  }
  return org;
}

// ---------------------------------------------------------------------------
// Append

void Connection::Append(uint64_t id, const wire::Append* append) {
  if (draining_) return Fail(id, wire::WireCode::kShuttingDown, "the server is stopping");
  if (!parts_.sequencer->healthy()) {
    return Fail(id, wire::WireCode::kUnhealthy,
                "the log's storage is failing; appends are refused until it recovers (reads "
                "still work); nothing was appended");
  }
  size_t count = append->commands() ? append->commands()->size() : 0;
  if (count > parts_.limits.max_commands_per_request) {
    return Fail(id, Status::LimitExceeded(std::to_string(count) + " commands exceed the limit of " +
                                          std::to_string(parts_.limits.max_commands_per_request) +
                                          " per request"));
  }
  std::vector<Command> commands = wire::ToCommands(*append);
  if (!principal_->admin) {
    for (size_t i = 0; i < commands.size(); ++i) {
      // A malformed event is left to the engine (rule `malformed`, which
      // names no org); a well-formed one must name the token's org.
      Result<Uuid> org = CommandOrg(commands[i]);
      if (org.ok() && *org != principal_->org) {
        return Fail(id, wire::WireCode::kForbidden,
                    "command " + std::to_string(i) + ": this token may only append to org " +
                        principal_->org.ToString() + "; nothing was appended");
      }
    }
  }
  if (commands.empty()) return Send(wire::EncodeAppendResult(id, {}));
  in_flight_.insert(id);
  ++appends_in_flight_;
  auto self = shared_from_this();
  AppendJob job{std::move(commands), [self, id](std::vector<CommandResult> results,
                                                std::optional<std::string> storage_failure) {
                  asio::post(self->strand_, [self, id, results = std::move(results),
                                             failure = std::move(storage_failure)]() mutable {
                    self->OnAppended(id, std::move(results), std::move(failure));
                  });
                }};
  bool queued = parts_.sequencer->Push(std::move(job), [self] {
    asio::post(self->strand_, [self] {
      self->waiting_for_queue_ = false;
      self->Resume();
    });
  });
  if (!queued) waiting_for_queue_ = true;
}

void Connection::OnAppended(uint64_t id, std::vector<CommandResult> results,
                            std::optional<std::string> storage_failure) {
  in_flight_.erase(id);
  --appends_in_flight_;
  if (closed_) return;
  if (storage_failure) {
    Fail(id, wire::WireCode::kUnhealthy, std::move(*storage_failure));
  } else {
    Send(wire::EncodeAppendResult(id, results));
  }
  MaybeFinishDrain();
}

// ---------------------------------------------------------------------------
// Reads

void Connection::ReadOrg(uint64_t id, const wire::ReadOrg* read) {
  std::optional<Uuid> org = AuthorizedOrg(id, read->org_id());
  if (!org) return;
  uint32_t max = read->max_events();
  if (max == 0 || max > parts_.limits.max_read_events) max = parts_.limits.max_read_events;
  std::shared_lock gate = parts_.sequencer->ReadLog();
  if (!gate) return LogClosed(id);
  std::vector<StoredEvent> events;
  Status read_status =
      parts_.ledger->log().ReadOrg(*org, std::max<uint64_t>(read->from_seq(), 1), max, &events);
  if (!read_status.ok()) return Fail(id, read_status);
  // One event always fits: events are at most 1 MiB, frames 16 MiB.
  events.resize(std::max<size_t>(EventsThatFit(events, wire::kPayloadMaxDefault),
                                 std::min<size_t>(events.size(), 1)));
  Send(wire::EncodeEvents(id, events));
}

void Connection::TreeHead(uint64_t id, const wire::TreeHeadRequest* request) {
  std::optional<Uuid> org = AuthorizedOrg(id, request->org_id());
  if (!org) return;
  std::shared_lock gate = parts_.sequencer->ReadLog();
  if (!gate) return LogClosed(id);
  EventLog& log = parts_.ledger->log();
  Result<ledger::TreeHead> head =
      request->size() == 0 ? log.Head(*org) : log.HeadAt(*org, request->size());
  if (!head.ok()) return Fail(id, head.status());
  if (head->size == 0) return Fail(id, Status::NotFound("the org has no events"));
  if (parts_.signing_key == nullptr) {
    return Send(wire::EncodeTreeHeadReply(id, org->ToString(), *head));
  }
  audit::SignedHead signed_head = audit::SignHead(*parts_.signing_key, *org, *head, NowMicros());
  wire::HeadSignature signature{signed_head.timestamp, Bytes(signed_head.key),
                                Bytes(signed_head.signature)};
  Send(wire::EncodeTreeHeadReply(id, org->ToString(), *head, signature));
}

// ---------------------------------------------------------------------------
// Personal fields

// Runs on the strand, like ReadOrg: SubjectKeys::Open is thread safe and reads
// only the key store, so the sequencer never waits for it. All or nothing: the
// first value that does not open fails the request.
void Connection::OpenSealed(uint64_t id, const wire::OpenSealed* request) {
  if (!principal_->admin) {
    return Fail(id, wire::WireCode::kForbidden,
                "OpenSealed needs an admin token; this token is scoped to org " +
                    principal_->org.ToString());
  }
  size_t count = request->values() ? request->values()->size() : 0;
  if (count > parts_.limits.max_commands_per_request) {
    return Fail(id, Status::LimitExceeded(
                        std::to_string(count) + " sealed values exceed the limit of " +
                        std::to_string(parts_.limits.max_commands_per_request) + " per request"));
  }
  std::shared_lock gate = parts_.sequencer->ReadLog();
  if (!gate) return LogClosed(id);
  SubjectKeys& keys = parts_.ledger->log().subject_keys();
  std::vector<std::optional<std::string>> opened;
  opened.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    // The verifier checked the required fields (subject_id, nonce, ciphertext).
    Result<std::optional<std::string>> value = keys.Open(*request->values()->Get(i));
    if (!value.ok()) return Fail(id, OpenFailure(i, value.status()));
    opened.push_back(std::move(value).value());
  }
  std::string reply = wire::EncodeOpenedValues(id, opened);
  // Plaintexts are shorter than their ciphertexts, so only a server whose
  // max_frame_payload is raised past 16 MiB can get here.
  if (reply.size() - wire::kHeaderBytes > wire::kPayloadMaxDefault) {
    return Fail(id, Status::LimitExceeded("the opened values exceed one reply frame (" +
                                          std::to_string(wire::kPayloadMaxDefault) +
                                          " bytes); ask for fewer"));
  }
  Send(std::move(reply));
}

// ---------------------------------------------------------------------------
// Subscriptions

void Connection::Subscribe(uint64_t id, const wire::Subscribe* subscribe) {
  if (draining_) return Fail(id, wire::WireCode::kShuttingDown, "the server is stopping");
  Subscription subscription;
  subscription.next_seq = std::max<uint64_t>(subscribe->from_seq(), 1);
  bool global = !subscribe->org_id() || subscribe->org_id()->size() == 0;
  if (global && !principal_->admin) {
    return Fail(id, wire::WireCode::kForbidden, "the global feed needs an admin token");
  }
  if (!global) {
    subscription.org = AuthorizedOrg(id, subscribe->org_id());
    if (!subscription.org) return;
  }
  in_flight_.insert(id);
  subscriptions_.emplace(id, subscription);
  parts_.metrics->SubscriptionStarted();
  PumpSubscriptions();
}

void Connection::NotifyCommit() {
  asio::post(strand_, [self = shared_from_this()] {
    self->pump_scheduled_ = false;
    for (auto& [id, subscription] : self->subscriptions_) subscription.waiting = false;
    self->PumpSubscriptions();
  });
}

// Sends batches while the output has room; a subscription that reached the
// end waits for the next commit (WantsCommits).
void Connection::PumpSubscriptions() {
  // Subscribers send no requests; their token is re-checked here, at most
  // once a second, so a revoked token's feed stops within a second.
  if (std::chrono::steady_clock::now() - token_checked_at_ > std::chrono::seconds(1) &&
      !TokenStillValid()) {
    return;
  }
  uint64_t commits_seen = parts_.owner->Commits();  // before any read below
  bool any_waiting = false;
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    Subscription& subscription = it->second;
    while (!closing_ && !subscription.waiting &&
           outbound_bytes_ < parts_.limits.max_outbound_bytes / 2) {
      if (!PumpOne(it->first, subscription)) break;
    }
    if (subscriptions_.count(it->first) == 0) {
      it = subscriptions_.begin();  // ended; restart (rare)
      continue;
    }
    any_waiting |= subscription.waiting;
    ++it;
  }
  if (any_waiting && !pump_scheduled_ && !closing_) {
    pump_scheduled_ = true;
    parts_.owner->WantsCommits(shared_from_this(), commits_seen);
  }
}

bool Connection::PumpOne(uint64_t id, Subscription& subscription) {
  std::vector<StoredEvent> events;
  const EventLog& log = parts_.ledger->log();
  uint32_t max = parts_.limits.max_read_events;
  Status status;
  {
    std::shared_lock gate = parts_.sequencer->ReadLog();
    if (gate) {
      status = subscription.org
                   ? log.ReadOrg(*subscription.org, subscription.next_seq, max, &events)
                   : log.ReadGlobal(subscription.next_seq, max, &events);
    }
    if (!gate || !status.ok()) {
      subscriptions_.erase(id);
      in_flight_.erase(id);
      parts_.metrics->SubscriptionEnded();
      gate ? Fail(id, status) : LogClosed(id);
      return false;
    }
  }
  // Fewer than asked: this batch reaches what was stored when it was read.
  bool caught_up = events.size() < max;
  size_t fit = std::max<size_t>(EventsThatFit(events, wire::kPayloadMaxDefault),
                                std::min<size_t>(events.size(), 1));
  if (fit < events.size()) {
    events.resize(fit);
    caught_up = false;
  }
  if (!events.empty()) {
    const Position& last = events.back().position;
    subscription.next_seq = (subscription.org ? last.org_seq : last.global_seq) + 1;
  }
  subscription.waiting = caught_up;
  // An empty batch only once, to say the subscriber is current.
  if (events.empty() && subscription.announced_caught_up) return false;
  subscription.announced_caught_up |= caught_up;
  Send(wire::EncodeSubscriptionEvents(id, events, caught_up));
  return !caught_up;
}

}  // namespace ledger::server
