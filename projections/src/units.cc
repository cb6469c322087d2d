// Units of re-rendering: which rows an entity owns, and which entities an
// event's ids name.
#include "entity_rows.h"

namespace ledger::projections {
namespace {

using T = Table;

// Renders the entity of a ById (or LazyById) map, or deletes its row when
// it is gone.
template <typename Map, typename Render>
void One(const RenderContext& c, const Map& map, T table, const std::string& id, RowSink& sink,
         Render render) {
  std::optional<Uuid> key = Uuid::Parse(id);
  auto found = key ? map.find(*key) : map.end();
  if (found == map.end()) return sink.Delete(table, c.state.org, id);
  sink.Put(table, render(c, found->second));
}

template <typename Entity>
void Pairs(const RenderContext& c, const std::map<IdPair, Entity>& map, T table,
           const std::string& id, RowSink& sink,
           Row (*render)(const RenderContext&, const Entity&)) {
  sink.ClearChildren(table, c.state.org, id);
  std::optional<Uuid> key = Uuid::Parse(id);
  if (!key) return;
  for (auto it = map.lower_bound({*key, Uuid{}}); it != map.end() && it->first.first == *key;
       ++it) {
    sink.Put(table, render(c, it->second));
  }
}

template <typename Map>
void All(const RenderContext& c, const Map& map, T table, RowSink& sink,
         Row (*render)(const RenderContext&, const typename Map::mapped_type&)) {
  for (const auto& [id, entity] : map) sink.Put(table, render(c, entity));
}

}  // namespace

void RenderUnit(const RenderContext& c, Kind kind, const std::string& id, RowSink& sink) {
  const State& s = c.state;
  switch (kind) {
    case Kind::kOrganization:
      if (!s.exists()) return;
      sink.Put(T::kOrganizations, OrganizationRow(c));
      for (const auto& [key, subscription] : s.subscriptions) {
        sink.Put(T::kSubscriptions, SubscriptionRow(c, subscription));
      }
      return;
    case Kind::kTeam: {
      std::optional<Uuid> key = Uuid::Parse(id);
      auto found = key ? s.teams.find(*key) : s.teams.end();
      if (found == s.teams.end() || found->second.deleted) {
        return sink.Delete(T::kTeams, s.org, id);
      }
      return sink.Put(T::kTeams, TeamRow(c, found->second));
    }
    case Kind::kRole:
      return One(c, s.roles, T::kRoles, id, sink, RoleRow);
    case Kind::kEmployee:
      return One(c, s.employees, T::kEmployees, id, sink, EmployeeRow);
    case Kind::kTemplate:
      One(c, s.agent_templates, T::kAgentTemplates, id, sink, TemplateRow);
      Pairs(c, s.template_tools, T::kAgentTemplateTools, id, sink, TemplateToolRow);
      Pairs(c, s.template_policies, T::kAgentTemplatePolicies, id, sink, TemplatePolicyRow);
      return;
    case Kind::kTool:
      return One(c, s.tools, T::kTools, id, sink, ToolRow);
    case Kind::kPolicy:
      return One(c, s.policies, T::kPolicies, id, sink, PolicyRow);
    case Kind::kTeamPolicy:
      return One(c, s.team_policies, T::kTeamPolicies, id, sink, TeamPolicyRow);
    case Kind::kAgent:
      return One(c, s.employee_agents, T::kEmployeeAgents, id, sink, AgentRow);
    case Kind::kMcpCategory:
      return One(c, s.mcp_categories, T::kMcpCategories, id, sink, McpCategoryRow);
    case Kind::kMcpServer:
      return One(c, s.mcp_servers, T::kMcpRegistry, id, sink, McpServerRow);
    case Kind::kMcpConfig:
      return One(c, s.mcp_configs, T::kEmployeeMcpConfigs, id, sink, McpConfigRow);
    case Kind::kRequest: {
      One(c, s.agent_requests, T::kAgentRequests, id, sink, RequestRow);
      sink.ClearChildren(T::kApprovals, s.org, id);
      std::optional<Uuid> key = Uuid::Parse(id);
      auto found = key ? s.agent_requests.find(*key) : s.agent_requests.end();
      if (found == s.agent_requests.end()) return;
      for (const auto& approval : found->second.approvals) {
        sink.Put(T::kApprovals, ApprovalRow(c, found->second, *approval));
      }
      return;
    }
    case Kind::kMission:
      return One(c, s.missions, T::kMissions, id, sink, MissionRow);
    case Kind::kTask: {
      One(c, s.tasks, T::kTasks, id, sink, TaskRow);
      sink.ClearChildren(T::kTaskDependencies, s.org, id);
      std::optional<Uuid> key = Uuid::Parse(id);
      auto found = key ? s.tasks.find(*key) : s.tasks.end();
      if (found == s.tasks.end()) return;
      for (const auto& dependency : found->second.dependencies) {
        sink.Put(T::kTaskDependencies, DependencyRow(c, found->second, *dependency));
      }
      return;
    }
    case Kind::kArtifact:
      return One(c, s.artifacts, T::kArtifacts, id, sink, ArtifactRow);
  }
}

void RenderTable(const RenderContext& c, Table table, RowSink& sink) {
  const State& s = c.state;
  switch (table) {
    case T::kOrganizations:
      if (s.exists()) sink.Put(table, OrganizationRow(c));
      return;
    case T::kSubscriptions:
      return All(c, s.subscriptions, table, sink, SubscriptionRow);
    case T::kTeams:
      for (const auto& [id, team] : s.teams) {
        if (!team.deleted) sink.Put(table, TeamRow(c, team));
      }
      return;
    case T::kRoles:
      return All(c, s.roles, table, sink, RoleRow);
    case T::kEmployees:
      return All(c, s.employees, table, sink, EmployeeRow);
    case T::kAgentTemplates:
      return All(c, s.agent_templates, table, sink, TemplateRow);
    case T::kTools:
      return All(c, s.tools, table, sink, ToolRow);
    case T::kPolicies:
      return All(c, s.policies, table, sink, PolicyRow);
    case T::kTeamPolicies:
      return All(c, s.team_policies, table, sink, TeamPolicyRow);
    case T::kAgentTemplateTools:
      for (const auto& [key, t] : s.template_tools) sink.Put(table, TemplateToolRow(c, t));
      return;
    case T::kAgentTemplatePolicies:
      for (const auto& [key, t] : s.template_policies) sink.Put(table, TemplatePolicyRow(c, t));
      return;
    case T::kEmployeeAgents:
      return All(c, s.employee_agents, table, sink, AgentRow);
    case T::kMcpCategories:
      return All(c, s.mcp_categories, table, sink, McpCategoryRow);
    case T::kMcpRegistry:
      return All(c, s.mcp_servers, table, sink, McpServerRow);
    case T::kEmployeeMcpConfigs:
      return All(c, s.mcp_configs, table, sink, McpConfigRow);
    case T::kAgentRequests:
      return All(c, s.agent_requests, table, sink, RequestRow);
    case T::kApprovals:
      for (const auto& [id, request] : s.agent_requests) {
        for (const auto& approval : request.approvals) {
          sink.Put(table, ApprovalRow(c, request, *approval));
        }
      }
      return;
    case T::kMissions:
      return All(c, s.missions, table, sink, MissionRow);
    case T::kTasks:
      return All(c, s.tasks, table, sink, TaskRow);
    case T::kTaskDependencies:
      for (const auto& [id, task] : s.tasks) {
        for (const auto& dependency : task.dependencies) {
          sink.Put(table, DependencyRow(c, task, *dependency));
        }
      }
      return;
    case T::kArtifacts:
      return All(c, s.artifacts, table, sink, ArtifactRow);
    case T::kUsageRecords:
    case T::kEvents:
      return;  // one row per event: written from the feed, not from state
  }
}

void UnitsNamed(const State& s, const Uuid& id, const std::function<void(Kind)>& visit) {
  auto has = [&id](const auto& map) { return map.count(id) != 0; };
  if (has(s.teams)) visit(Kind::kTeam);
  if (has(s.roles)) visit(Kind::kRole);
  if (has(s.employees)) visit(Kind::kEmployee);
  if (has(s.agent_templates)) visit(Kind::kTemplate);
  if (has(s.tools)) visit(Kind::kTool);
  if (has(s.policies)) visit(Kind::kPolicy);
  if (has(s.team_policies)) visit(Kind::kTeamPolicy);
  if (has(s.employee_agents)) visit(Kind::kAgent);
  if (has(s.mcp_categories)) visit(Kind::kMcpCategory);
  if (has(s.mcp_servers)) visit(Kind::kMcpServer);
  if (has(s.mcp_configs)) visit(Kind::kMcpConfig);
  if (has(s.agent_requests)) visit(Kind::kRequest);
  if (has(s.missions)) visit(Kind::kMission);
  if (has(s.tasks)) visit(Kind::kTask);
  if (has(s.artifacts)) visit(Kind::kArtifact);
}

void UnitsWithSubject(const State& s, std::string_view subject,
                      const std::function<void(Kind, std::string_view)>& visit) {
  auto of = [subject](const std::unique_ptr<fb::SealedT>& sealed) {
    return sealed && sealed->subject_id == subject;
  };
  for (const auto& [id, e] : s.employees) {
    if (of(e.email) || of(e.full_name)) visit(Kind::kEmployee, e.id);
  }
  for (const auto& [id, r] : s.agent_requests) {
    bool named = of(r.reason);
    for (const auto& a : r.approvals) named = named || of(a->comment);
    if (named) visit(Kind::kRequest, r.id);
  }
  for (const auto& [id, m] : s.missions) {
    if (of(m.intent)) visit(Kind::kMission, m.id);
  }
}

}  // namespace ledger::projections
