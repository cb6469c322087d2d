// The rows of each entity table, from one org's state. Column order follows
// table_defs.cc.
#include "entity_rows.h"

namespace ledger::projections {
namespace {

using Context = RenderContext;

std::string Snake(const char* name) { return SnakeCase(name); }

// A personal field: plaintext, or NULL when absent or its subject forgotten.
void Personal(const Context& c, const std::unique_ptr<fb::SealedT>& sealed, Row& row) {
  if (!sealed) return row.Null();
  std::optional<Uuid> subject = Uuid::Parse(sealed->subject_id);
  if (subject && c.state.forgotten_subjects.count(*subject)) return row.Null();
  std::optional<std::string> plaintext = c.opener.Open(RefOf(*sealed));
  plaintext ? row.Text(*plaintext) : row.Null();
}

Row Start(const Context& c, std::string_view id) {
  Row row;
  row.Uuid(id);
  row.Text(c.state.org.ToString());
  return row;
}

}  // namespace

Row OrganizationRow(const Context& c) {
  const state::OrganizationT& o = *c.state.organization;
  std::string org = c.state.org.ToString();
  Row row;
  row.Text(org);
  row.Text(org);
  row.Text(o.name);
  row.TextOrNull(o.slug);
  row.TextOrNull(o.plan);
  row.Json(o.settings);
  row.Int(o.max_employees);
  row.Int(o.max_agents_per_employee);
  row.Time(o.created_at);
  row.Time(o.updated_at);
  row.Time(o.deleted_at);
  return row;
}

Row SubscriptionRow(const Context& c, const state::SubscriptionT& s) {
  Row row = Start(c, s.id);
  row.Uuid(s.plan_id);
  row.TextOrNull(s.plan_type);
  row.Money(s.monthly_budget_micros);
  row.Money(s.spending_micros);
  row.Time(s.billing_period_start);
  row.Time(s.billing_period_end);
  row.Text(s.cancelled ? "cancelled" : "active");
  row.Time(s.created_at);
  row.Time(s.updated_at);
  return row;
}

Row TeamRow(const Context& c, const state::TeamT& t) {
  Row row = Start(c, t.id);
  row.Text(t.name);
  row.TextOrNull(t.description);
  row.Json(t.settings);
  row.Time(t.created_at);
  row.Time(t.updated_at);
  return row;
}

Row RoleRow(const Context& c, const state::RoleT& r) {
  Row row = Start(c, r.id);
  row.Text(r.name);
  row.TextOrNull(r.description);
  row.Json(r.permissions);
  row.Bool(r.can_approve);
  row.Time(r.created_at);
  row.Time(r.updated_at);
  return row;
}

Row EmployeeRow(const Context& c, const state::EmployeeT& e) {
  Row row = Start(c, e.id);
  row.Uuid(e.team_id);
  row.Uuid(e.role_id);
  Personal(c, e.email, row);
  Personal(c, e.full_name, row);
  row.Text(Snake(state::EnumNameEmployeeStatus(e.status)));
  row.Json(e.preferences);
  row.Money(e.spending_micros);
  row.Null();  // last_login_at: sessions are not folded per employee
  row.Time(e.created_at);
  row.Time(e.updated_at);
  row.Time(e.status == state::EmployeeStatus::Offboarded ? e.updated_at : 0);
  return row;
}

Row TemplateRow(const Context& c, const state::AgentTemplateT& t) {
  Row row = Start(c, t.id);
  row.Text(t.name);
  row.TextOrNull(t.type);
  row.TextOrNull(t.description);
  row.Json(t.default_config);
  row.Json(t.capabilities);
  row.TextOrNull(t.llm_provider);
  row.TextOrNull(t.llm_model);
  row.Bool(t.is_public);
  row.Bool(t.retired);
  row.Text(c.state.org.ToString());
  row.Time(t.created_at);
  row.Time(t.updated_at);
  return row;
}

Row ToolRow(const Context& c, const state::ToolT& t) {
  Row row = Start(c, t.id);
  row.Text(t.name);
  row.TextOrNull(t.type);
  row.TextOrNull(t.description);
  row.Json(t.schema);
  row.Json(t.default_params);
  row.Bool(t.requires_approval);
  row.Time(t.created_at);
  row.Time(t.created_at);
  return row;
}

Row PolicyRow(const Context& c, const state::PolicyT& p) {
  Row row = Start(c, p.id);
  row.Text(p.name);
  row.TextOrNull(p.type);
  row.Json(p.rules);
  row.TextOrNull(p.severity);
  row.Time(p.created_at);
  row.Time(p.created_at);
  return row;
}

Row TeamPolicyRow(const Context& c, const state::TeamPolicyT& p) {
  Row row = Start(c, p.id);
  row.Uuid(p.team_id);
  row.Uuid(p.policy_id);
  row.Json(p.overrides);
  row.Time(p.created_at);
  return row;
}

Row TemplateToolRow(const Context& c, const state::TemplateToolT& t) {
  Row row;
  row.Text(c.state.org.ToString());
  row.Uuid(t.template_id);
  row.Uuid(t.tool_id);
  row.Json(t.config);
  row.Time(t.created_at);
  return row;
}

Row TemplatePolicyRow(const Context& c, const state::TemplatePolicyT& t) {
  Row row;
  row.Text(c.state.org.ToString());
  row.Uuid(t.template_id);
  row.Uuid(t.policy_id);
  row.Time(t.created_at);
  return row;
}

Row AgentRow(const Context& c, const state::EmployeeAgentT& a) {
  Row row = Start(c, a.id);
  row.Uuid(a.employee_id);
  row.Uuid(a.template_id);
  row.TextOrNull(a.name);
  row.Text(Snake(state::EnumNameAgentStatus(a.status)));
  row.Json(a.config_override);
  row.Null();  // runtime_state: not an event's concern
  row.Money(a.spending_micros);
  row.Time(a.last_used_at);
  row.Time(a.created_at);
  row.Time(a.updated_at);
  return row;
}

Row McpCategoryRow(const Context& c, const state::McpCategoryT& m) {
  Row row = Start(c, m.id);
  row.Text(m.name);
  row.TextOrNull(m.description);
  row.Time(m.created_at);
  return row;
}

Row McpServerRow(const Context& c, const state::McpServerT& m) {
  Row row = Start(c, m.id);
  row.Text(m.name);
  row.TextOrNull(m.provider);
  row.TextOrNull(m.version);
  row.TextOrNull(m.description);
  row.Json(m.connection_schema);
  row.Json(m.capabilities);
  row.Bool(m.requires_credentials);
  row.Bool(m.is_approved);
  row.Uuid(m.category_id);
  row.Time(m.created_at);
  row.Time(m.updated_at);
  return row;
}

Row McpConfigRow(const Context& c, const state::McpConfigT& m) {
  Row row = Start(c, m.id);
  row.Uuid(m.employee_id);
  row.Uuid(m.mcp_server_id);
  row.Text(m.removed ? "removed" : "active");
  row.Json(m.connection_config);
  row.Null();  // credentials_encrypted: secrets never reach the ledger
  row.TextOrNull(m.credentials_ref);
  row.Null();  // last_sync_at
  row.Time(m.created_at);
  row.Time(m.updated_at);
  return row;
}

Row RequestRow(const Context& c, const state::AgentRequestT& r) {
  Row row = Start(c, r.id);
  row.Uuid(r.employee_id);
  row.TextOrNull(r.request_type);
  row.Json(r.request_data);
  row.Text(Snake(state::EnumNameRequestStatus(r.status)));
  Personal(c, r.reason, row);
  row.Int(r.required_approvals);
  row.Time(r.created_at);
  row.Time(r.resolved_at);
  return row;
}

Row ApprovalRow(const Context& c, const state::AgentRequestT& r, const state::ApprovalT& a) {
  Row row = Start(c, a.id);
  row.Uuid(r.id);
  row.Uuid(a.approver_id);
  row.Text(a.decision == fb::ApprovalDecision::Approve ? "approved" : "rejected");
  Personal(c, a.comment, row);
  row.Time(a.created_at);
  row.Time(a.created_at);  // a vote is final when recorded
  return row;
}

Row MissionRow(const Context& c, const state::MissionT& m) {
  Row row = Start(c, m.id);
  row.Uuid(m.employee_id);
  row.TextOrNull(m.title);
  Personal(c, m.intent, row);
  row.Text(Snake(state::EnumNameRunStatus(m.status)));
  row.Json(m.plan);
  row.Json(m.context);
  row.TextOrNull(m.error);
  row.Time(m.started_at);
  row.Time(m.completed_at);
  row.Time(m.started_at);
  return row;
}

Row TaskRow(const Context& c, const state::TaskT& t) {
  Row row = Start(c, t.id);
  row.Uuid(t.mission_id);
  row.Uuid(t.agent_id);
  row.TextOrNull(t.type);
  row.Text(Snake(state::EnumNameRunStatus(t.status)));
  row.Json(t.input);
  row.Json(t.output);
  row.TextOrNull(t.error);
  row.Int(t.retry_count);
  row.Time(t.started_at);
  row.Time(t.completed_at);
  row.Time(t.created_at);
  return row;
}

Row DependencyRow(const Context& c, const state::TaskT& t, const state::TaskDependencyT& d) {
  Row row;
  row.Text(c.state.org.ToString());
  row.Uuid(t.id);
  row.Uuid(d.depends_on_task_id);
  row.Text(Snake(fb::EnumNameDependencyType(d.dependency_type)));
  row.Time(d.created_at);
  return row;
}

Row ArtifactRow(const Context& c, const state::ArtifactT& a) {
  Row row = Start(c, a.id);
  row.Uuid(a.mission_id);
  row.Uuid(a.task_id);
  row.TextOrNull(a.sha256);
  row.TextOrNull(a.artifact_type);
  row.TextOrNull(a.file_path);
  row.Int(a.size_bytes);
  row.Json(a.metadata);
  row.Time(a.created_at);
  return row;
}

}  // namespace ledger::projections
