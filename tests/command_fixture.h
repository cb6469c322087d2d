// Terse commands for rule tests: a Ledger in a temporary directory, builders
// for the events the rules are about, and Add* helpers that submit one
// accepted command and return the new entity's id.
//
//   CommandFixture f;
//   Uuid org = f.AddOrg(/*max_employees=*/2);
//   std::string ada = f.AddEmployee(org);
//   CommandResult r = f.Submit(f.Hired(org, NewId(), "ada@example.com"));
//
// Builders return the event's bytes without submitting it, so a test can
// submit it, batch it or keep it for later (a value sealed before its
// subject is forgotten).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/event_builder.h"
#include "ledger/ledger.h"
#include "test_util.h"

namespace ledger::testing {

// A fresh id as payloads carry it: canonical UUID text.
std::string NewId();

class CommandFixture {
 public:
  // snapshot_every: LedgerOptions::snapshot_every (0: never snapshot).
  explicit CommandFixture(uint64_t snapshot_every = 0);
  ~CommandFixture();
  CommandFixture(const CommandFixture&) = delete;
  CommandFixture& operator=(const CommandFixture&) = delete;

  Ledger& ledger() { return *ledger_; }
  EventLog& log() { return ledger_->log(); }
  SubjectKeys& keys() { return log().subject_keys(); }
  // Closes the ledger and opens it again on the same directory.
  void Reopen();

  // --- Submitting -------------------------------------------------------
  CommandResult Submit(std::string event, std::optional<uint64_t> expected = {});
  std::vector<CommandResult> SubmitBatch(const std::vector<std::string>& events);
  // Submit, recording a test failure unless the command is accepted.
  CommandResult Accept(std::string event);
  // The org's version in the write model (0 for an org never created).
  uint64_t Version(const Uuid& org);
  // The org's events in the log from org sequence `from` on.
  std::vector<StoredEvent> Read(const Uuid& org, uint64_t from = 1);

  // --- Building any event -------------------------------------------------
  flatbuffers::FlatBufferBuilder& fbb() { return builder_.builder(); }
  template <typename Table>
  std::string Event(const Uuid& org, flatbuffers::Offset<Table> payload) {
    EnvelopeFields envelope;
    envelope.org = org;
    return builder_.Finish(envelope, payload);
  }
  template <typename Table>
  std::string Event(const EnvelopeFields& envelope, flatbuffers::Offset<Table> payload) {
    return builder_.Finish(envelope, payload);
  }
  // `text` sealed for `subject`, built into fbb(): pass it straight to a
  // fb::Create* call. Records a test failure if the subject was forgotten.
  flatbuffers::Offset<fb::Sealed> Seal(const std::string& subject, std::string_view text);
  // A name, slug or email no other call of this fixture returned.
  std::string Unique(const std::string& prefix);

  // --- The events the rules are about (built, not submitted) --------------
  std::string OrgCreated(const Uuid& org, const std::string& slug, uint32_t max_employees = 0,
                         uint32_t max_agents_per_employee = 0);
  std::string RoleDefined(const Uuid& org, const std::string& role, const std::string& name,
                          bool can_approve);
  std::string TeamCreated(const Uuid& org, const std::string& team);
  // Email (and full name) sealed for the employee, as the schema requires.
  std::string Hired(const Uuid& org, const std::string& employee, const std::string& email,
                    const std::string& role = "", const std::string& team = "");
  std::string Invited(const Uuid& org, const std::string& employee, const std::string& email);
  std::string Suspended(const Uuid& org, const std::string& employee);
  std::string Offboarded(const Uuid& org, const std::string& employee);
  std::string TemplatePublished(const Uuid& org, const std::string& tmpl, const std::string& name,
                                bool is_public);
  std::string TemplateRetired(const Uuid& org, const std::string& tmpl);
  std::string AgentAssigned(const Uuid& org, const std::string& agent, const std::string& employee,
                            const std::string& tmpl);
  std::string AgentPaused(const Uuid& org, const std::string& agent);
  std::string AgentRevoked(const Uuid& org, const std::string& agent);
  std::string McpServerRegistered(const Uuid& org, const std::string& server,
                                  const std::string& name);
  std::string McpServerApproved(const Uuid& org, const std::string& server);
  std::string McpConfigured(const Uuid& org, const std::string& config, const std::string& employee,
                            const std::string& server);
  std::string RequestSubmitted(const Uuid& org, const std::string& request,
                               const std::string& employee, uint16_t required_approvals = 1);
  std::string Vote(const Uuid& org, const std::string& request, const std::string& approver,
                   fb::ApprovalDecision decision = fb::ApprovalDecision::Approve);
  std::string RequestCancelled(const Uuid& org, const std::string& request);
  std::string SubscriptionStarted(const Uuid& org, const std::string& subscription,
                                  int64_t monthly_budget_micros, int64_t period_start = 1'000,
                                  int64_t period_end = 2'000);
  std::string PeriodRolled(const Uuid& org, const std::string& subscription, int64_t period_start,
                           int64_t period_end);
  std::string Usage(const Uuid& org, const std::string& employee, int64_t cost_micros,
                    int64_t quantity = 1);
  std::string MissionStarted(const Uuid& org, const std::string& mission,
                             const std::string& employee);
  std::string TaskCreated(const Uuid& org, const std::string& task, const std::string& mission);
  std::string DependsOn(const Uuid& org, const std::string& task, const std::string& depends_on);
  std::string Artifact(const Uuid& org, const std::string& artifact, const std::string& mission,
                       const std::string& sha256);
  std::string Forgotten(const Uuid& org, const std::string& subject);

  // --- Setup: one accepted command each; returns the new entity's id -------
  Uuid AddOrg(uint32_t max_employees = 0, uint32_t max_agents_per_employee = 0);
  std::string AddRole(const Uuid& org, bool can_approve);
  std::string AddTeam(const Uuid& org);
  std::string AddEmployee(const Uuid& org, const std::string& role = "");
  std::string AddTemplate(const Uuid& org, bool is_public);
  // Registered, and approved when `approved` (two commands then).
  std::string AddMcpServer(const Uuid& org, bool approved = true);
  std::string AddAgent(const Uuid& org, const std::string& employee, const std::string& tmpl);
  std::string AddMcpConfig(const Uuid& org, const std::string& employee, const std::string& server);
  std::string AddRequest(const Uuid& org, const std::string& employee,
                         uint16_t required_approvals = 1);
  std::string AddSubscription(const Uuid& org, int64_t monthly_budget_micros);
  std::string AddMission(const Uuid& org, const std::string& employee);
  std::string AddTask(const Uuid& org, const std::string& mission);

 private:
  void Open();

  TempDir dir_;
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
  EventBuilder builder_;
  int unique_ = 0;
};

}  // namespace ledger::testing
