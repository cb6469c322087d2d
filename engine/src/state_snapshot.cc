// PackState / UnpackState: a State as a ledger.state.OrgState FlatBuffer,
// with the generated object API doing the per-entity work.
#include <algorithm>

#include "apply_util.h"
#include "ledger/state.h"

namespace ledger {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Entities of one map as a vector sorted by id, so equal states pack equal.
template <typename Map>
auto PackSorted(FlatBufferBuilder& b, const Map& map) {
  using T = typename Map::mapped_type;
  using Table = typename T::TableType;
  std::vector<std::pair<typename Map::key_type, const T*>> sorted;
  sorted.reserve(map.size());
  for (const auto& [key, value] : map) sorted.emplace_back(key, &value);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Offset<Table>> offsets;
  offsets.reserve(sorted.size());
  for (const auto& [key, value] : sorted) offsets.push_back(Table::Pack(b, value));
  return b.CreateVector(offsets);
}

// Each entity table is verified just before it is unpacked (UnpackState
// has checked only the outline); missions, tasks and agent requests stay
// packed and are verified when first read (lazy_by_id.h). A vector's header was checked
// with the outline, so its offsets can be read; where each one leads is
// what VerifyTable checks, as VerifyVectorOfTables would.
template <typename Table, typename Map, typename KeyOf>
bool UnpackInto(flatbuffers::Verifier& verifier, const flatbuffers::Vector<Offset<Table>>* list,
                Map& map, KeyOf key_of) {
  if (list == nullptr) return true;
  if constexpr (requires { map.reserve(size_t{0}); }) map.reserve(list->size());
  for (const Table* table : *list) {
    if (!verifier.VerifyTable(table)) return false;
    typename Map::mapped_type value;
    table->UnPackTo(&value);
    auto key = key_of(value);
    map.emplace(key, std::move(value));
  }
  return true;
}

// The common case, keyed by the entity's own id: the key is read from the
// packed table and the entity unpacked in place in its map node (no
// temporary to move; half the allocations' bookkeeping).
template <typename Table, typename Map>
bool UnpackById(flatbuffers::Verifier& verifier, const flatbuffers::Vector<Offset<Table>>* list,
                Map& map) {
  if (list == nullptr) return true;
  map.reserve(list->size());
  for (const Table* table : *list) {
    if (!verifier.VerifyTable(table)) return false;
    auto [it, inserted] = map.try_emplace(apply::Id(table->id()));
    if (inserted) table->UnPackTo(&it->second);  // a repeated id: the first wins, as emplace
  }
  return true;
}

flatbuffers::Verifier SnapshotVerifier(std::string_view bytes) {
  return flatbuffers::Verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                               /*max_depth=*/64, /*max_tables=*/100'000'000);
}

}  // namespace

std::string PackState(const State& s) {
  FlatBufferBuilder b(4096 + s.approx_bytes / 2);
  auto org_id = b.CreateString(s.org.ToString());
  Offset<state::Organization> organization;
  if (s.organization) organization = state::Organization::Pack(b, &*s.organization);
  auto subscriptions = PackSorted(b, s.subscriptions);
  auto teams = PackSorted(b, s.teams);
  auto roles = PackSorted(b, s.roles);
  auto employees = PackSorted(b, s.employees);
  auto agent_templates = PackSorted(b, s.agent_templates);
  auto template_tools = PackSorted(b, s.template_tools);
  auto template_policies = PackSorted(b, s.template_policies);
  auto tools = PackSorted(b, s.tools);
  auto policies = PackSorted(b, s.policies);
  auto team_policies = PackSorted(b, s.team_policies);
  auto employee_agents = PackSorted(b, s.employee_agents);
  auto mcp_categories = PackSorted(b, s.mcp_categories);
  auto mcp_servers = PackSorted(b, s.mcp_servers);
  auto mcp_configs = PackSorted(b, s.mcp_configs);
  auto agent_requests = PackSorted(b, s.agent_requests);
  auto missions = PackSorted(b, s.missions);
  auto tasks = PackSorted(b, s.tasks);
  auto artifacts = PackSorted(b, s.artifacts);
  auto sessions = PackSorted(b, s.sessions);
  auto invitations = PackSorted(b, s.invitations);
  auto webhooks = PackSorted(b, s.webhooks);
  auto api_keys = PackSorted(b, s.api_keys);
  auto plans = PackSorted(b, s.plans);
  auto projects = PackSorted(b, s.projects);
  auto blueprints = PackSorted(b, s.blueprints);
  auto workflows = PackSorted(b, s.workflows);
  auto workflow_executions = PackSorted(b, s.workflow_executions);
  auto integrations = PackSorted(b, s.integrations);
  auto prompts = PackSorted(b, s.prompts);
  auto agent_teams = PackSorted(b, s.agent_teams);
  std::vector<Offset<flatbuffers::String>> forgotten;
  for (const Uuid& subject : s.forgotten_subjects)
    forgotten.push_back(b.CreateString(subject.ToString()));
  auto forgotten_subjects = b.CreateVector(forgotten);
  std::vector<Offset<state::IdempotencyEntry>> keys;
  for (const auto& [seq, key] : s.idempotency_by_seq) {
    keys.push_back(state::IdempotencyEntry::Pack(b, &s.idempotency.at(key)));
  }
  auto idempotency = b.CreateVector(keys);

  state::OrgStateBuilder root(b);
  root.add_org_id(org_id);
  root.add_version(s.version);
  root.add_recorded_at(s.recorded_at);
  if (s.organization) root.add_organization(organization);
  root.add_subscriptions(subscriptions);
  root.add_teams(teams);
  root.add_roles(roles);
  root.add_employees(employees);
  root.add_agent_templates(agent_templates);
  root.add_template_tools(template_tools);
  root.add_template_policies(template_policies);
  root.add_tools(tools);
  root.add_policies(policies);
  root.add_team_policies(team_policies);
  root.add_employee_agents(employee_agents);
  root.add_mcp_categories(mcp_categories);
  root.add_mcp_servers(mcp_servers);
  root.add_mcp_configs(mcp_configs);
  root.add_agent_requests(agent_requests);
  root.add_missions(missions);
  root.add_tasks(tasks);
  root.add_artifacts(artifacts);
  root.add_sessions(sessions);
  root.add_invitations(invitations);
  root.add_webhooks(webhooks);
  root.add_api_keys(api_keys);
  root.add_plans(plans);
  root.add_projects(projects);
  root.add_blueprints(blueprints);
  root.add_workflows(workflows);
  root.add_workflow_executions(workflow_executions);
  root.add_integrations(integrations);
  root.add_prompts(prompts);
  root.add_agent_teams(agent_teams);
  root.add_forgotten_subjects(forgotten_subjects);
  root.add_idempotency(idempotency);
  root.add_usage_records(s.usage_records);
  root.add_activities(s.activities);
  b.Finish(root.Finish(), state::OrgStateIdentifier());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<State> UnpackState(std::string_view bytes) {
  auto copy = std::make_shared<const std::string>(bytes);
  return UnpackState(*copy, copy);
}

Result<State> UnpackState(std::string_view bytes, std::shared_ptr<const void> owned) {
  if (owned == nullptr) return UnpackState(bytes);  // nothing would keep the packed lists
  flatbuffers::Verifier verifier = SnapshotVerifier(bytes);
  if (!verifier.VerifyBuffer<state::OrgStateOutline>(state::OrgStateIdentifier())) {
    return Status::Corruption("snapshot is not a valid ledger.state.OrgState");
  }
  const state::OrgState* root = state::GetOrgState(bytes.data());
  State s;
  std::optional<Uuid> org = Uuid::Parse(root->org_id() ? root->org_id()->string_view() : "");
  if (!org) return Status::Corruption("snapshot has no org id");
  // Missions, tasks and agent requests, most of a busy org's state, stay
  // packed.
  s.missions.KeepPacked(owned, bytes, root->missions());
  s.tasks.KeepPacked(owned, bytes, root->tasks());
  s.agent_requests.KeepPacked(owned, bytes, root->agent_requests());
  s.org = *org;
  s.version = root->version();
  s.recorded_at = root->recorded_at();
  if (root->organization()) {
    s.organization.emplace();
    root->organization()->UnPackTo(&*s.organization);
  }
  auto template_tool_key = [](const state::TemplateToolT& t) {
    return IdPair{apply::IdOf(t.template_id), apply::IdOf(t.tool_id)};
  };
  auto template_policy_key = [](const state::TemplatePolicyT& t) {
    return IdPair{apply::IdOf(t.template_id), apply::IdOf(t.policy_id)};
  };
  // Stops at the first table that fails; what was unpacked goes with s.
  const bool valid =
      UnpackById(verifier, root->subscriptions(), s.subscriptions) &&
      UnpackById(verifier, root->teams(), s.teams) &&
      UnpackById(verifier, root->roles(), s.roles) &&
      UnpackById(verifier, root->employees(), s.employees) &&
      UnpackById(verifier, root->agent_templates(), s.agent_templates) &&
      UnpackInto(verifier, root->template_tools(), s.template_tools, template_tool_key) &&
      UnpackInto(verifier, root->template_policies(), s.template_policies, template_policy_key) &&
      UnpackById(verifier, root->tools(), s.tools) &&
      UnpackById(verifier, root->policies(), s.policies) &&
      UnpackById(verifier, root->team_policies(), s.team_policies) &&
      UnpackById(verifier, root->employee_agents(), s.employee_agents) &&
      UnpackById(verifier, root->mcp_categories(), s.mcp_categories) &&
      UnpackById(verifier, root->mcp_servers(), s.mcp_servers) &&
      UnpackById(verifier, root->mcp_configs(), s.mcp_configs) &&
      UnpackById(verifier, root->artifacts(), s.artifacts) &&
      UnpackById(verifier, root->sessions(), s.sessions) &&
      UnpackById(verifier, root->invitations(), s.invitations) &&
      UnpackById(verifier, root->webhooks(), s.webhooks) &&
      UnpackById(verifier, root->api_keys(), s.api_keys) &&
      UnpackById(verifier, root->plans(), s.plans) &&
      UnpackById(verifier, root->projects(), s.projects) &&
      UnpackById(verifier, root->blueprints(), s.blueprints) &&
      UnpackById(verifier, root->workflows(), s.workflows) &&
      UnpackById(verifier, root->workflow_executions(), s.workflow_executions) &&
      UnpackById(verifier, root->integrations(), s.integrations) &&
      UnpackById(verifier, root->prompts(), s.prompts) &&
      UnpackById(verifier, root->agent_teams(), s.agent_teams);
  if (root->forgotten_subjects()) {
    for (const auto* subject : *root->forgotten_subjects()) {
      s.forgotten_subjects.insert(apply::Id(subject));
    }
  }
  if (root->idempotency()) {
    for (const state::IdempotencyEntry* entry : *root->idempotency()) {
      state::IdempotencyEntryT value;
      entry->UnPackTo(&value);
      s.idempotency_by_seq.emplace(value.first_seq, value.key);
      s.idempotency.emplace(value.key, std::move(value));
    }
  }
  s.usage_records = root->usage_records();
  s.activities = root->activities();
  if (!valid) return Status::Corruption("snapshot has an invalid entity table");

  // Derived indexes.
  for (const auto& [id, employee] : s.employees) {
    if (employee.status != state::EmployeeStatus::Offboarded) ++s.seat_holders;
  }
  for (const auto& [id, agent] : s.employee_agents) {
    if (agent.status != state::AgentStatus::Revoked) {
      ++s.live_agents_by_employee[apply::IdOf(agent.employee_id)];
    }
  }
  for (const auto& [id, artifact] : s.artifacts)
    s.artifact_by_sha256.try_emplace(artifact.sha256.str(), id);
  s.approx_bytes = State::kEmptyBytes + bytes.size() * 2;
  return s;
}

}  // namespace ledger
