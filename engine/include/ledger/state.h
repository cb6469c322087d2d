// One organization's state: what its events mean, folded by Apply (apply.h).
// The write model validates commands against it; replay, snapshots and
// "as of T" queries build it with the same Apply.
//
// Entities are the object-API types generated from schemas/state.fbs, so a
// state packs to a snapshot and prints as JSON with FlatBuffers' own code.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ledger/fb/state_generated.h"
#include "ledger/lazy_by_id.h"
#include "ledger/status.h"
#include "ledger/uuid.h"

namespace ledger {

template <typename T>
using ById = std::unordered_map<Uuid, T, UuidHash>;
using IdPair = std::pair<Uuid, Uuid>;

struct State {
  Uuid org;
  uint64_t version = 0;     // org_seq of the last event applied
  int64_t recorded_at = 0;  // its recorded_at

  std::optional<state::OrganizationT> organization;  // set once OrganizationCreated applied
  ById<state::SubscriptionT> subscriptions;
  ById<state::TeamT> teams;
  ById<state::RoleT> roles;
  ById<state::EmployeeT> employees;
  ById<state::AgentTemplateT> agent_templates;
  std::map<IdPair, state::TemplateToolT> template_tools;       // (template, tool)
  std::map<IdPair, state::TemplatePolicyT> template_policies;  // (template, policy)
  ById<state::ToolT> tools;
  ById<state::PolicyT> policies;
  ById<state::TeamPolicyT> team_policies;
  ById<state::EmployeeAgentT> employee_agents;
  ById<state::McpCategoryT> mcp_categories;
  ById<state::McpServerT> mcp_servers;
  ById<state::McpConfigT> mcp_configs;
  // The lists that grow with an org's work; may stay packed in the
  // snapshot they were unpacked from until used (lazy_by_id.h).
  LazyById<state::AgentRequestT> agent_requests;
  LazyById<state::MissionT> missions;
  LazyById<state::TaskT> tasks;
  ById<state::ArtifactT> artifacts;
  ById<state::SessionT> sessions;
  ById<state::InvitationT> invitations;
  ById<state::WebhookT> webhooks;
  ById<state::ApiKeyT> api_keys;
  ById<state::PlanT> plans;
  ById<state::ProjectT> projects;
  ById<state::BlueprintT> blueprints;
  ById<state::WorkflowT> workflows;
  ById<state::WorkflowExecutionT> workflow_executions;
  ById<state::IntegrationT> integrations;
  ById<state::PromptT> prompts;
  ById<state::AgentTeamT> agent_teams;
  std::set<Uuid> forgotten_subjects;
  // Idempotency keys, oldest first, at most kIdempotencyKeysMax.
  std::map<std::string, state::IdempotencyEntryT> idempotency;
  std::map<uint64_t, std::string> idempotency_by_seq;
  uint64_t usage_records = 0;
  uint64_t activities = 0;

  // Derived indexes (not packed; rebuilt by Unpack through Apply's helpers).
  ById<uint32_t> live_agents_by_employee;  // agents not revoked
  uint32_t seat_holders = 0;               // employees invited, active or suspended
  std::unordered_map<std::string, Uuid> artifact_by_sha256;
  // Rough footprint, for the write model's memory bound. Starts at the
  // empty state's own size so that even states of unknown orgs count.
  size_t approx_bytes = kEmptyBytes;
  static constexpr size_t kEmptyBytes = 4096;  // sizeof(State) is about 2 KiB

  bool exists() const { return organization.has_value(); }
  bool deleted() const { return exists() && organization->deleted_at != 0; }
  // Packed entities found damaged when read and dropped (lazy_by_id.h):
  // nonzero means this state is not the snapshot's whole content.
  size_t DroppedFromSnapshot() const {
    return agent_requests.dropped() + missions.dropped() + tasks.dropped();
  }
};

// A snapshot: the state as a ledger.state.OrgState FlatBuffer. Lists are
// sorted by id, so equal states give equal bytes.
std::string PackState(const State& state);
Result<State> UnpackState(std::string_view bytes);  // copies the bytes
// Keeps `owner`, which holds `bytes`, for the lists left packed (lazy_by_id.h).
Result<State> UnpackState(std::string_view bytes, std::shared_ptr<const void> owner);

}  // namespace ledger
