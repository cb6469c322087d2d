// Decide for work: missions, tasks, artifacts, activity, webhooks, plans,
// projects, blueprints, workflows, integrations, prompts and agent teams.
#include <unordered_set>

#include "decide_util.h"

namespace ledger::decide {
namespace {

using state::RunStatus;

// Would task -> depends_on close a cycle? Walks depends_on's dependencies
// looking for task.
bool Reaches(const State& s, const Uuid& from, const Uuid& target) {
  std::vector<Uuid> stack{from};
  std::unordered_set<Uuid, UuidHash> seen;
  while (!stack.empty()) {
    Uuid at = stack.back();
    stack.pop_back();
    if (at == target) return true;
    if (!seen.insert(at).second) continue;
    auto it = s.tasks.find(at);
    if (it == s.tasks.end()) continue;
    for (const auto& dep : it->second.dependencies) stack.push_back(IdOf(dep->depends_on_task_id));
  }
  return false;
}

}  // namespace

Verdict Decider::Work(bool* handled) {
  *handled = true;
  const State& s = s_;
  const state::MissionT* mission = nullptr;
  const state::TaskT* task = nullptr;
  auto running_mission = [&](const String* id) -> Verdict {
    LEDGER_CHECK(Existing(s.missions, id, "mission", &mission));
    if (mission->status != RunStatus::Running) {
      return Transition("mission", id,
                        std::string("is ") + state::EnumNameRunStatus(mission->status));
    }
    return std::nullopt;
  };
  auto task_in = [&](const String* id, std::initializer_list<RunStatus> allowed,
                     const char* change) -> Verdict {
    LEDGER_CHECK(Existing(s.tasks, id, "task", &task));
    for (RunStatus ok : allowed) {
      if (task->status == ok) return std::nullopt;
    }
    return Transition(
        "task", id,
        std::string("is ") + state::EnumNameRunStatus(task->status) + "; cannot " + change);
  };
  switch (e_.payload_type()) {
    case fb::Payload::MissionStarted: {
      const auto* p = e_.payload_as_MissionStarted();
      LEDGER_CHECK(NewId(s.missions, p->mission_id(), "mission"));
      LEDGER_CHECK(ActiveEmployee(p->employee_id(), "employee"));
      LEDGER_CHECK(SealedFor(p->intent(), "intent", p->employee_id(), false));
      return std::nullopt;
    }
    case fb::Payload::MissionCompleted:
      LEDGER_CHECK(running_mission(e_.payload_as_MissionCompleted()->mission_id()));
      return std::nullopt;
    case fb::Payload::MissionFailed:
      LEDGER_CHECK(running_mission(e_.payload_as_MissionFailed()->mission_id()));
      return std::nullopt;
    case fb::Payload::TaskCreated: {
      const auto* p = e_.payload_as_TaskCreated();
      LEDGER_CHECK(NewId(s.tasks, p->task_id(), "task"));
      LEDGER_CHECK(running_mission(p->mission_id()));
      if (p->agent_id() && p->agent_id()->size()) {
        const state::EmployeeAgentT* agent = nullptr;
        LEDGER_CHECK(LiveAgent(p->agent_id(), &agent));
        if (agent->status != state::AgentStatus::Active)
          return NotLive("agent", p->agent_id(), "is paused");
      }
      return std::nullopt;
    }
    case fb::Payload::TaskStarted:
      LEDGER_CHECK(task_in(e_.payload_as_TaskStarted()->task_id(), {RunStatus::Pending}, "start"));
      return std::nullopt;
    case fb::Payload::TaskCompleted:
      LEDGER_CHECK(
          task_in(e_.payload_as_TaskCompleted()->task_id(), {RunStatus::Running}, "complete"));
      return std::nullopt;
    case fb::Payload::TaskFailed:
      LEDGER_CHECK(task_in(e_.payload_as_TaskFailed()->task_id(),
                           {RunStatus::Pending, RunStatus::Running}, "fail"));
      return std::nullopt;
    case fb::Payload::TaskRetried: {
      const auto* p = e_.payload_as_TaskRetried();
      LEDGER_CHECK(task_in(p->task_id(), {RunStatus::Failed}, "retry"));
      if (p->retry_count() != task->retry_count + 1) {
        return Reject(Rule::kInvalidValue, "retry_count must be " +
                                               std::to_string(task->retry_count + 1) + ", got " +
                                               std::to_string(p->retry_count()));
      }
      return std::nullopt;
    }
    case fb::Payload::TaskDependencyAdded: {
      const auto* p = e_.payload_as_TaskDependencyAdded();
      LEDGER_CHECK(Existing(s.tasks, p->task_id(), "task", &task));
      LEDGER_CHECK(Existing(s.tasks, p->depends_on_task_id(), "depends_on task"));
      if (p->dependency_type() == fb::DependencyType::Unknown ||
          p->dependency_type() > fb::DependencyType::MAX) {
        return Reject(Rule::kInvalidValue, "dependency_type must be Blocking, Data or Soft");
      }
      for (const auto& dep : task->dependencies) {
        if (dep->depends_on_task_id == p->depends_on_task_id()->string_view()) {
          return Transition("task", p->task_id(), "already depends on " + dep->depends_on_task_id);
        }
      }
      if (Reaches(s, Id(p->depends_on_task_id()), Id(p->task_id()))) {
        return Reject(Rule::kDependencyCycle, "task " + p->task_id()->str() + " depending on " +
                                                  p->depends_on_task_id()->str() +
                                                  " would close a cycle");
      }
      return std::nullopt;
    }
    case fb::Payload::ArtifactProduced: {
      const auto* p = e_.payload_as_ArtifactProduced();
      LEDGER_CHECK(NewId(s.artifacts, p->artifact_id(), "artifact"));
      LEDGER_CHECK(Existing(s.missions, p->mission_id(), "mission"));
      if (p->task_id() && p->task_id()->size()) {
        LEDGER_CHECK(Existing(s.tasks, p->task_id(), "task", &task));
        if (task->mission_id != p->mission_id()->string_view()) {
          return Reject(Rule::kInvalidValue,
                        "task " + task->id + " belongs to mission " + task->mission_id);
        }
      }
      LEDGER_CHECK(NonEmpty(p->sha256(), "sha256"));
      LEDGER_CHECK(NonNegative(p->size_bytes(), "size_bytes"));
      auto same = s.artifact_by_sha256.find(p->sha256()->str());
      if (same != s.artifact_by_sha256.end()) {
        return Reject(Rule::kNotUnique, "sha256 " + p->sha256()->str() + " is already artifact " +
                                            same->second.ToString());
      }
      return std::nullopt;
    }
    case fb::Payload::ActivityLogged: {
      const auto* p = e_.payload_as_ActivityLogged();
      LEDGER_CHECK(IdField(p->activity_id(), "activity_id"));
      LEDGER_CHECK(Employee(p->employee_id(), "employee", nullptr));
      if (p->session_id() && p->session_id()->size())
        LEDGER_CHECK(Existing(s.sessions, p->session_id(), "session"));
      LEDGER_CHECK(SealedFor(p->content(), "content", p->employee_id(), false));
      return std::nullopt;
    }
    default:
      *handled = false;
      return std::nullopt;
  }
}

Verdict Decider::Platform(bool* handled) {
  *handled = true;
  const State& s = s_;
  using WS = state::WorkflowStatus;
  const state::WorkflowT* workflow = nullptr;
  const state::WorkflowExecutionT* execution = nullptr;
  auto workflow_in = [&](const String* id, std::initializer_list<WS> allowed,
                         const char* change) -> Verdict {
    LEDGER_CHECK(Existing(s.workflows, id, "workflow", &workflow));
    for (WS ok : allowed) {
      if (workflow->status == ok) return std::nullopt;
    }
    return Transition("workflow", id,
                      std::string("is ") + state::EnumNameWorkflowStatus(workflow->status) +
                          "; cannot " + change);
  };
  auto running = [&](const String* id) -> Verdict {
    LEDGER_CHECK(Existing(s.workflow_executions, id, "workflow execution", &execution));
    if (execution->status != RunStatus::Running) {
      return Transition("workflow execution", id,
                        std::string("is ") + state::EnumNameRunStatus(execution->status));
    }
    return std::nullopt;
  };
  auto decision = [&](const String* id, const String* approval, const String* approver,
                      const fb::Sealed* comment) -> Verdict {
    LEDGER_CHECK(running(id));
    if (execution->pending_approval_id.empty() || execution->pending_approval_id != Str(approval)) {
      return Reject(Rule::kRequestNotPending, "workflow execution " + id->str() +
                                                  " is not waiting for approval " + Text(approval));
    }
    const state::EmployeeT* who = nullptr;
    LEDGER_CHECK(ActiveEmployee(approver, "approver", &who));
    auto role = s.roles.find(IdOf(who->role_id));
    if (role == s.roles.end() || !role->second.can_approve) {
      return Reject(Rule::kNotApprover, "approver " + who->id + "'s role does not allow approving");
    }
    LEDGER_CHECK(SealedFor(comment, "comment", approver, false));
    return std::nullopt;
  };
  switch (e_.payload_type()) {
    case fb::Payload::WebhookDestinationAdded: {
      const auto* p = e_.payload_as_WebhookDestinationAdded();
      LEDGER_CHECK(NewId(s.webhooks, p->webhook_id(), "webhook"));
      LEDGER_CHECK(NonEmpty(p->url(), "url"));
      return std::nullopt;
    }
    case fb::Payload::WebhookDestinationRemoved: {
      const String* id = e_.payload_as_WebhookDestinationRemoved()->webhook_id();
      const state::WebhookT* hook = nullptr;
      LEDGER_CHECK(Existing(s.webhooks, id, "webhook", &hook));
      if (hook->removed) return Transition("webhook", id, "is already removed");
      return std::nullopt;
    }
    case fb::Payload::WebhookDeliveryAttempted: {
      const auto* p = e_.payload_as_WebhookDeliveryAttempted();
      LEDGER_CHECK(IdField(p->delivery_id(), "delivery_id"));
      const state::WebhookT* hook = nullptr;
      LEDGER_CHECK(Existing(s.webhooks, p->webhook_id(), "webhook", &hook));
      if (hook->removed) return NotLive("webhook", p->webhook_id(), "is removed");
      return std::nullopt;
    }
    case fb::Payload::PlanDefined: {
      const auto* p = e_.payload_as_PlanDefined();
      LEDGER_CHECK(NewId(s.plans, p->plan_id(), "plan"));
      LEDGER_CHECK(NonNegative(p->monthly_price_micros(), "monthly_price_micros"));
      LEDGER_CHECK(NonNegative(p->yearly_price_micros(), "yearly_price_micros"));
      return std::nullopt;
    }
    case fb::Payload::ProjectCreated: {
      const auto* p = e_.payload_as_ProjectCreated();
      LEDGER_CHECK(NewId(s.projects, p->project_id(), "project"));
      if (p->owner_id() && p->owner_id()->size())
        LEDGER_CHECK(ActiveEmployee(p->owner_id(), "owner"));
      return std::nullopt;
    }
    case fb::Payload::BlueprintPublished: {
      const auto* p = e_.payload_as_BlueprintPublished();
      LEDGER_CHECK(NewId(s.blueprints, p->blueprint_id(), "blueprint"));
      LEDGER_CHECK(NonNegative(p->price_micros(), "price_micros"));
      return std::nullopt;
    }
    case fb::Payload::WorkflowDefined: {
      const auto* p = e_.payload_as_WorkflowDefined();
      LEDGER_CHECK(NewId(s.workflows, p->workflow_id(), "workflow"));
      LEDGER_CHECK(NonEmpty(p->name(), "name"));
      return std::nullopt;
    }
    case fb::Payload::WorkflowVersionCreated: {
      const auto* p = e_.payload_as_WorkflowVersionCreated();
      LEDGER_CHECK(
          workflow_in(p->workflow_id(), {WS::Draft, WS::Active, WS::Paused}, "add a version"));
      if (p->version() != workflow->version + 1) {
        return Reject(Rule::kInvalidValue,
                      "version must be " + std::to_string(workflow->version + 1));
      }
      return std::nullopt;
    }
    case fb::Payload::WorkflowActivated:
      LEDGER_CHECK(workflow_in(e_.payload_as_WorkflowActivated()->workflow_id(),
                               {WS::Draft, WS::Paused}, "activate"));
      return std::nullopt;
    case fb::Payload::WorkflowPaused:
      LEDGER_CHECK(
          workflow_in(e_.payload_as_WorkflowPaused()->workflow_id(), {WS::Active}, "pause"));
      return std::nullopt;
    case fb::Payload::WorkflowArchived:
      LEDGER_CHECK(workflow_in(e_.payload_as_WorkflowArchived()->workflow_id(),
                               {WS::Draft, WS::Active, WS::Paused}, "archive"));
      return std::nullopt;
    case fb::Payload::WorkflowExecutionStarted: {
      const auto* p = e_.payload_as_WorkflowExecutionStarted();
      LEDGER_CHECK(NewId(s.workflow_executions, p->execution_id(), "workflow execution"));
      LEDGER_CHECK(workflow_in(p->workflow_id(), {WS::Active}, "start an execution"));
      if (p->version() == 0 || p->version() > workflow->version) {
        return Reject(Rule::kInvalidValue, "workflow " + workflow->id + " has no version " +
                                               std::to_string(p->version()));
      }
      if (p->agent_id() && p->agent_id()->size()) LEDGER_CHECK(LiveAgent(p->agent_id()));
      return std::nullopt;
    }
    case fb::Payload::WorkflowStepProgressed: {
      const auto* p = e_.payload_as_WorkflowStepProgressed();
      LEDGER_CHECK(running(p->execution_id()));
      if (p->status() == fb::StepStatus::Unknown || p->status() > fb::StepStatus::MAX) {
        return Reject(Rule::kInvalidValue, "status must be set");
      }
      if (execution->total_steps != 0 && p->step_index() >= execution->total_steps) {
        return Reject(Rule::kInvalidValue, "step_index " + std::to_string(p->step_index()) +
                                               " is past total_steps " +
                                               std::to_string(execution->total_steps));
      }
      return std::nullopt;
    }
    case fb::Payload::WorkflowApprovalRequired: {
      const auto* p = e_.payload_as_WorkflowApprovalRequired();
      LEDGER_CHECK(running(p->execution_id()));
      LEDGER_CHECK(IdField(p->approval_request_id(), "approval_request_id"));
      if (!execution->pending_approval_id.empty()) {
        return Transition("workflow execution", p->execution_id(),
                          "already waits for approval " + execution->pending_approval_id);
      }
      if (p->confidence_permille() > 1000)
        return Reject(Rule::kInvalidValue, "confidence_permille exceeds 1000");
      return std::nullopt;
    }
    case fb::Payload::WorkflowExecutionApproved: {
      const auto* p = e_.payload_as_WorkflowExecutionApproved();
      return decision(p->execution_id(), p->approval_request_id(), p->approver_id(), p->comment());
    }
    case fb::Payload::WorkflowExecutionRejected: {
      const auto* p = e_.payload_as_WorkflowExecutionRejected();
      return decision(p->execution_id(), p->approval_request_id(), p->approver_id(), p->comment());
    }
    case fb::Payload::WorkflowExecutionCompleted:
      LEDGER_CHECK(running(e_.payload_as_WorkflowExecutionCompleted()->execution_id()));
      if (!execution->pending_approval_id.empty()) {
        return Transition("workflow execution",
                          e_.payload_as_WorkflowExecutionCompleted()->execution_id(),
                          "waits for approval " + execution->pending_approval_id);
      }
      LEDGER_CHECK(NonNegative(e_.payload_as_WorkflowExecutionCompleted()->execution_time_ms(),
                               "execution_time_ms"));
      return std::nullopt;
    case fb::Payload::WorkflowExecutionFailed:
      LEDGER_CHECK(running(e_.payload_as_WorkflowExecutionFailed()->execution_id()));
      return std::nullopt;
    case fb::Payload::WorkflowExecutionCancelled:
      LEDGER_CHECK(running(e_.payload_as_WorkflowExecutionCancelled()->execution_id()));
      LEDGER_CHECK(SealedFor(e_.payload_as_WorkflowExecutionCancelled()->reason(), "reason",
                             nullptr, false));
      return std::nullopt;
    case fb::Payload::IntegrationConnected: {
      const auto* p = e_.payload_as_IntegrationConnected();
      LEDGER_CHECK(NewId(s.integrations, p->integration_id(), "integration"));
      LEDGER_CHECK(NonEmpty(p->type(), "type"));
      return std::nullopt;
    }
    case fb::Payload::IntegrationSynced:
      LEDGER_CHECK(Existing(s.integrations, e_.payload_as_IntegrationSynced()->integration_id(),
                            "integration"));
      return std::nullopt;
    case fb::Payload::IntegrationFailed:
      LEDGER_CHECK(Existing(s.integrations, e_.payload_as_IntegrationFailed()->integration_id(),
                            "integration"));
      return std::nullopt;
    case fb::Payload::PromptCreated: {
      const auto* p = e_.payload_as_PromptCreated();
      LEDGER_CHECK(NewId(s.prompts, p->prompt_id(), "prompt"));
      LEDGER_CHECK(NonEmpty(p->name(), "name"));
      return std::nullopt;
    }
    case fb::Payload::PromptVersionCreated: {
      const auto* p = e_.payload_as_PromptVersionCreated();
      const state::PromptT* prompt = nullptr;
      LEDGER_CHECK(Existing(s.prompts, p->prompt_id(), "prompt", &prompt));
      if (p->version() != prompt->version + 1) {
        return Reject(Rule::kInvalidValue,
                      "version must be " + std::to_string(prompt->version + 1));
      }
      return std::nullopt;
    }
    case fb::Payload::PromptTagged:
      LEDGER_CHECK(Existing(s.prompts, e_.payload_as_PromptTagged()->prompt_id(), "prompt"));
      return std::nullopt;
    case fb::Payload::AgentTeamCreated: {
      const auto* p = e_.payload_as_AgentTeamCreated();
      LEDGER_CHECK(NewId(s.agent_teams, p->agent_team_id(), "agent team"));
      LEDGER_CHECK(NonEmpty(p->name(), "name"));
      return std::nullopt;
    }
    case fb::Payload::AgentAddedToAgentTeam:
    case fb::Payload::AgentRemovedFromAgentTeam: {
      bool add = e_.payload_type() == fb::Payload::AgentAddedToAgentTeam;
      const String* team_id = add ? e_.payload_as_AgentAddedToAgentTeam()->agent_team_id()
                                  : e_.payload_as_AgentRemovedFromAgentTeam()->agent_team_id();
      const String* agent_id = add ? e_.payload_as_AgentAddedToAgentTeam()->agent_id()
                                   : e_.payload_as_AgentRemovedFromAgentTeam()->agent_id();
      const state::AgentTeamT* team = nullptr;
      LEDGER_CHECK(Existing(s.agent_teams, team_id, "agent team", &team));
      if (add)
        LEDGER_CHECK(LiveAgent(agent_id));
      else
        LEDGER_CHECK(IdField(agent_id, "agent_id"));
      bool member = std::find(team->agent_ids.begin(), team->agent_ids.end(), agent_id->str()) !=
                    team->agent_ids.end();
      if (add && member)
        return Transition("agent", agent_id, "is already in agent team " + team->id);
      if (!add && !member) return Transition("agent", agent_id, "is not in agent team " + team->id);
      return std::nullopt;
    }
    default:
      *handled = false;
      return std::nullopt;
  }
}

}  // namespace ledger::decide
