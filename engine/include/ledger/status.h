// Status and Result<T>: how engine calls report errors. Exceptions never cross
// the engine boundary.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ledger {

// Never renumber: codes reach clients on the wire and in exit statuses.
enum class Code : int {
  kOk = 0,
  kInvalidArgument = 1,  // the caller's input is malformed
  kNotFound = 2,
  kCorruption = 3,  // a checksum or a structural check failed on read
  kTampered = 4,    // bytes verify as records but not against the Merkle tree
  kIoError = 5,
  kLimitExceeded = 6,
  kFailedPrecondition = 7,
  kRejected = 8,  // a command broke a rule (rules.h); nothing was appended
  // Client side (ledger::client): the server could not be reached, or the
  // connection dropped with the request in flight (it may or may not have
  // been applied: retry with the same idempotency key).
  kUnavailable = 9,
  kPermissionDenied = 10,  // the token is unknown or may not touch that org
  kInternal = 11,          // a bug on the other side; the message says what
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status Tampered(std::string m) { return {Code::kTampered, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {Code::kLimitExceeded, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }

  static Status Rejected(std::string m) { return {Code::kRejected, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corruption: org 1b4e... seq 17: checksum mismatch"
  std::string ToString() const;
  // The same code with "context: " before the message.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(value_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(value_);
  }
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace ledger

// Returns early from the enclosing function when `expr` is not OK.
#define LEDGER_RETURN_IF_ERROR(expr) \
  do {                               \
    ::ledger::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)
