// Client: typed requests over Core. Each public call encodes its frame on
// the caller's thread, queues it, and converts the reply on the client
// thread; the blocking calls wait on a promise.
#include "ledger/client/client.h"

#include <charconv>

#include "core.h"

namespace ledger::client {
namespace {

using internal::Request;

constexpr const char* kBlockingInCallback =
    "a blocking client call from a client callback would wait for itself";

// A reply that does not convert is the server's fault, not the caller's.
Status Malformed(const char* what, const Status& status) {
  return Status::Internal(std::string("malformed ") + what +
                          " from the server: " + status.message());
}

Request AppendRequest(internal::Core& core, std::span<const Command> commands,
                      AppendCallback done) {
  Request request;
  request.id = core.NextId();
  request.reply_type = wire::Body::AppendResult;
  request.frame = wire::EncodeAppend(request.id, commands);
  size_t expected = commands.size();
  request.complete = [done = std::move(done), expected](const wire::Message* reply,
                                                        const Status& status) {
    if (reply == nullptr) return done(status);
    Result<std::vector<CommandResult>> results =
        wire::ToCommandResults(*reply->body_as_AppendResult());
    if (!results.ok()) return done(Malformed("AppendResult", results.status()));
    if (results->size() != expected) {
      return done(Status::Internal("the server answered " + std::to_string(expected) +
                                   " commands with " + std::to_string(results->size()) +
                                   " results"));
    }
    done(std::move(results));
  };
  return request;
}

// Runs `make` with a callback that fulfils a promise, and waits for it.
template <typename T, typename Make>
Result<T> Wait(internal::Core& core, Make make) {
  if (core.OnClientThread()) return Status::FailedPrecondition(kBlockingInCallback);
  std::promise<Result<T>> promise;
  std::future<Result<T>> future = promise.get_future();
  core.Submit(make([&promise](Result<T> result) { promise.set_value(std::move(result)); }));
  return future.get();
}

}  // namespace

Status ParseAddress(std::string_view text, ClientOptions* options) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("address '" + std::string(text) + "' is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Status::InvalidArgument("address '" + std::string(text) +
                                   "': write an IPv6 host in brackets, [::1]:PORT");
  }
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return Status::InvalidArgument("address '" + std::string(text) + "' is not HOST:PORT");
  }
  options->host = std::string(host);
  options->port = static_cast<uint16_t>(port);
  return Status::Ok();
}

Client::Client(std::unique_ptr<internal::Core> core) : core_(std::move(core)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  auto core = std::make_unique<internal::Core>(options);
  LEDGER_RETURN_IF_ERROR(core->Start());
  return std::unique_ptr<Client>(new Client(std::move(core)));
}

SessionInfo Client::session() const { return core_->session(); }

void Client::AppendAsync(std::vector<Command> commands, AppendCallback done) {
  core_->Submit(AppendRequest(*core_, commands, std::move(done)));
}

std::future<Result<std::vector<CommandResult>>> Client::AppendAsync(std::vector<Command> commands) {
  auto promise = std::make_shared<std::promise<Result<std::vector<CommandResult>>>>();
  std::future<Result<std::vector<CommandResult>>> future = promise->get_future();
  AppendAsync(std::move(commands), [promise](Result<std::vector<CommandResult>> results) {
    promise->set_value(std::move(results));
  });
  return future;
}

Result<std::vector<CommandResult>> Client::Append(std::span<const Command> commands) {
  return Wait<std::vector<CommandResult>>(*core_, [&](AppendCallback done) {
    return AppendRequest(*core_, commands, std::move(done));
  });
}

Result<std::vector<StoredEvent>> Client::ReadOrg(const Uuid& org, uint64_t from_seq,
                                                 uint32_t max_events) {
  using Done = std::function<void(Result<std::vector<StoredEvent>>)>;
  return Wait<std::vector<StoredEvent>>(*core_, [&](Done done) {
    Request request;
    request.id = core_->NextId();
    request.reply_type = wire::Body::Events;
    request.frame = wire::EncodeReadOrg(request.id, org.ToString(), from_seq, max_events);
    request.complete = [done](const wire::Message* reply, const Status& status) {
      if (reply == nullptr) return done(status);
      Result<std::vector<StoredEvent>> events =
          wire::ToStoredEvents(reply->body_as_Events()->events());
      if (!events.ok()) return done(Malformed("Events", events.status()));
      done(std::move(events));
    };
    return request;
  });
}

Result<::ledger::TreeHead> Client::TreeHead(const Uuid& org, uint64_t size) {
  using Done = std::function<void(Result<::ledger::TreeHead>)>;
  return Wait<::ledger::TreeHead>(*core_, [&](Done done) {
    Request request;
    request.id = core_->NextId();
    request.reply_type = wire::Body::TreeHeadReply;
    request.frame = wire::EncodeTreeHeadRequest(request.id, org.ToString(), size);
    request.complete = [done](const wire::Message* reply, const Status& status) {
      if (reply == nullptr) return done(status);
      Result<::ledger::TreeHead> head = wire::ToTreeHead(*reply->body_as_TreeHeadReply());
      if (!head.ok()) return done(Malformed("TreeHeadReply", head.status()));
      done(std::move(head));
    };
    return request;
  });
}

Result<SignedTreeHeadReply> Client::SignedTreeHead(const Uuid& org, uint64_t size) {
  using Done = std::function<void(Result<SignedTreeHeadReply>)>;
  return Wait<SignedTreeHeadReply>(*core_, [&](Done done) {
    Request request;
    request.id = core_->NextId();
    request.reply_type = wire::Body::TreeHeadReply;
    request.frame = wire::EncodeTreeHeadRequest(request.id, org.ToString(), size);
    request.complete = [done](const wire::Message* reply, const Status& status) {
      if (reply == nullptr) return done(status);
      const wire::TreeHeadReply& body = *reply->body_as_TreeHeadReply();
      Result<::ledger::TreeHead> head = wire::ToTreeHead(body);
      if (!head.ok()) return done(Malformed("TreeHeadReply", head.status()));
      Result<wire::HeadSignature> signature = wire::ToHeadSignature(body);
      if (!signature.ok()) return done(Malformed("TreeHeadReply", signature.status()));
      done(SignedTreeHeadReply{head->size, head->root, signature->timestamp,
                               std::move(signature->key), std::move(signature->signature)});
    };
    return request;
  });
}

Result<std::vector<std::optional<std::string>>> Client::OpenSealed(
    std::span<const SealedValue> values) {
  using Opened = std::vector<std::optional<std::string>>;
  using Done = std::function<void(Result<Opened>)>;
  return Wait<Opened>(*core_, [&](Done done) {
    Request request;
    request.id = core_->NextId();
    request.reply_type = wire::Body::OpenedValues;
    request.frame = wire::EncodeOpenSealed(request.id, values);
    size_t expected = values.size();
    request.complete = [done, expected](const wire::Message* reply, const Status& status) {
      if (reply == nullptr) return done(status);
      Result<Opened> opened = wire::ToOpenedValues(*reply->body_as_OpenedValues());
      if (!opened.ok()) return done(Malformed("OpenedValues", opened.status()));
      if (opened->size() != expected) {
        return done(Status::Internal("the server answered " + std::to_string(expected) +
                                     " sealed values with " + std::to_string(opened->size()) +
                                     " opened values"));
      }
      done(std::move(opened));
    };
    return request;
  });
}

Status Client::Ping() {
  using Done = std::function<void(Result<bool>)>;
  Result<bool> pong = Wait<bool>(*core_, [&](Done done) {
    Request request;
    request.id = core_->NextId();
    request.reply_type = wire::Body::Pong;
    request.frame = wire::EncodePing(request.id);
    request.complete = [done](const wire::Message* reply, const Status& status) {
      if (reply == nullptr) return done(status);
      done(true);
    };
    return request;
  });
  return pong.status();
}

Result<std::unique_ptr<Subscription>> Client::Subscribe(std::optional<Uuid> org, uint64_t from_seq,
                                                        EventsCallback on_events,
                                                        EndCallback on_end) {
  if (core_->OnClientThread()) return Status::FailedPrecondition(kBlockingInCallback);
  auto state = std::make_shared<internal::SubscriptionState>();
  state->org = org;
  state->on_events = std::move(on_events);
  state->on_end = std::move(on_end);
  state->client_thread = core_->client_thread();
  state->next_seq = std::max<uint64_t>(from_seq, 1);
  std::promise<Status> first;
  std::future<Status> answered = first.get_future();
  state->on_first_reply = [&first](const Status& status) { first.set_value(status); };

  Request request;
  request.id = core_->NextId();
  request.reply_type = wire::Body::SubscriptionEvents;
  request.frame = wire::EncodeSubscribe(request.id, org ? org->ToString() : "", state->next_seq);
  request.subscription = state;
  core_->Submit(std::move(request));
  LEDGER_RETURN_IF_ERROR(answered.get());
  return std::unique_ptr<Subscription>(new Subscription(std::move(state)));
}

}  // namespace ledger::client
