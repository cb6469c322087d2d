// Apply for people and what they use: teams, roles, employees, invitations,
// sessions, API keys, templates, tools, policies, agents, MCP and requests.
#include "apply_util.h"

namespace ledger::apply {
namespace {

using ES = state::EmployeeStatus;
using AS = state::AgentStatus;
using state::RequestStatus;

void SetStatus(State& s, state::EmployeeT& employee, ES status) {
  if (employee.status != ES::Offboarded && status == ES::Offboarded) --s.seat_holders;
  employee.status = status;
}

void SetAgentStatus(State& s, state::EmployeeAgentT& agent, AS status) {
  if (agent.status != AS::Revoked && status == AS::Revoked) {
    --s.live_agents_by_employee[IdOf(agent.employee_id)];
  }
  agent.status = status;
}

void AddEmployee(State& s, const flatbuffers::String* id, state::EmployeeT employee) {
  auto [it, inserted] = s.employees.try_emplace(Id(id), std::move(employee));
  if (inserted) {
    ++s.seat_holders;
    Grow(s);
  }
}

void ApplyTemplate(state::AgentTemplateT& t, const auto* p) {
  t.name = Str(p->name());
  t.type = Str(p->type());
  t.description = Str(p->description());
  t.default_config = Str(p->default_config());
  t.capabilities = Str(p->capabilities());
  t.llm_provider = Str(p->llm_provider());
  t.llm_model = Str(p->llm_model());
  t.is_public = p->is_public();
}

bool ApplyEmployees(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  switch (e.payload_type()) {
    case fb::Payload::TeamCreated: {
      const auto* p = e.payload_as_TeamCreated();
      state::TeamT t;
      t.id = Str(p->team_id());
      t.name = Str(p->name());
      t.description = Str(p->description());
      t.settings = Str(p->settings());
      t.created_at = t.updated_at = now;
      if (s.teams.try_emplace(Id(p->team_id()), std::move(t)).second) Grow(s);
      return true;
    }
    case fb::Payload::TeamRenamed:
      if (auto* t = Find(s.teams, e.payload_as_TeamRenamed()->team_id())) {
        t->name = Str(e.payload_as_TeamRenamed()->name());
        t->updated_at = now;
      }
      return true;
    case fb::Payload::TeamDeleted:
      if (auto* t = Find(s.teams, e.payload_as_TeamDeleted()->team_id())) {
        t->deleted = true;
        t->updated_at = now;
      }
      return true;
    case fb::Payload::RoleDefined: {
      const auto* p = e.payload_as_RoleDefined();
      state::RoleT r;
      r.id = Str(p->role_id());
      r.name = Str(p->name());
      r.description = Str(p->description());
      r.permissions = Str(p->permissions());
      r.can_approve = p->can_approve();
      r.created_at = r.updated_at = now;
      if (s.roles.try_emplace(Id(p->role_id()), std::move(r)).second) Grow(s);
      return true;
    }
    case fb::Payload::RolePermissionsChanged: {
      const auto* p = e.payload_as_RolePermissionsChanged();
      if (auto* r = Find(s.roles, p->role_id())) {
        r->permissions = Str(p->permissions());
        r->can_approve = p->can_approve();
        r->updated_at = now;
      }
      return true;
    }
    case fb::Payload::EmployeeHired: {
      const auto* p = e.payload_as_EmployeeHired();
      state::EmployeeT m;
      m.id = Str(p->employee_id());
      m.team_id = Str(p->team_id());
      m.role_id = Str(p->role_id());
      m.email = Sealed(p->email());
      m.full_name = Sealed(p->full_name());
      m.preferences = Str(p->preferences());
      m.status = ES::Active;
      m.created_at = m.updated_at = now;
      AddEmployee(s, p->employee_id(), std::move(m));
      return true;
    }
    case fb::Payload::EmployeeInvited: {
      const auto* p = e.payload_as_EmployeeInvited();
      state::EmployeeT m;
      m.id = Str(p->employee_id());
      m.invitation_id = Str(p->invitation_id());
      m.team_id = Str(p->team_id());
      m.role_id = Str(p->role_id());
      m.email = Sealed(p->email());
      m.full_name = Sealed(p->full_name());
      m.status = ES::Invited;
      m.created_at = m.updated_at = now;
      AddEmployee(s, p->employee_id(), std::move(m));
      return true;
    }
    case fb::Payload::EmployeeJoined: {
      const auto* p = e.payload_as_EmployeeJoined();
      if (auto* m = Find(s.employees, p->employee_id())) {
        if (p->full_name()) m->full_name = Sealed(p->full_name());
        if (p->preferences()) m->preferences = Str(p->preferences());
        SetStatus(s, *m, ES::Active);
        m->updated_at = now;
      }
      return true;
    }
    case fb::Payload::EmployeeRoleChanged:
      if (auto* m = Find(s.employees, e.payload_as_EmployeeRoleChanged()->employee_id())) {
        m->role_id = Str(e.payload_as_EmployeeRoleChanged()->role_id());
        m->updated_at = now;
      }
      return true;
    case fb::Payload::EmployeeTeamChanged:
      if (auto* m = Find(s.employees, e.payload_as_EmployeeTeamChanged()->employee_id())) {
        m->team_id = Str(e.payload_as_EmployeeTeamChanged()->team_id());
        m->updated_at = now;
      }
      return true;
    case fb::Payload::EmployeeSuspended:
      if (auto* m = Find(s.employees, e.payload_as_EmployeeSuspended()->employee_id())) {
        SetStatus(s, *m, ES::Suspended);
        m->updated_at = now;
      }
      return true;
    case fb::Payload::EmployeeReactivated:
      if (auto* m = Find(s.employees, e.payload_as_EmployeeReactivated()->employee_id())) {
        SetStatus(s, *m, ES::Active);
        m->updated_at = now;
      }
      return true;
    case fb::Payload::EmployeeOffboarded:
      if (auto* m = Find(s.employees, e.payload_as_EmployeeOffboarded()->employee_id())) {
        SetStatus(s, *m, ES::Offboarded);
        m->updated_at = now;
      }
      return true;
    case fb::Payload::InvitationSent: {
      const auto* p = e.payload_as_InvitationSent();
      state::InvitationT i;
      i.id = Str(p->invitation_id());
      i.email = Sealed(p->email());
      i.team_id = Str(p->team_id());
      i.role_id = Str(p->role_id());
      i.invited_by = Str(p->invited_by());
      i.expires_at = p->expires_at();
      i.created_at = now;
      if (s.invitations.try_emplace(Id(p->invitation_id()), std::move(i)).second) Grow(s);
      return true;
    }
    case fb::Payload::InvitationAccepted: {
      const auto* p = e.payload_as_InvitationAccepted();
      if (auto* i = Find(s.invitations, p->invitation_id())) {
        i->accepted = true;
        i->employee_id = Str(p->employee_id());
      }
      return true;
    }
    case fb::Payload::SessionStarted: {
      const auto* p = e.payload_as_SessionStarted();
      state::SessionT x;
      x.id = Str(p->session_id());
      x.employee_id = Str(p->employee_id());
      x.token_hash = Str(p->token_hash());
      x.ip_address = Sealed(p->ip_address());
      x.user_agent = Sealed(p->user_agent());
      x.expires_at = p->expires_at();
      x.created_at = now;
      if (s.sessions.try_emplace(Id(p->session_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::SessionEnded:
      if (auto* x = Find(s.sessions, e.payload_as_SessionEnded()->session_id())) x->ended = true;
      return true;
    case fb::Payload::ApiKeyIssued: {
      const auto* p = e.payload_as_ApiKeyIssued();
      state::ApiKeyT k;
      k.id = Str(p->api_key_id());
      k.name = Str(p->name());
      k.key_prefix = Str(p->key_prefix());
      k.key_hash = Str(p->key_hash());
      k.scopes = Strings(p->scopes());
      k.expires_at = p->expires_at();
      k.employee_id = Str(p->employee_id());
      k.created_at = now;
      if (s.api_keys.try_emplace(Id(p->api_key_id()), std::move(k)).second) Grow(s);
      return true;
    }
    case fb::Payload::ApiKeyRevoked:
      if (auto* k = Find(s.api_keys, e.payload_as_ApiKeyRevoked()->api_key_id())) k->revoked = true;
      return true;
    default:
      return false;
  }
}

bool ApplyCatalogue(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  switch (e.payload_type()) {
    case fb::Payload::AgentTemplatePublished: {
      const auto* p = e.payload_as_AgentTemplatePublished();
      state::AgentTemplateT t;
      t.id = Str(p->template_id());
      ApplyTemplate(t, p);
      t.created_at = t.updated_at = now;
      if (s.agent_templates.try_emplace(Id(p->template_id()), std::move(t)).second) {
        Grow(s, p->default_config() ? p->default_config()->size() : 0);
      }
      return true;
    }
    case fb::Payload::AgentTemplateUpdated: {
      const auto* p = e.payload_as_AgentTemplateUpdated();
      if (auto* t = Find(s.agent_templates, p->template_id())) {
        ApplyTemplate(*t, p);
        t->updated_at = now;
      }
      return true;
    }
    case fb::Payload::AgentTemplateRetired:
      if (auto* t = Find(s.agent_templates, e.payload_as_AgentTemplateRetired()->template_id())) {
        t->retired = true;
        t->updated_at = now;
      }
      return true;
    case fb::Payload::ToolRegistered: {
      const auto* p = e.payload_as_ToolRegistered();
      state::ToolT t;
      t.id = Str(p->tool_id());
      t.name = Str(p->name());
      t.type = Str(p->type());
      t.description = Str(p->description());
      t.schema = Str(p->schema());
      t.default_params = Str(p->default_params());
      t.requires_approval = p->requires_approval();
      t.created_at = now;
      if (s.tools.try_emplace(Id(p->tool_id()), std::move(t)).second) Grow(s);
      return true;
    }
    case fb::Payload::TemplateToolAdded: {
      const auto* p = e.payload_as_TemplateToolAdded();
      state::TemplateToolT t;
      t.template_id = Str(p->template_id());
      t.tool_id = Str(p->tool_id());
      t.config = Str(p->config());
      t.created_at = now;
      if (s.template_tools.try_emplace({Id(p->template_id()), Id(p->tool_id())}, std::move(t))
              .second) {
        Grow(s);
      }
      return true;
    }
    case fb::Payload::TemplateToolRemoved: {
      const auto* p = e.payload_as_TemplateToolRemoved();
      s.template_tools.erase({Id(p->template_id()), Id(p->tool_id())});
      return true;
    }
    case fb::Payload::PolicyDefined: {
      const auto* p = e.payload_as_PolicyDefined();
      state::PolicyT t;
      t.id = Str(p->policy_id());
      t.name = Str(p->name());
      t.type = Str(p->type());
      t.rules = Str(p->rules());
      t.severity = Str(p->severity());
      t.created_at = now;
      if (s.policies.try_emplace(Id(p->policy_id()), std::move(t)).second) Grow(s);
      return true;
    }
    case fb::Payload::PolicyAttachedToTeam: {
      const auto* p = e.payload_as_PolicyAttachedToTeam();
      state::TeamPolicyT t;
      t.id = Str(p->team_policy_id());
      t.team_id = Str(p->team_id());
      t.policy_id = Str(p->policy_id());
      t.overrides = Str(p->overrides());
      t.created_at = now;
      if (s.team_policies.try_emplace(Id(p->team_policy_id()), std::move(t)).second) Grow(s);
      return true;
    }
    case fb::Payload::PolicyDetachedFromTeam:
      s.team_policies.erase(Id(e.payload_as_PolicyDetachedFromTeam()->team_policy_id()));
      return true;
    case fb::Payload::PolicyAttachedToTemplate: {
      const auto* p = e.payload_as_PolicyAttachedToTemplate();
      state::TemplatePolicyT t;
      t.template_id = Str(p->template_id());
      t.policy_id = Str(p->policy_id());
      t.created_at = now;
      if (s.template_policies.try_emplace({Id(p->template_id()), Id(p->policy_id())}, std::move(t))
              .second) {
        Grow(s);
      }
      return true;
    }
    case fb::Payload::PolicyDetachedFromTemplate: {
      const auto* p = e.payload_as_PolicyDetachedFromTemplate();
      s.template_policies.erase({Id(p->template_id()), Id(p->policy_id())});
      return true;
    }
    default:
      return false;
  }
}

bool ApplyAgentsAndMcp(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  switch (e.payload_type()) {
    case fb::Payload::EmployeeAgentAssigned: {
      const auto* p = e.payload_as_EmployeeAgentAssigned();
      state::EmployeeAgentT a;
      a.id = Str(p->agent_id());
      a.employee_id = Str(p->employee_id());
      a.template_id = Str(p->template_id());
      a.name = Str(p->name());
      a.config_override = Str(p->config_override());
      a.status = AS::Active;
      a.created_at = a.updated_at = now;
      if (s.employee_agents.try_emplace(Id(p->agent_id()), std::move(a)).second) {
        ++s.live_agents_by_employee[Id(p->employee_id())];
        Grow(s);
      }
      return true;
    }
    case fb::Payload::EmployeeAgentConfigOverridden: {
      const auto* p = e.payload_as_EmployeeAgentConfigOverridden();
      if (auto* a = Find(s.employee_agents, p->agent_id())) {
        a->config_override = Str(p->config_override());
        a->updated_at = now;
      }
      return true;
    }
    case fb::Payload::EmployeeAgentPaused:
    case fb::Payload::EmployeeAgentResumed:
    case fb::Payload::EmployeeAgentRevoked: {
      const flatbuffers::String* agent_id = e.payload_type() == fb::Payload::EmployeeAgentPaused
                                                ? e.payload_as_EmployeeAgentPaused()->agent_id()
                                            : e.payload_type() == fb::Payload::EmployeeAgentResumed
                                                ? e.payload_as_EmployeeAgentResumed()->agent_id()
                                                : e.payload_as_EmployeeAgentRevoked()->agent_id();
      if (auto* a = Find(s.employee_agents, agent_id)) {
        AS to = e.payload_type() == fb::Payload::EmployeeAgentPaused    ? AS::Paused
                : e.payload_type() == fb::Payload::EmployeeAgentResumed ? AS::Active
                                                                        : AS::Revoked;
        SetAgentStatus(s, *a, to);
        a->updated_at = now;
      }
      return true;
    }
    case fb::Payload::McpCategoryCreated: {
      const auto* p = e.payload_as_McpCategoryCreated();
      state::McpCategoryT c;
      c.id = Str(p->category_id());
      c.name = Str(p->name());
      c.description = Str(p->description());
      c.created_at = now;
      if (s.mcp_categories.try_emplace(Id(p->category_id()), std::move(c)).second) Grow(s);
      return true;
    }
    case fb::Payload::McpServerRegistered: {
      const auto* p = e.payload_as_McpServerRegistered();
      state::McpServerT m;
      m.id = Str(p->mcp_server_id());
      m.name = Str(p->name());
      m.provider = Str(p->provider());
      m.version = Str(p->version());
      m.description = Str(p->description());
      m.connection_schema = Str(p->connection_schema());
      m.capabilities = Str(p->capabilities());
      m.requires_credentials = p->requires_credentials();
      m.category_id = Str(p->category_id());
      m.created_at = m.updated_at = now;
      if (s.mcp_servers.try_emplace(Id(p->mcp_server_id()), std::move(m)).second) Grow(s);
      return true;
    }
    case fb::Payload::McpServerApproved:
      if (auto* m = Find(s.mcp_servers, e.payload_as_McpServerApproved()->mcp_server_id())) {
        m->is_approved = true;
        m->updated_at = now;
      }
      return true;
    case fb::Payload::EmployeeMcpConfigured: {
      const auto* p = e.payload_as_EmployeeMcpConfigured();
      state::McpConfigT c;
      c.id = Str(p->mcp_config_id());
      c.employee_id = Str(p->employee_id());
      c.mcp_server_id = Str(p->mcp_server_id());
      c.connection_config = Str(p->connection_config());
      c.credentials_ref = Str(p->credentials_ref());
      c.created_at = c.updated_at = now;
      if (s.mcp_configs.try_emplace(Id(p->mcp_config_id()), std::move(c)).second) Grow(s);
      return true;
    }
    case fb::Payload::EmployeeMcpRemoved:
      if (auto* c = Find(s.mcp_configs, e.payload_as_EmployeeMcpRemoved()->mcp_config_id())) {
        c->removed = true;
        c->updated_at = now;
      }
      return true;
    default:
      return false;
  }
}

bool ApplyRequests(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  switch (e.payload_type()) {
    case fb::Payload::AgentRequestSubmitted: {
      const auto* p = e.payload_as_AgentRequestSubmitted();
      state::AgentRequestT r;
      r.id = Str(p->request_id());
      r.employee_id = Str(p->employee_id());
      r.request_type = Str(p->request_type());
      r.request_data = Str(p->request_data());
      r.reason = Sealed(p->reason());
      r.required_approvals = p->required_approvals();
      r.status = RequestStatus::Pending;
      r.created_at = now;
      if (s.agent_requests.try_emplace(Id(p->request_id()), std::move(r)).second) Grow(s);
      return true;
    }
    case fb::Payload::ApprovalRecorded: {
      const auto* p = e.payload_as_ApprovalRecorded();
      if (auto* r = Find(s.agent_requests, p->request_id())) {
        auto a = std::make_unique<state::ApprovalT>();
        a->id = Str(p->approval_id());
        a->approver_id = Str(p->approver_id());
        a->decision = p->decision();
        a->comment = Sealed(p->comment());
        a->created_at = now;
        r->approvals.push_back(std::move(a));
        Grow(s);
      }
      return true;
    }
    case fb::Payload::AgentRequestResolved: {
      const auto* p = e.payload_as_AgentRequestResolved();
      if (auto* r = Find(s.agent_requests, p->request_id())) {
        r->status = p->resolution() == fb::RequestResolution::Approved ? RequestStatus::Approved
                                                                       : RequestStatus::Rejected;
        r->resolved_at = now;
      }
      return true;
    }
    case fb::Payload::AgentRequestCancelled:
      if (auto* r = Find(s.agent_requests, e.payload_as_AgentRequestCancelled()->request_id())) {
        r->status = RequestStatus::Cancelled;
        r->resolved_at = now;
      }
      return true;
    case fb::Payload::AgentRequestExpired:
      if (auto* r = Find(s.agent_requests, e.payload_as_AgentRequestExpired()->request_id())) {
        r->status = RequestStatus::Expired;
        r->resolved_at = now;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ApplyPeople(State& s, const fb::Event& e, const Position& at) {
  return ApplyEmployees(s, e, at) || ApplyCatalogue(s, e, at) || ApplyAgentsAndMcp(s, e, at) ||
         ApplyRequests(s, e, at);
}

}  // namespace ledger::apply
