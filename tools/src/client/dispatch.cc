// Core: matching each server message to its request by request_id.
#include "core.h"

namespace ledger::client::internal {
namespace {

std::string_view MessageOf(const wire::Error& error) {
  return error.message() ? error.message()->string_view() : std::string_view();
}

}  // namespace

Status StatusFromError(uint16_t code, std::string_view message) {
  if (code < wire::kWireCodeFirst) {
    std::optional<Status> status = wire::StatusFromWire(code, message);
    if (status.has_value() && !status->ok()) return *status;
    return Status::Internal("the server sent an Error with code " + std::to_string(code) + ": " +
                            std::string(message));
  }
  std::string text = std::string(wire::ErrorCodeName(code)) + " (" + std::to_string(code) +
                     "): " + std::string(message);
  switch (static_cast<wire::WireCode>(code)) {
    case wire::WireCode::kAuthenticationFailed:
    case wire::WireCode::kForbidden:
      return Status::PermissionDenied(std::move(text));
    case wire::WireCode::kTooManyInFlight:
      return Status::LimitExceeded(std::move(text));
    case wire::WireCode::kShuttingDown:
    case wire::WireCode::kUnhealthy:
    case wire::WireCode::kTooManyConnections:
      return Status::Unavailable(std::move(text));
    case wire::WireCode::kInternal:
      return Status::Internal(std::move(text));
    default:
      return Status::InvalidArgument(std::move(text));
  }
}

void Core::OnMessage(const wire::Message& message) {
  uint64_t id = message.request_id();
  if (id == 0) {
    // About the whole connection; the server closes it after sending.
    const wire::Error* error = message.body_as_Error();
    Status why = error != nullptr ? StatusFromError(error->code(), MessageOf(*error))
                                  : Status::Internal(
                                        "the server sent a message with request_id 0 that is "
                                        "not an Error");
    FailConnection(connection_, why.WithContext("the server ended the session"));
    return;
  }
  auto found = pending_.find(id);
  if (found == pending_.end()) return;  // not ours: ids are never reused, so nothing to match
  if (found->second.subscription != nullptr) {
    OnSubscriptionMessage(id, found->second, message);
    return;
  }
  Pending pending = std::move(found->second);
  pending_.erase(found);
  if (pending.complete && !pending.abandoned) {
    if (const wire::Error* error = message.body_as_Error()) {
      pending.complete(nullptr, StatusFromError(error->code(), MessageOf(*error)));
    } else if (message.body_type() == pending.reply_type) {
      pending.complete(&message, Status::Ok());
    } else {
      pending.complete(nullptr,
                       Status::Internal(std::string("the server answered with ") +
                                        wire::EnumNameBody(message.body_type()) + ", expected " +
                                        wire::EnumNameBody(pending.reply_type)));
    }
  }
  Drain();  // a slot is free
}

// A subscription stays in flight (on the server too) until an Error ends it
// or the connection closes, even after it ended or was cancelled here.
void Core::OnSubscriptionMessage(uint64_t id, Pending& pending, const wire::Message& message) {
  std::shared_ptr<SubscriptionState> subscription = pending.subscription;
  if (const wire::SubscriptionEvents* batch = message.body_as_SubscriptionEvents()) {
    Status delivered = subscription->Deliver(*batch);
    if (!subscription->AnswerFirst(delivered) && !delivered.ok()) subscription->End(delivered);
    return;
  }
  if (const wire::Error* error = message.body_as_Error()) {
    Status status = StatusFromError(error->code(), MessageOf(*error));
    pending_.erase(id);
    if (!subscription->AnswerFirst(status)) {
      bool closing = error->code() == static_cast<uint16_t>(wire::WireCode::kShuttingDown);
      if (closing && subscription->Active()) {
        to_resume_.push_back(subscription);  // the connection closes next; resume after it
      } else {
        subscription->End(status);
      }
    }
    Drain();
    return;
  }
  subscription->End(Status::Internal(std::string("the server sent ") +
                                     wire::EnumNameBody(message.body_type()) +
                                     " to a subscription"));
}

}  // namespace ledger::client::internal
