// The table of entity kinds: each one's place in State and its state.fbs
// table, so that the tools treat every kind alike.
#include <algorithm>
#include <array>
#include <type_traits>

#include "ledger/audit/entities.h"

namespace ledger::audit {
namespace {

template <auto Member>
using MapOf = std::remove_cvref_t<decltype(std::declval<const State&>().*Member)>;

template <typename T>
std::string PackObject(const T* object) {
  if (object == nullptr) return {};
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(T::TableType::Pack(builder, object));
  return std::string(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize());
}

template <typename T>
bool Differs(const T* a, const T* b) {
  if (a == nullptr || b == nullptr) return a != b;
  return !(*a == *b);
}

// Kinds held in a State map keyed by one UUID.
template <auto Member>
const typename MapOf<Member>::mapped_type* Lookup(const State& state, std::string_view id) {
  std::optional<Uuid> uuid = Uuid::Parse(id);
  if (!uuid) return nullptr;
  const auto& map = state.*Member;
  auto found = map.find(*uuid);
  return found == map.end() ? nullptr : &found->second;
}

template <auto Member>
std::string PackById(const State& state, std::string_view id) {
  return PackObject(Lookup<Member>(state, id));
}

template <auto Member>
bool DiffersById(const State& a, const State& b, std::string_view id) {
  return Differs(Lookup<Member>(a, id), Lookup<Member>(b, id));
}

template <auto Member>
std::vector<std::string> IdsById(const State& state) {
  std::vector<std::string> ids;
  for (const auto& entry : state.*Member) ids.push_back(entry.first.ToString());
  std::sort(ids.begin(), ids.end());
  return ids;
}

template <auto Member>
constexpr EntityKind ById(std::string_view name, std::string_view table) {
  return {name, table, &PackById<Member>, &DiffersById<Member>, &IdsById<Member>};
}

// Kinds keyed by a pair of UUIDs (a template's tools and policies), named
// "TEMPLATE/OTHER".
template <auto Member>
const typename MapOf<Member>::mapped_type* LookupPair(const State& state, std::string_view id) {
  size_t slash = id.find('/');
  if (slash == std::string_view::npos) return nullptr;
  std::optional<Uuid> first = Uuid::Parse(id.substr(0, slash));
  std::optional<Uuid> second = Uuid::Parse(id.substr(slash + 1));
  if (!first || !second) return nullptr;
  const auto& map = state.*Member;
  auto found = map.find(IdPair(*first, *second));
  return found == map.end() ? nullptr : &found->second;
}

template <auto Member>
std::string PackByPair(const State& state, std::string_view id) {
  return PackObject(LookupPair<Member>(state, id));
}

template <auto Member>
bool DiffersByPair(const State& a, const State& b, std::string_view id) {
  return Differs(LookupPair<Member>(a, id), LookupPair<Member>(b, id));
}

template <auto Member>
std::vector<std::string> IdsByPair(const State& state) {
  std::vector<std::string> ids;
  for (const auto& entry : state.*Member) {
    ids.push_back(entry.first.first.ToString() + "/" + entry.first.second.ToString());
  }
  return ids;  // a std::map of pairs: already sorted
}

template <auto Member>
constexpr EntityKind ByPair(std::string_view name, std::string_view table) {
  return {name, table, &PackByPair<Member>, &DiffersByPair<Member>, &IdsByPair<Member>};
}

// The organization itself, named by the org's id.
const state::OrganizationT* LookupOrganization(const State& state, std::string_view id) {
  std::optional<Uuid> uuid = Uuid::Parse(id);
  if (!uuid || *uuid != state.org || !state.organization) return nullptr;
  return &*state.organization;
}

std::string PackOrganization(const State& state, std::string_view id) {
  return PackObject(LookupOrganization(state, id));
}

bool OrganizationDiffers(const State& a, const State& b, std::string_view id) {
  return Differs(LookupOrganization(a, id), LookupOrganization(b, id));
}

std::vector<std::string> OrganizationIds(const State& state) {
  if (!state.organization) return {};
  return {state.org.ToString()};
}

// In the order `ledger diff` reports them: the org, then roughly as the
// seed schema introduces its tables.
const std::array kKinds = {
    EntityKind{"organization", "Organization", &PackOrganization, &OrganizationDiffers,
               &OrganizationIds},
    ById<&State::subscriptions>("subscription", "Subscription"),
    ById<&State::teams>("team", "Team"),
    ById<&State::roles>("role", "Role"),
    ById<&State::employees>("employee", "Employee"),
    ById<&State::agent_templates>("template", "AgentTemplate"),
    ByPair<&State::template_tools>("template_tool", "TemplateTool"),
    ByPair<&State::template_policies>("template_policy", "TemplatePolicy"),
    ById<&State::tools>("tool", "Tool"),
    ById<&State::policies>("policy", "Policy"),
    ById<&State::team_policies>("team_policy", "TeamPolicy"),
    ById<&State::employee_agents>("agent", "EmployeeAgent"),
    ById<&State::mcp_categories>("mcp_category", "McpCategory"),
    ById<&State::mcp_servers>("mcp_server", "McpServer"),
    ById<&State::mcp_configs>("mcp_config", "McpConfig"),
    ById<&State::agent_requests>("request", "AgentRequest"),
    ById<&State::missions>("mission", "Mission"),
    ById<&State::tasks>("task", "Task"),
    ById<&State::artifacts>("artifact", "Artifact"),
    ById<&State::sessions>("session", "Session"),
    ById<&State::invitations>("invitation", "Invitation"),
    ById<&State::webhooks>("webhook", "Webhook"),
    ById<&State::api_keys>("api_key", "ApiKey"),
    ById<&State::plans>("plan", "Plan"),
    ById<&State::projects>("project", "Project"),
    ById<&State::blueprints>("blueprint", "Blueprint"),
    ById<&State::workflows>("workflow", "Workflow"),
    ById<&State::workflow_executions>("workflow_execution", "WorkflowExecution"),
    ById<&State::integrations>("integration", "Integration"),
    ById<&State::prompts>("prompt", "Prompt"),
    ById<&State::agent_teams>("agent_team", "AgentTeam"),
};

}  // namespace

std::span<const EntityKind> EntityKinds() { return kKinds; }

std::string EntityKindNames() {
  std::string names;
  for (const EntityKind& kind : kKinds) {
    if (!names.empty()) names += ", ";
    names += kind.name;
  }
  return names;
}

const EntityKind* FindEntityKind(std::string_view name) {
  for (const EntityKind& kind : kKinds) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

Result<EntityRef> ParseEntityRef(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return Status::InvalidArgument("--entity '" + std::string(text) +
                                   "': expected KIND:ID, KIND one of " + EntityKindNames());
  }
  std::string_view name = text.substr(0, colon);
  const EntityKind* kind = FindEntityKind(name);
  if (kind == nullptr) {
    return Status::InvalidArgument("unknown entity kind '" + std::string(name) +
                                   "': expected one of " + EntityKindNames());
  }
  std::string id(text.substr(colon + 1));
  // Payloads carry canonical (lower-case) UUID text: match what they say.
  if (std::optional<Uuid> uuid = Uuid::Parse(id)) id = uuid->ToString();
  return EntityRef{kind, id};
}

}  // namespace ledger::audit
