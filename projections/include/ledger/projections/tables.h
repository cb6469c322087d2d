// The read-model tables (projections/sql/) as the projector writes them, and
// the rows each org state gives them. The state is what Apply made of the
// events (engine/include/ledger/apply.h), so read models cannot disagree
// with replay.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/projections/row.h"
#include "ledger/projections/sealed_opener.h"
#include "ledger/state.h"

namespace ledger::projections {

enum class Table : uint8_t {
  kOrganizations,
  kSubscriptions,
  kTeams,
  kRoles,
  kEmployees,
  kAgentTemplates,
  kTools,
  kPolicies,
  kTeamPolicies,
  kAgentTemplateTools,
  kAgentTemplatePolicies,
  kEmployeeAgents,
  kMcpCategories,
  kMcpRegistry,
  kEmployeeMcpConfigs,
  kAgentRequests,
  kApprovals,
  kMissions,
  kTasks,
  kTaskDependencies,
  kArtifacts,
  kUsageRecords,
  kEvents,
};
constexpr size_t kTableCount = static_cast<size_t>(Table::kEvents) + 1;

struct TableDef {
  Table table;
  std::string_view name;
  std::vector<std::string_view> columns;  // in the DDL's order
  std::vector<std::string_view> key;      // the primary key
  // Child tables (a request's approvals, a task's dependencies, a
  // template's tools and policies) are replaced whole when their parent
  // changes: `parent` names the column holding the parent's id.
  std::string_view parent;
};
const TableDef& Def(Table table);
const std::array<TableDef, kTableCount>& AllTables();

// The units the projector re-renders when events touch them: one entity and
// the child rows it owns.
enum class Kind : uint8_t {
  kOrganization,  // the organizations row and every subscription
  kTeam,
  kRole,
  kEmployee,
  kTemplate,  // with its tools and policies
  kTool,
  kPolicy,
  kTeamPolicy,
  kAgent,
  kMcpCategory,
  kMcpServer,
  kMcpConfig,
  kRequest,  // with its approvals
  kMission,
  kTask,  // with its dependencies
  kArtifact,
};

// Receives rendered rows.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void Put(Table table, Row row) = 0;
  // The entity is gone from the state: delete its row by (org_id, id).
  virtual void Delete(Table table, const Uuid& org, const std::string& id) = 0;
  // Delete every row of child table `table` whose parent is `parent_id`
  // (before the parent's current children are Put).
  virtual void ClearChildren(Table table, const Uuid& org, const std::string& parent_id) = 0;
};

struct RenderContext {
  const State& state;
  SealedOpener& opener;
};

// Renders one unit: its rows, or its deletion when the state no longer
// holds it.
void RenderUnit(const RenderContext& context, Kind kind, const std::string& id, RowSink& sink);
// Every row of one table for the state (a rebuild's bulk load).
void RenderTable(const RenderContext& context, Table table, RowSink& sink);
// Which units the id names in this state (an id may be several: an
// employee's id is also the subject of their personal fields).
void UnitsNamed(const State& state, const Uuid& id, const std::function<void(Kind)>& visit);
// Every unit holding a personal field of `subject` (after it is forgotten).
void UnitsWithSubject(const State& state, std::string_view subject,
                      const std::function<void(Kind, std::string_view)>& visit);

}  // namespace ledger::projections
