#include "command_fixture.h"

namespace ledger::testing {
namespace {

// Optional id and text fields: an empty string leaves the field out.
const char* OrNull(const std::string& text) { return text.empty() ? nullptr : text.c_str(); }

}  // namespace

std::string NewId() { return Uuid::Random().ToString(); }

CommandFixture::CommandFixture(uint64_t snapshot_every) {
  options_.log = OptionsIn(dir_);
  // The tests never crash the process, so fsync buys nothing here and costs
  // most of the suite's time; Reopen still sees every write.
  options_.log.sync = false;
  options_.snapshot_every = snapshot_every;
  Open();
}

CommandFixture::~CommandFixture() = default;

void CommandFixture::Open() {
  Result<std::unique_ptr<Ledger>> opened = Ledger::Open(options_);
  if (!opened.ok()) throw std::runtime_error("ledger open failed: " + opened.status().ToString());
  ledger_ = std::move(opened).value();
}

void CommandFixture::Reopen() {
  ledger_.reset();  // RocksDB allows one open handle per directory
  Open();
}

CommandResult CommandFixture::Submit(std::string event, std::optional<uint64_t> expected) {
  Command command{std::move(event), expected};
  std::vector<CommandResult> results = ledger_->Submit(std::span(&command, 1));
  return std::move(results.front());
}

std::vector<CommandResult> CommandFixture::SubmitBatch(const std::vector<std::string>& events) {
  std::vector<Command> commands;
  for (const std::string& event : events) commands.push_back({event, std::nullopt});
  return ledger_->Submit(commands);
}

CommandResult CommandFixture::Accept(std::string event) {
  CommandResult result = Submit(std::move(event));
  EXPECT_TRUE(result.status.ok()) << result.status.ToString();
  return result;
}

uint64_t CommandFixture::Version(const Uuid& org) {
  Result<State> state = ledger_->CurrentState(org);
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  return state.ok() ? state->version : 0;
}

std::vector<StoredEvent> CommandFixture::Read(const Uuid& org, uint64_t from) {
  std::vector<StoredEvent> events;
  Status read = log().ReadOrg(org, from, 1000, &events);
  EXPECT_TRUE(read.ok()) << read.ToString();
  return events;
}

flatbuffers::Offset<fb::Sealed> CommandFixture::Seal(const std::string& subject,
                                                     std::string_view text) {
  std::optional<Uuid> id = Uuid::Parse(subject);
  if (!id) {
    ADD_FAILURE() << "cannot seal for '" << subject << "': not a UUID";
    return 0;
  }
  Result<SealedValue> sealed = keys().Seal(*id, text);
  if (!sealed.ok()) {
    ADD_FAILURE() << sealed.status().ToString();
    return 0;
  }
  return sealed->Build(fbb());
}

std::string CommandFixture::Unique(const std::string& prefix) {
  return prefix + "-" + std::to_string(++unique_) + "-" + NewId().substr(0, 8);
}

// --- Events ------------------------------------------------------------------

std::string CommandFixture::OrgCreated(const Uuid& org, const std::string& slug,
                                       uint32_t max_employees, uint32_t max_agents_per_employee) {
  return Event(org, fb::CreateOrganizationCreatedDirect(fbb(), "Acme", slug.c_str(), "team", "{}",
                                                        max_employees, max_agents_per_employee));
}

std::string CommandFixture::RoleDefined(const Uuid& org, const std::string& role,
                                        const std::string& name, bool can_approve) {
  return Event(org, fb::CreateRoleDefinedDirect(fbb(), role.c_str(), name.c_str(), nullptr, "[]",
                                                can_approve));
}

std::string CommandFixture::TeamCreated(const Uuid& org, const std::string& team) {
  return Event(org, fb::CreateTeamCreatedDirect(fbb(), team.c_str(), "Platform"));
}

std::string CommandFixture::Hired(const Uuid& org, const std::string& employee,
                                  const std::string& email, const std::string& role,
                                  const std::string& team) {
  return Event(
      org, fb::CreateEmployeeHiredDirect(fbb(), employee.c_str(), OrNull(team), OrNull(role),
                                         Seal(employee, email), Seal(employee, "Ada Lovelace")));
}

std::string CommandFixture::Invited(const Uuid& org, const std::string& employee,
                                    const std::string& email) {
  return Event(org, fb::CreateEmployeeInvitedDirect(fbb(), employee.c_str(), nullptr, nullptr,
                                                    nullptr, Seal(employee, email)));
}

std::string CommandFixture::Suspended(const Uuid& org, const std::string& employee) {
  return Event(org, fb::CreateEmployeeSuspendedDirect(fbb(), employee.c_str()));
}

std::string CommandFixture::Offboarded(const Uuid& org, const std::string& employee) {
  return Event(org, fb::CreateEmployeeOffboardedDirect(fbb(), employee.c_str()));
}

std::string CommandFixture::TemplatePublished(const Uuid& org, const std::string& tmpl,
                                              const std::string& name, bool is_public) {
  return Event(org, fb::CreateAgentTemplatePublishedDirect(fbb(), tmpl.c_str(), name.c_str(),
                                                           "coding", nullptr, "{}", "[]",
                                                           "anthropic", "claude", is_public));
}

std::string CommandFixture::TemplateRetired(const Uuid& org, const std::string& tmpl) {
  return Event(org, fb::CreateAgentTemplateRetiredDirect(fbb(), tmpl.c_str()));
}

std::string CommandFixture::AgentAssigned(const Uuid& org, const std::string& agent,
                                          const std::string& employee, const std::string& tmpl) {
  return Event(org, fb::CreateEmployeeAgentAssignedDirect(fbb(), agent.c_str(), employee.c_str(),
                                                          tmpl.c_str(), "reviewer", "{}"));
}

std::string CommandFixture::AgentPaused(const Uuid& org, const std::string& agent) {
  return Event(org, fb::CreateEmployeeAgentPausedDirect(fbb(), agent.c_str()));
}

std::string CommandFixture::AgentRevoked(const Uuid& org, const std::string& agent) {
  return Event(org, fb::CreateEmployeeAgentRevokedDirect(fbb(), agent.c_str()));
}

std::string CommandFixture::McpServerRegistered(const Uuid& org, const std::string& server,
                                                const std::string& name) {
  return Event(
      org, fb::CreateMcpServerRegisteredDirect(fbb(), server.c_str(), name.c_str(), "acme", "1.0"));
}

std::string CommandFixture::McpServerApproved(const Uuid& org, const std::string& server) {
  return Event(org, fb::CreateMcpServerApprovedDirect(fbb(), server.c_str()));
}

std::string CommandFixture::McpConfigured(const Uuid& org, const std::string& config,
                                          const std::string& employee, const std::string& server) {
  return Event(org, fb::CreateEmployeeMcpConfiguredDirect(fbb(), config.c_str(), employee.c_str(),
                                                          server.c_str(), "{}", "vault/mcp"));
}

std::string CommandFixture::RequestSubmitted(const Uuid& org, const std::string& request,
                                             const std::string& employee,
                                             uint16_t required_approvals) {
  return Event(org,
               fb::CreateAgentRequestSubmittedDirect(fbb(), request.c_str(), employee.c_str(),
                                                     "new_agent", "{}", 0, required_approvals));
}

std::string CommandFixture::Vote(const Uuid& org, const std::string& request,
                                 const std::string& approver, fb::ApprovalDecision decision) {
  return Event(org, fb::CreateApprovalRecordedDirect(fbb(), NewId().c_str(), request.c_str(),
                                                     approver.c_str(), decision));
}

std::string CommandFixture::RequestCancelled(const Uuid& org, const std::string& request) {
  return Event(org, fb::CreateAgentRequestCancelledDirect(fbb(), request.c_str()));
}

std::string CommandFixture::SubscriptionStarted(const Uuid& org, const std::string& subscription,
                                                int64_t monthly_budget_micros, int64_t period_start,
                                                int64_t period_end) {
  return Event(
      org, fb::CreateSubscriptionStartedDirect(fbb(), subscription.c_str(), nullptr, "team",
                                               monthly_budget_micros, period_start, period_end));
}

std::string CommandFixture::PeriodRolled(const Uuid& org, const std::string& subscription,
                                         int64_t period_start, int64_t period_end) {
  return Event(org, fb::CreateSubscriptionBillingPeriodRolledDirect(fbb(), subscription.c_str(),
                                                                    period_start, period_end));
}

std::string CommandFixture::Usage(const Uuid& org, const std::string& employee, int64_t cost_micros,
                                  int64_t quantity) {
  return Event(
      org, fb::CreateUsageRecordedDirect(fbb(), NewId().c_str(), employee.c_str(), nullptr, nullptr,
                                         nullptr, nullptr, fb::ResourceType::LlmInputTokens,
                                         quantity, cost_micros, "claude"));
}

std::string CommandFixture::MissionStarted(const Uuid& org, const std::string& mission,
                                           const std::string& employee) {
  return Event(org, fb::CreateMissionStartedDirect(fbb(), mission.c_str(), employee.c_str(),
                                                   "Review release"));
}

std::string CommandFixture::TaskCreated(const Uuid& org, const std::string& task,
                                        const std::string& mission) {
  return Event(org, fb::CreateTaskCreatedDirect(fbb(), task.c_str(), mission.c_str(), nullptr,
                                                "review", "{}"));
}

std::string CommandFixture::DependsOn(const Uuid& org, const std::string& task,
                                      const std::string& depends_on) {
  return Event(org, fb::CreateTaskDependencyAddedDirect(fbb(), task.c_str(), depends_on.c_str(),
                                                        fb::DependencyType::Blocking));
}

std::string CommandFixture::Artifact(const Uuid& org, const std::string& artifact,
                                     const std::string& mission, const std::string& sha256) {
  return Event(org,
               fb::CreateArtifactProducedDirect(fbb(), artifact.c_str(), mission.c_str(), nullptr,
                                                sha256.c_str(), "report", "out/report.md", 42));
}

std::string CommandFixture::Forgotten(const Uuid& org, const std::string& subject) {
  return Event(org, fb::CreateSubjectForgottenDirect(fbb(), subject.c_str(), "erasure request"));
}

// --- Setup -------------------------------------------------------------------

Uuid CommandFixture::AddOrg(uint32_t max_employees, uint32_t max_agents_per_employee) {
  Uuid org = Uuid::Random();
  Accept(OrgCreated(org, Unique("acme"), max_employees, max_agents_per_employee));
  return org;
}

std::string CommandFixture::AddRole(const Uuid& org, bool can_approve) {
  std::string id = NewId();
  Accept(RoleDefined(org, id, Unique(can_approve ? "manager" : "member"), can_approve));
  return id;
}

std::string CommandFixture::AddTeam(const Uuid& org) {
  std::string id = NewId();
  Accept(TeamCreated(org, id));
  return id;
}

std::string CommandFixture::AddEmployee(const Uuid& org, const std::string& role) {
  std::string id = NewId();
  Accept(Hired(org, id, Unique("person") + "@example.com", role));
  return id;
}

std::string CommandFixture::AddTemplate(const Uuid& org, bool is_public) {
  std::string id = NewId();
  Accept(TemplatePublished(org, id, Unique("reviewer"), is_public));
  return id;
}

std::string CommandFixture::AddMcpServer(const Uuid& org, bool approved) {
  std::string id = NewId();
  Accept(McpServerRegistered(org, id, Unique("github")));
  if (approved) Accept(McpServerApproved(org, id));
  return id;
}

std::string CommandFixture::AddAgent(const Uuid& org, const std::string& employee,
                                     const std::string& tmpl) {
  std::string id = NewId();
  Accept(AgentAssigned(org, id, employee, tmpl));
  return id;
}

std::string CommandFixture::AddMcpConfig(const Uuid& org, const std::string& employee,
                                         const std::string& server) {
  std::string id = NewId();
  Accept(McpConfigured(org, id, employee, server));
  return id;
}

std::string CommandFixture::AddRequest(const Uuid& org, const std::string& employee,
                                       uint16_t required_approvals) {
  std::string id = NewId();
  Accept(RequestSubmitted(org, id, employee, required_approvals));
  return id;
}

std::string CommandFixture::AddSubscription(const Uuid& org, int64_t monthly_budget_micros) {
  std::string id = NewId();
  Accept(SubscriptionStarted(org, id, monthly_budget_micros));
  return id;
}

std::string CommandFixture::AddMission(const Uuid& org, const std::string& employee) {
  std::string id = NewId();
  Accept(MissionStarted(org, id, employee));
  return id;
}

std::string CommandFixture::AddTask(const Uuid& org, const std::string& mission) {
  std::string id = NewId();
  Accept(TaskCreated(org, id, mission));
  return id;
}

}  // namespace ledger::testing
