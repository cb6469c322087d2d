#include "ledger/status.h"

#include "ledger/rules.h"

namespace ledger {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kCorruption:
      return "corruption";
    case Code::kTampered:
      return "tampered";
    case Code::kIoError:
      return "I/O error";
    case Code::kLimitExceeded:
      return "limit exceeded";
    case Code::kFailedPrecondition:
      return "failed precondition";
    case Code::kRejected:
      return "rejected";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

const char* RuleName(Rule rule) {
  switch (rule) {
    case Rule::kNone:
      return "none";
    case Rule::kMalformed:
      return "malformed";
    case Rule::kUnknownEventType:
      return "unknown_event_type";
    case Rule::kEngineEmitted:
      return "engine_emitted";
    case Rule::kNoSuchOrg:
      return "no_such_org";
    case Rule::kOrgExists:
      return "org_exists";
    case Rule::kOrgDeleted:
      return "org_deleted";
    case Rule::kUnknownReference:
      return "unknown_reference";
    case Rule::kNotLive:
      return "not_live";
    case Rule::kDuplicateId:
      return "duplicate_id";
    case Rule::kNotUnique:
      return "not_unique";
    case Rule::kEmployeeNotActive:
      return "employee_not_active";
    case Rule::kEmployeeLimit:
      return "employee_limit";
    case Rule::kAgentLimit:
      return "agent_limit";
    case Rule::kTemplateNotUsable:
      return "template_not_usable";
    case Rule::kMcpServerNotApproved:
      return "mcp_server_not_approved";
    case Rule::kNotApprover:
      return "not_approver";
    case Rule::kSelfApproval:
      return "self_approval";
    case Rule::kRequestNotPending:
      return "request_not_pending";
    case Rule::kAlreadyVoted:
      return "already_voted";
    case Rule::kNegativeAmount:
      return "negative_amount";
    case Rule::kOverflow:
      return "overflow";
    case Rule::kDependencyCycle:
      return "dependency_cycle";
    case Rule::kInvalidTransition:
      return "invalid_transition";
    case Rule::kInvalidValue:
      return "invalid_value";
    case Rule::kSubjectForgotten:
      return "subject_forgotten";
    case Rule::kVersionConflict:
      return "version_conflict";
    case Rule::kIdempotencyMismatch:
      return "idempotency_mismatch";
  }
  return "unknown";
}

}  // namespace ledger
