// Decide for people and what they use: teams, roles, employees, invitations,
// sessions, API keys, templates, tools, policies, agents, MCP and requests.
#include <algorithm>

#include "decide_util.h"

namespace ledger::decide {
namespace {

using ES = state::EmployeeStatus;

// Emails are sealed, so uniqueness is checked on the opened values of the
// org's employees who still hold a seat. A forgotten person's email is gone
// and may be used again.
Verdict EmailUnique(Decider& d, const fb::Sealed* email) {
  if (email == nullptr) return std::nullopt;
  std::optional<std::string> wanted = d.lookups_.Open(*email);
  if (!wanted) return std::nullopt;
  for (const auto& [id, employee] : d.s_.employees) {
    if (employee.status == ES::Offboarded || !employee.email) continue;
    // A forgotten person's email is erased, even if the key is destroyed
    // only after this Submit's append.
    if (d.s_.forgotten_subjects.count(id) || d.lookups_.IsForgotten(id)) continue;
    flatbuffers::FlatBufferBuilder b;
    b.Finish(fb::Sealed::Pack(b, employee.email.get()));
    std::optional<std::string> have =
        d.lookups_.Open(*flatbuffers::GetRoot<fb::Sealed>(b.GetBufferPointer()));
    if (have && *have == *wanted) {
      return Reject(Rule::kNotUnique, "email is already used by employee " + employee.id);
    }
  }
  return std::nullopt;
}

Verdict SeatAvailable(const Decider& d) {
  uint32_t max = d.s_.organization->max_employees;
  if (max != 0 && d.s_.seat_holders >= max) {
    return Reject(Rule::kEmployeeLimit, "org " + d.s_.org.ToString() + " already has " +
                                            std::to_string(d.s_.seat_holders) +
                                            " employees; max_employees is " + std::to_string(max));
  }
  return std::nullopt;
}

Verdict OptionalTeam(const Decider& d, const String* team) {
  if (team == nullptr || team->size() == 0) return std::nullopt;
  return d.LiveTeam(team);
}

Verdict OptionalRole(const Decider& d, const String* role) {
  if (role == nullptr || role->size() == 0) return std::nullopt;
  return d.LiveRole(role);
}

Verdict Status(const Decider& d, const String* id, std::initializer_list<ES> allowed,
               const char* change) {
  const state::EmployeeT* employee = nullptr;
  LEDGER_CHECK(d.Employee(id, "employee", &employee));
  if (std::find(allowed.begin(), allowed.end(), employee->status) == allowed.end()) {
    return d.Transition("employee", id,
                        std::string("is ") + state::EnumNameEmployeeStatus(employee->status) +
                            "; cannot " + change);
  }
  return std::nullopt;
}

// A hired or invited employee: a new id, live team and role if named, email
// (required) and name sealed for the employee, a free seat, a unique email.
template <typename Payload>
Verdict NewEmployee(Decider& d, const Payload* p) {
  LEDGER_CHECK(d.NewId(d.s_.employees, p->employee_id(), "employee"));
  LEDGER_CHECK(OptionalTeam(d, p->team_id()));
  LEDGER_CHECK(OptionalRole(d, p->role_id()));
  LEDGER_CHECK(d.SealedFor(p->email(), "email", p->employee_id(), true));
  LEDGER_CHECK(d.SealedFor(p->full_name(), "full_name", p->employee_id(), false));
  LEDGER_CHECK(SeatAvailable(d));
  LEDGER_CHECK(EmailUnique(d, p->email()));
  return std::nullopt;
}

// Offboarding takes away everything the employee held, as events.
void Offboard(Decider& d, const std::string& employee_id) {
  const State& s = d.s_;
  std::vector<ledger::Text> agents, configs, requests;
  for (const auto& [id, a] : s.employee_agents) {
    if (a.employee_id == employee_id && a.status != state::AgentStatus::Revoked)
      agents.push_back(a.id);
  }
  for (const auto& [id, c] : s.mcp_configs) {
    if (c.employee_id == employee_id && !c.removed) configs.push_back(c.id);
  }
  for (const auto& [id, r] : s.agent_requests) {
    if (r.employee_id == employee_id && r.status == state::RequestStatus::Pending)
      requests.push_back(r.id);
  }
  std::sort(agents.begin(), agents.end());
  std::sort(configs.begin(), configs.end());
  std::sort(requests.begin(), requests.end());
  for (const auto& id : agents)
    d.Emit(fb::CreateEmployeeAgentRevokedDirect(d.builder(), id.c_str()));
  for (const auto& id : configs) {
    d.Emit(fb::CreateEmployeeMcpRemovedDirect(d.builder(), id.c_str(), employee_id.c_str()));
  }
  for (const auto& id : requests)
    d.Emit(fb::CreateAgentRequestCancelledDirect(d.builder(), id.c_str()));
}

}  // namespace

Verdict Decider::People(bool* handled) {
  *handled = true;
  const State& s = s_;
  switch (e_.payload_type()) {
    case fb::Payload::TeamCreated: {
      const auto* p = e_.payload_as_TeamCreated();
      LEDGER_CHECK(NewId(s.teams, p->team_id(), "team"));
      LEDGER_CHECK(NonEmpty(p->name(), "name"));
      return std::nullopt;
    }
    case fb::Payload::TeamRenamed: {
      const auto* p = e_.payload_as_TeamRenamed();
      LEDGER_CHECK(LiveTeam(p->team_id()));
      LEDGER_CHECK(NonEmpty(p->name(), "name"));
      return std::nullopt;
    }
    case fb::Payload::TeamDeleted: {
      const auto* p = e_.payload_as_TeamDeleted();
      LEDGER_CHECK(LiveTeam(p->team_id()));
      for (const auto& [id, m] : s.employees) {
        if (m.team_id == p->team_id()->string_view() && m.status != ES::Offboarded) {
          return Transition("team", p->team_id(), "still has employee " + m.id);
        }
      }
      return std::nullopt;
    }
    case fb::Payload::RoleDefined: {
      const auto* p = e_.payload_as_RoleDefined();
      LEDGER_CHECK(NewId(s.roles, p->role_id(), "role"));
      LEDGER_CHECK(UniqueName(s.roles, p->name(), "role"));
      return std::nullopt;
    }
    case fb::Payload::RolePermissionsChanged:
      LEDGER_CHECK(LiveRole(e_.payload_as_RolePermissionsChanged()->role_id()));
      return std::nullopt;
    case fb::Payload::EmployeeHired: {
      LEDGER_CHECK(NewEmployee(*this, e_.payload_as_EmployeeHired()));
      return std::nullopt;
    }
    case fb::Payload::EmployeeInvited: {
      const auto* p = e_.payload_as_EmployeeInvited();
      if (p->invitation_id() && p->invitation_id()->size()) {
        const state::InvitationT* invitation = nullptr;
        LEDGER_CHECK(Existing(s.invitations, p->invitation_id(), "invitation", &invitation));
        if (invitation->accepted)
          return Transition("invitation", p->invitation_id(), "was already accepted");
      }
      LEDGER_CHECK(NewEmployee(*this, p));
      return std::nullopt;
    }
    case fb::Payload::EmployeeJoined: {
      const auto* p = e_.payload_as_EmployeeJoined();
      LEDGER_CHECK(Status(*this, p->employee_id(), {ES::Invited}, "join"));
      LEDGER_CHECK(SealedFor(p->full_name(), "full_name", p->employee_id(), false));
      return std::nullopt;
    }
    case fb::Payload::EmployeeRoleChanged: {
      const auto* p = e_.payload_as_EmployeeRoleChanged();
      LEDGER_CHECK(
          Status(*this, p->employee_id(), {ES::Invited, ES::Active, ES::Suspended}, "change role"));
      LEDGER_CHECK(LiveRole(p->role_id()));
      return std::nullopt;
    }
    case fb::Payload::EmployeeTeamChanged: {
      const auto* p = e_.payload_as_EmployeeTeamChanged();
      LEDGER_CHECK(
          Status(*this, p->employee_id(), {ES::Invited, ES::Active, ES::Suspended}, "change team"));
      LEDGER_CHECK(LiveTeam(p->team_id()));
      return std::nullopt;
    }
    case fb::Payload::EmployeeSuspended: {
      const auto* p = e_.payload_as_EmployeeSuspended();
      LEDGER_CHECK(Status(*this, p->employee_id(), {ES::Active}, "suspend"));
      LEDGER_CHECK(SealedFor(p->reason(), "reason", p->employee_id(), false));
      return std::nullopt;
    }
    case fb::Payload::EmployeeReactivated:
      LEDGER_CHECK(Status(*this, e_.payload_as_EmployeeReactivated()->employee_id(),
                          {ES::Suspended}, "reactivate"));
      return std::nullopt;
    case fb::Payload::EmployeeOffboarded: {
      const auto* p = e_.payload_as_EmployeeOffboarded();
      LEDGER_CHECK(
          Status(*this, p->employee_id(), {ES::Invited, ES::Active, ES::Suspended}, "offboard"));
      LEDGER_CHECK(SealedFor(p->reason(), "reason", p->employee_id(), false));
      Offboard(*this, p->employee_id()->str());
      return std::nullopt;
    }
    case fb::Payload::InvitationSent: {
      const auto* p = e_.payload_as_InvitationSent();
      LEDGER_CHECK(NewId(s.invitations, p->invitation_id(), "invitation"));
      LEDGER_CHECK(OptionalTeam(*this, p->team_id()));
      LEDGER_CHECK(OptionalRole(*this, p->role_id()));
      if (p->invited_by() && p->invited_by()->size())
        LEDGER_CHECK(ActiveEmployee(p->invited_by(), "invited_by"));
      LEDGER_CHECK(SealedFor(p->email(), "email", nullptr, true));
      return std::nullopt;
    }
    case fb::Payload::InvitationAccepted: {
      const auto* p = e_.payload_as_InvitationAccepted();
      const state::InvitationT* invitation = nullptr;
      LEDGER_CHECK(Existing(s.invitations, p->invitation_id(), "invitation", &invitation));
      if (invitation->accepted)
        return Transition("invitation", p->invitation_id(), "was already accepted");
      LEDGER_CHECK(Employee(p->employee_id(), "employee", nullptr));
      return std::nullopt;
    }
    case fb::Payload::SessionStarted: {
      const auto* p = e_.payload_as_SessionStarted();
      LEDGER_CHECK(NewId(s.sessions, p->session_id(), "session"));
      LEDGER_CHECK(ActiveEmployee(p->employee_id(), "employee"));
      LEDGER_CHECK(SealedFor(p->ip_address(), "ip_address", p->employee_id(), false));
      LEDGER_CHECK(SealedFor(p->user_agent(), "user_agent", p->employee_id(), false));
      return std::nullopt;
    }
    case fb::Payload::SessionEnded: {
      const auto* p = e_.payload_as_SessionEnded();
      const state::SessionT* session = nullptr;
      LEDGER_CHECK(Existing(s.sessions, p->session_id(), "session", &session));
      if (session->ended) return Transition("session", p->session_id(), "has already ended");
      return std::nullopt;
    }
    case fb::Payload::ApiKeyIssued: {
      const auto* p = e_.payload_as_ApiKeyIssued();
      LEDGER_CHECK(NewId(s.api_keys, p->api_key_id(), "api key"));
      LEDGER_CHECK(NonEmpty(p->key_hash(), "key_hash"));
      if (p->employee_id() && p->employee_id()->size())
        LEDGER_CHECK(ActiveEmployee(p->employee_id(), "employee"));
      return std::nullopt;
    }
    case fb::Payload::ApiKeyRevoked: {
      const auto* p = e_.payload_as_ApiKeyRevoked();
      const state::ApiKeyT* key = nullptr;
      LEDGER_CHECK(Existing(s.api_keys, p->api_key_id(), "api key", &key));
      if (key->revoked) return Transition("api key", p->api_key_id(), "is already revoked");
      return std::nullopt;
    }
    default:
      *handled = false;
      return std::nullopt;
  }
}

Verdict Decider::Catalogue(bool* handled) {
  *handled = true;
  const State& s = s_;
  auto listing = [&](const String* id, bool is_public, bool retired) {
    out_->directory.push_back(
        {directory::TemplateKey(Id(id)), directory::EncodeListing({s.org, is_public, retired})});
  };
  switch (e_.payload_type()) {
    case fb::Payload::AgentTemplatePublished: {
      const auto* p = e_.payload_as_AgentTemplatePublished();
      LEDGER_CHECK(NewId(s.agent_templates, p->template_id(), "template"));
      if (auto other = lookups_.FindTemplate(Id(p->template_id()))) {
        return Reject(Rule::kDuplicateId,
                      "template " + p->template_id()->str() + " already exists in another org");
      }
      LEDGER_CHECK(UniqueName(s.agent_templates, p->name(), "template"));
      listing(p->template_id(), p->is_public(), false);
      return std::nullopt;
    }
    case fb::Payload::AgentTemplateUpdated: {
      const auto* p = e_.payload_as_AgentTemplateUpdated();
      const state::AgentTemplateT* t = nullptr;
      LEDGER_CHECK(Existing(s.agent_templates, p->template_id(), "template", &t));
      if (t->retired) return NotLive("template", p->template_id(), "is retired");
      LEDGER_CHECK(UniqueName(s.agent_templates, p->name(), "template", p->template_id()));
      listing(p->template_id(), p->is_public(), false);
      return std::nullopt;
    }
    case fb::Payload::AgentTemplateRetired: {
      const auto* p = e_.payload_as_AgentTemplateRetired();
      const state::AgentTemplateT* t = nullptr;
      LEDGER_CHECK(Existing(s.agent_templates, p->template_id(), "template", &t));
      if (t->retired) return Transition("template", p->template_id(), "is already retired");
      listing(p->template_id(), t->is_public, true);
      return std::nullopt;
    }
    case fb::Payload::ToolRegistered: {
      const auto* p = e_.payload_as_ToolRegistered();
      LEDGER_CHECK(NewId(s.tools, p->tool_id(), "tool"));
      LEDGER_CHECK(UniqueName(s.tools, p->name(), "tool"));
      return std::nullopt;
    }
    case fb::Payload::TemplateToolAdded:
    case fb::Payload::TemplateToolRemoved: {
      bool add = e_.payload_type() == fb::Payload::TemplateToolAdded;
      const String* template_id = add ? e_.payload_as_TemplateToolAdded()->template_id()
                                      : e_.payload_as_TemplateToolRemoved()->template_id();
      const String* tool_id = add ? e_.payload_as_TemplateToolAdded()->tool_id()
                                  : e_.payload_as_TemplateToolRemoved()->tool_id();
      const state::AgentTemplateT* t = nullptr;
      LEDGER_CHECK(Existing(s.agent_templates, template_id, "template", &t));
      if (t->retired) return NotLive("template", template_id, "is retired");
      LEDGER_CHECK(Existing(s.tools, tool_id, "tool"));
      bool present = s.template_tools.count({Id(template_id), Id(tool_id)});
      if (add && present)
        return Transition("tool", tool_id, "is already on template " + template_id->str());
      if (!add && !present)
        return Transition("tool", tool_id, "is not on template " + template_id->str());
      return std::nullopt;
    }
    case fb::Payload::PolicyDefined: {
      const auto* p = e_.payload_as_PolicyDefined();
      LEDGER_CHECK(NewId(s.policies, p->policy_id(), "policy"));
      LEDGER_CHECK(UniqueName(s.policies, p->name(), "policy"));
      return std::nullopt;
    }
    case fb::Payload::PolicyAttachedToTeam: {
      const auto* p = e_.payload_as_PolicyAttachedToTeam();
      LEDGER_CHECK(NewId(s.team_policies, p->team_policy_id(), "team policy"));
      LEDGER_CHECK(LiveTeam(p->team_id()));
      LEDGER_CHECK(Existing(s.policies, p->policy_id(), "policy"));
      for (const auto& [id, tp] : s.team_policies) {
        if (tp.team_id == p->team_id()->string_view() &&
            tp.policy_id == p->policy_id()->string_view()) {
          return Transition("policy", p->policy_id(), "is already attached to team " + tp.team_id);
        }
      }
      return std::nullopt;
    }
    case fb::Payload::PolicyDetachedFromTeam: {
      const auto* p = e_.payload_as_PolicyDetachedFromTeam();
      const state::TeamPolicyT* tp = nullptr;
      LEDGER_CHECK(Existing(s.team_policies, p->team_policy_id(), "team policy", &tp));
      if (tp->team_id != Str(p->team_id()) || tp->policy_id != Str(p->policy_id())) {
        return Reject(Rule::kInvalidValue, "team policy " + tp->id + " joins team " + tp->team_id +
                                               " and policy " + tp->policy_id);
      }
      return std::nullopt;
    }
    case fb::Payload::PolicyAttachedToTemplate:
    case fb::Payload::PolicyDetachedFromTemplate: {
      bool attach = e_.payload_type() == fb::Payload::PolicyAttachedToTemplate;
      const String* template_id = attach
                                      ? e_.payload_as_PolicyAttachedToTemplate()->template_id()
                                      : e_.payload_as_PolicyDetachedFromTemplate()->template_id();
      const String* policy_id = attach ? e_.payload_as_PolicyAttachedToTemplate()->policy_id()
                                       : e_.payload_as_PolicyDetachedFromTemplate()->policy_id();
      LEDGER_CHECK(Existing(s.agent_templates, template_id, "template"));
      LEDGER_CHECK(Existing(s.policies, policy_id, "policy"));
      bool present = s.template_policies.count({Id(template_id), Id(policy_id)});
      if (attach && present)
        return Transition("policy", policy_id, "is already on template " + template_id->str());
      if (!attach && !present)
        return Transition("policy", policy_id, "is not on template " + template_id->str());
      return std::nullopt;
    }
    default:
      *handled = false;
      return std::nullopt;
  }
}

Verdict Decider::Agents(bool* handled) {
  *handled = true;
  const State& s = s_;
  using AS = state::AgentStatus;
  switch (e_.payload_type()) {
    case fb::Payload::EmployeeAgentAssigned: {
      const auto* p = e_.payload_as_EmployeeAgentAssigned();
      LEDGER_CHECK(NewId(s.employee_agents, p->agent_id(), "agent"));
      LEDGER_CHECK(ActiveEmployee(p->employee_id(), "employee"));
      LEDGER_CHECK(IdField(p->template_id(), "template_id"));
      auto own = s.agent_templates.find(Id(p->template_id()));
      if (own != s.agent_templates.end()) {
        if (own->second.retired) return NotLive("template", p->template_id(), "is retired");
      } else {
        auto listed = lookups_.FindTemplate(Id(p->template_id()));
        if (!listed || !listed->is_public) {
          return Reject(Rule::kTemplateNotUsable, "template " + p->template_id()->str() +
                                                      " is neither this org's own nor public");
        }
        if (listed->retired) return NotLive("template", p->template_id(), "is retired");
      }
      uint32_t max = s.organization->max_agents_per_employee;
      auto held = s.live_agents_by_employee.find(Id(p->employee_id()));
      uint32_t count = held == s.live_agents_by_employee.end() ? 0 : held->second;
      if (max != 0 && count >= max) {
        return Reject(Rule::kAgentLimit, "employee " + p->employee_id()->str() + " already has " +
                                             std::to_string(count) +
                                             " agents; max_agents_per_employee is " +
                                             std::to_string(max));
      }
      return std::nullopt;
    }
    case fb::Payload::EmployeeAgentConfigOverridden:
      LEDGER_CHECK(LiveAgent(e_.payload_as_EmployeeAgentConfigOverridden()->agent_id()));
      return std::nullopt;
    case fb::Payload::EmployeeAgentPaused: {
      const String* id = e_.payload_as_EmployeeAgentPaused()->agent_id();
      const state::EmployeeAgentT* agent = nullptr;
      LEDGER_CHECK(LiveAgent(id, &agent));
      if (agent->status != AS::Active) return Transition("agent", id, "is not active");
      return std::nullopt;
    }
    case fb::Payload::EmployeeAgentResumed: {
      const String* id = e_.payload_as_EmployeeAgentResumed()->agent_id();
      const state::EmployeeAgentT* agent = nullptr;
      LEDGER_CHECK(LiveAgent(id, &agent));
      if (agent->status != AS::Paused) return Transition("agent", id, "is not paused");
      return std::nullopt;
    }
    case fb::Payload::EmployeeAgentRevoked:
      LEDGER_CHECK(LiveAgent(e_.payload_as_EmployeeAgentRevoked()->agent_id()));
      return std::nullopt;
    case fb::Payload::McpCategoryCreated: {
      const auto* p = e_.payload_as_McpCategoryCreated();
      LEDGER_CHECK(NewId(s.mcp_categories, p->category_id(), "mcp category"));
      LEDGER_CHECK(UniqueName(s.mcp_categories, p->name(), "mcp category"));
      return std::nullopt;
    }
    case fb::Payload::McpServerRegistered: {
      const auto* p = e_.payload_as_McpServerRegistered();
      LEDGER_CHECK(NewId(s.mcp_servers, p->mcp_server_id(), "mcp server"));
      LEDGER_CHECK(UniqueName(s.mcp_servers, p->name(), "mcp server"));
      if (p->category_id() && p->category_id()->size()) {
        LEDGER_CHECK(Existing(s.mcp_categories, p->category_id(), "mcp category"));
      }
      return std::nullopt;
    }
    case fb::Payload::McpServerApproved: {
      const String* id = e_.payload_as_McpServerApproved()->mcp_server_id();
      const state::McpServerT* server = nullptr;
      LEDGER_CHECK(Existing(s.mcp_servers, id, "mcp server", &server));
      if (server->is_approved) return Transition("mcp server", id, "is already approved");
      return std::nullopt;
    }
    case fb::Payload::EmployeeMcpConfigured: {
      const auto* p = e_.payload_as_EmployeeMcpConfigured();
      LEDGER_CHECK(NewId(s.mcp_configs, p->mcp_config_id(), "mcp config"));
      LEDGER_CHECK(ActiveEmployee(p->employee_id(), "employee"));
      const state::McpServerT* server = nullptr;
      LEDGER_CHECK(Existing(s.mcp_servers, p->mcp_server_id(), "mcp server", &server));
      if (!server->is_approved) {
        return Reject(Rule::kMcpServerNotApproved,
                      "mcp server " + p->mcp_server_id()->str() + " is not approved");
      }
      return std::nullopt;
    }
    case fb::Payload::EmployeeMcpRemoved: {
      const auto* p = e_.payload_as_EmployeeMcpRemoved();
      const state::McpConfigT* config = nullptr;
      LEDGER_CHECK(Existing(s.mcp_configs, p->mcp_config_id(), "mcp config", &config));
      if (config->removed) return NotLive("mcp config", p->mcp_config_id(), "is already removed");
      if (config->employee_id != Str(p->employee_id())) {
        return Reject(Rule::kInvalidValue,
                      "mcp config " + config->id + " belongs to employee " + config->employee_id);
      }
      return std::nullopt;
    }
    default:
      *handled = false;
      return std::nullopt;
  }
}

Verdict Decider::Requests(bool* handled) {
  *handled = true;
  const State& s = s_;
  auto pending = [&](const String* id, const state::AgentRequestT** found) -> Verdict {
    LEDGER_CHECK(Existing(s.agent_requests, id, "request", found));
    if ((*found)->status != state::RequestStatus::Pending) {
      return Reject(Rule::kRequestNotPending, "request " + id->str() + " is " +
                                                  state::EnumNameRequestStatus((*found)->status) +
                                                  ", not Pending");
    }
    return std::nullopt;
  };
  const state::AgentRequestT* request = nullptr;
  switch (e_.payload_type()) {
    case fb::Payload::AgentRequestSubmitted: {
      const auto* p = e_.payload_as_AgentRequestSubmitted();
      LEDGER_CHECK(NewId(s.agent_requests, p->request_id(), "request"));
      LEDGER_CHECK(ActiveEmployee(p->employee_id(), "employee"));
      LEDGER_CHECK(NonEmpty(p->request_type(), "request_type"));
      if (p->required_approvals() == 0) {
        return Reject(Rule::kInvalidValue, "request " + p->request_id()->str() +
                                               ": required_approvals must be at least 1");
      }
      LEDGER_CHECK(SealedFor(p->reason(), "reason", p->employee_id(), false));
      return std::nullopt;
    }
    case fb::Payload::ApprovalRecorded: {
      const auto* p = e_.payload_as_ApprovalRecorded();
      LEDGER_CHECK(IdField(p->approval_id(), "approval_id"));
      LEDGER_CHECK(pending(p->request_id(), &request));
      const state::EmployeeT* approver = nullptr;
      LEDGER_CHECK(ActiveEmployee(p->approver_id(), "approver", &approver));
      auto role = s.roles.find(IdOf(approver->role_id));
      if (role == s.roles.end() || !role->second.can_approve) {
        return Reject(Rule::kNotApprover,
                      "approver " + approver->id + "'s role " +
                          (approver->role_id.empty() ? "(none)" : approver->role_id) +
                          " does not allow approving");
      }
      if (approver->id == request->employee_id) {
        return Reject(Rule::kSelfApproval,
                      "approver " + approver->id + " submitted request " + request->id);
      }
      int approvals = 0;
      for (const auto& vote : request->approvals) {
        if (vote->approver_id == approver->id) {
          return Reject(Rule::kAlreadyVoted,
                        "approver " + approver->id + " already voted on request " + request->id);
        }
        if (vote->decision == fb::ApprovalDecision::Approve) ++approvals;
      }
      if (p->decision() != fb::ApprovalDecision::Approve &&
          p->decision() != fb::ApprovalDecision::Reject) {
        return Reject(Rule::kInvalidValue, "decision must be Approve or Reject");
      }
      LEDGER_CHECK(SealedFor(p->comment(), "comment", p->approver_id(), false));
      // One rejection rejects; the required number of approvals approves.
      if (p->decision() == fb::ApprovalDecision::Reject) {
        Emit(fb::CreateAgentRequestResolvedDirect(builder(), request->id.c_str(),
                                                  fb::RequestResolution::Rejected));
      } else if (approvals + 1 >= request->required_approvals) {
        Emit(fb::CreateAgentRequestResolvedDirect(builder(), request->id.c_str(),
                                                  fb::RequestResolution::Approved));
      }
      return std::nullopt;
    }
    case fb::Payload::AgentRequestCancelled:
      LEDGER_CHECK(pending(e_.payload_as_AgentRequestCancelled()->request_id(), &request));
      return std::nullopt;
    case fb::Payload::AgentRequestExpired:
      LEDGER_CHECK(pending(e_.payload_as_AgentRequestExpired()->request_id(), &request));
      return std::nullopt;
    default:
      *handled = false;
      return std::nullopt;
  }
}

}  // namespace ledger::decide
