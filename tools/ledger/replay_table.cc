#include "replay_table.h"

#include <algorithm>

#include "ledger/audit/instant.h"
#include "ledger/projections/row.h"
#include "text_table.h"

namespace ledger::cli {
namespace {

// Entities of a ById (or LazyById) map in the order they appeared (then by
// id, for equal times).
template <typename Map, typename TimeOf>
auto InOrder(const Map& map, TimeOf time_of) {
  using T = typename Map::mapped_type;
  std::vector<const T*> items;
  for (const auto& entry : map) items.push_back(&entry.second);
  std::sort(items.begin(), items.end(), [&](const T* a, const T* b) {
    return std::tie(time_of(*a), a->id) < std::tie(time_of(*b), b->id);
  });
  return items;
}

template <typename Map>
auto ByCreation(const Map& map) {
  using T = typename Map::mapped_type;
  return InOrder(map, [](const T& item) -> const int64_t& { return item.created_at; });
}

std::string Time(int64_t micros) { return micros == 0 ? "-" : audit::FormatInstant(micros); }
std::string Yes(bool value) { return value ? "yes" : "no"; }
std::string Or(std::string_view text) { return text.empty() ? "-" : std::string(text); }

// Long JSON documents (configs) cut to a column's worth.
std::string Short(std::string_view text) {
  constexpr size_t kCellChars = 40;
  if (text.empty()) return "-";
  if (text.size() <= kCellChars) return std::string(text);
  return std::string(text.substr(0, kCellChars - 3)) + "...";
}

template <typename T>
std::string NameOf(const ById<T>& map, std::string_view id) {
  std::optional<Uuid> uuid = Uuid::Parse(id);
  auto found = uuid ? map.find(*uuid) : map.end();
  return found == map.end() ? Or(id) : found->second.name.str();
}

void Organization(const State& s, std::ostream& out) {
  out << "organization " << s.org.ToString() << " at version " << s.version << " ("
      << Time(s.recorded_at) << ")\n";
  if (!s.organization) {
    out << "  (not created yet)\n\n";
    return;
  }
  const state::OrganizationT& o = *s.organization;
  out << "  name " << o.name << ", slug " << o.slug << ", plan " << Or(o.plan) << ", created "
      << Time(o.created_at) << (o.deleted_at ? ", deleted " + Time(o.deleted_at) : "") << "\n";
  out << "  usage records " << s.usage_records << ", activities " << s.activities << "\n\n";
}

void People(const State& s, std::ostream& out) {
  TextTable teams("teams", {"id", "name", "deleted"});
  for (const auto* t : ByCreation(s.teams)) teams.Add({t->id, t->name, Yes(t->deleted)});
  teams.Print(out);
  TextTable roles("roles", {"id", "name", "can approve"});
  for (const auto* r : ByCreation(s.roles)) roles.Add({r->id, r->name, Yes(r->can_approve)});
  roles.Print(out);
  TextTable employees("employees", {"id", "role", "team", "status", "spent usd"});
  for (const auto* e : ByCreation(s.employees)) {
    employees.Add({e->id, NameOf(s.roles, e->role_id), NameOf(s.teams, e->team_id),
                   projections::SnakeCase(state::EnumNameEmployeeStatus(e->status)),
                   projections::FormatMoney(e->spending_micros)});
  }
  employees.Print(out);
}

void Agents(const State& s, std::ostream& out) {
  TextTable templates("agent templates", {"id", "name", "type", "model", "public", "retired"});
  for (const auto* t : ByCreation(s.agent_templates)) {
    templates.Add({t->id, t->name, Or(t->type), Or(t->llm_provider) + "/" + Or(t->llm_model),
                   Yes(t->is_public), Yes(t->retired)});
  }
  templates.Print(out);
  TextTable agents("employee agents",
                   {"id", "name", "employee", "template", "status", "spent usd", "config"});
  for (const auto* a : ByCreation(s.employee_agents)) {
    agents.Add({a->id, Or(a->name), a->employee_id, NameOf(s.agent_templates, a->template_id),
                projections::SnakeCase(state::EnumNameAgentStatus(a->status)),
                projections::FormatMoney(a->spending_micros), Short(a->config_override)});
  }
  agents.Print(out);
  TextTable tools("tools", {"id", "name", "type", "needs approval"});
  for (const auto* t : ByCreation(s.tools)) {
    tools.Add({t->id, t->name, Or(t->type), Yes(t->requires_approval)});
  }
  tools.Print(out);
  TextTable policies("policies", {"id", "name", "type", "severity"});
  for (const auto* p : ByCreation(s.policies)) {
    policies.Add({p->id, p->name, Or(p->type), Or(p->severity)});
  }
  policies.Print(out);
}

void Mcp(const State& s, std::ostream& out) {
  TextTable servers("mcp servers", {"id", "name", "provider", "version", "approved"});
  for (const auto* m : ByCreation(s.mcp_servers)) {
    servers.Add({m->id, m->name, Or(m->provider), Or(m->version), Yes(m->is_approved)});
  }
  servers.Print(out);
  TextTable configs("mcp configs", {"id", "employee", "server", "status", "config"});
  for (const auto* c : ByCreation(s.mcp_configs)) {
    configs.Add({c->id, c->employee_id, NameOf(s.mcp_servers, c->mcp_server_id),
                 c->removed ? "removed" : "active", Short(c->connection_config)});
  }
  configs.Print(out);
}

void Requests(const State& s, std::ostream& out) {
  TextTable requests("agent requests",
                     {"id", "employee", "type", "status", "approvals", "created", "resolved"});
  TextTable approvals("approvals", {"request", "id", "approver", "decision", "at"});
  for (const auto* r : ByCreation(s.agent_requests)) {
    requests.Add({r->id, r->employee_id, Or(r->request_type),
                  projections::SnakeCase(state::EnumNameRequestStatus(r->status)),
                  std::to_string(r->approvals.size()) + "/" + std::to_string(r->required_approvals),
                  Time(r->created_at), Time(r->resolved_at)});
    for (const auto& a : r->approvals) {
      approvals.Add({r->id, a->id, a->approver_id,
                     projections::SnakeCase(fb::EnumNameApprovalDecision(a->decision)),
                     Time(a->created_at)});
    }
  }
  requests.Print(out);
  approvals.Print(out);
}

void Work(const State& s, std::ostream& out) {
  TextTable missions("missions", {"id", "employee", "title", "status", "started", "completed"});
  auto started = [](const state::MissionT& m) -> const int64_t& { return m.started_at; };
  for (const auto* m : InOrder(s.missions, started)) {
    missions.Add({m->id, m->employee_id, Or(m->title),
                  projections::SnakeCase(state::EnumNameRunStatus(m->status)), Time(m->started_at),
                  Time(m->completed_at)});
  }
  missions.Print(out);
  TextTable tasks("tasks", {"id", "mission", "agent", "type", "status", "retries"});
  for (const auto* t : ByCreation(s.tasks)) {
    tasks.Add({t->id, t->mission_id, Or(t->agent_id), Or(t->type),
               projections::SnakeCase(state::EnumNameRunStatus(t->status)),
               std::to_string(t->retry_count)});
  }
  tasks.Print(out);
}

void Spending(const State& s, std::ostream& out) {
  TextTable budget("spending against budget", {"subscription", "plan", "budget usd", "spent usd",
                                               "used", "period start", "period end", "cancelled"});
  for (const auto* b : ByCreation(s.subscriptions)) {
    std::string used =
        b->monthly_budget_micros > 0
            ? std::to_string(static_cast<int64_t>(static_cast<__int128>(b->spending_micros) * 100 /
                                                  b->monthly_budget_micros)) +
                  "%"
            : "-";
    budget.Add({b->id, Or(b->plan_type), projections::FormatMoney(b->monthly_budget_micros),
                projections::FormatMoney(b->spending_micros), used, Time(b->billing_period_start),
                Time(b->billing_period_end), Yes(b->cancelled)});
  }
  budget.Print(out);
}

}  // namespace

void PrintStateTables(const State& state, std::ostream& out) {
  Organization(state, out);
  Spending(state, out);
  People(state, out);
  Agents(state, out);
  Mcp(state, out);
  Requests(state, out);
  Work(state, out);
}

}  // namespace ledger::cli
