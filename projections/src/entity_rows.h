// Row builders for each entity table (entity_rows.cc).
#pragma once

#include "ledger/projections/tables.h"

namespace ledger::projections {

Row OrganizationRow(const RenderContext& c);
Row SubscriptionRow(const RenderContext& c, const state::SubscriptionT& s);
Row TeamRow(const RenderContext& c, const state::TeamT& t);
Row RoleRow(const RenderContext& c, const state::RoleT& r);
Row EmployeeRow(const RenderContext& c, const state::EmployeeT& e);
Row TemplateRow(const RenderContext& c, const state::AgentTemplateT& t);
Row ToolRow(const RenderContext& c, const state::ToolT& t);
Row PolicyRow(const RenderContext& c, const state::PolicyT& p);
Row TeamPolicyRow(const RenderContext& c, const state::TeamPolicyT& p);
Row TemplateToolRow(const RenderContext& c, const state::TemplateToolT& t);
Row TemplatePolicyRow(const RenderContext& c, const state::TemplatePolicyT& t);
Row AgentRow(const RenderContext& c, const state::EmployeeAgentT& a);
Row McpCategoryRow(const RenderContext& c, const state::McpCategoryT& m);
Row McpServerRow(const RenderContext& c, const state::McpServerT& m);
Row McpConfigRow(const RenderContext& c, const state::McpConfigT& m);
Row RequestRow(const RenderContext& c, const state::AgentRequestT& r);
Row ApprovalRow(const RenderContext& c, const state::AgentRequestT& r, const state::ApprovalT& a);
Row MissionRow(const RenderContext& c, const state::MissionT& m);
Row TaskRow(const RenderContext& c, const state::TaskT& t);
Row DependencyRow(const RenderContext& c, const state::TaskT& t, const state::TaskDependencyT& d);
Row ArtifactRow(const RenderContext& c, const state::ArtifactT& a);

}  // namespace ledger::projections
