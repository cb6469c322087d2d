// Apply for work and its cost: missions, tasks, artifacts, usage, activity,
// webhooks, plans, projects, blueprints, workflows, integrations, prompts and
// agent teams.
#include <limits>

#include "apply_util.h"

namespace ledger::apply {
namespace {

using state::RunStatus;

// Money in state saturates instead of wrapping; the validator rejects any
// command that would overflow, so this only guards logs written without it.
int64_t AddMoney(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::numeric_limits<int64_t>::max();
  return sum;
}

void ApplyUsage(State& s, const fb::UsageRecorded* p, int64_t now) {
  ++s.usage_records;
  int64_t cost = p->cost_micros();
  if (auto* m = Find(s.employees, p->employee_id()))
    m->spending_micros = AddMoney(m->spending_micros, cost);
  if (auto* a = Find(s.employee_agents, p->agent_id())) {
    a->spending_micros = AddMoney(a->spending_micros, cost);
    a->last_used_at = now;
  }
  // Spending counts against every active subscription (normally one).
  for (auto& [id, sub] : s.subscriptions) {
    if (!sub.cancelled) sub.spending_micros = AddMoney(sub.spending_micros, cost);
  }
}

bool ApplyMissions(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  switch (e.payload_type()) {
    case fb::Payload::MissionStarted: {
      const auto* p = e.payload_as_MissionStarted();
      state::MissionT m;
      m.id = Str(p->mission_id());
      m.employee_id = Str(p->employee_id());
      m.title = Str(p->title());
      m.intent = Sealed(p->intent());
      m.plan = Str(p->plan());
      m.context = Str(p->context());
      m.status = RunStatus::Running;
      m.started_at = now;
      if (s.missions.try_emplace(Id(p->mission_id()), std::move(m)).second) Grow(s);
      return true;
    }
    case fb::Payload::MissionCompleted:
      if (auto* m = Find(s.missions, e.payload_as_MissionCompleted()->mission_id())) {
        m->status = RunStatus::Completed;
        m->completed_at = now;
      }
      return true;
    case fb::Payload::MissionFailed:
      if (auto* m = Find(s.missions, e.payload_as_MissionFailed()->mission_id())) {
        m->status = RunStatus::Failed;
        m->error = Str(e.payload_as_MissionFailed()->error());
        m->completed_at = now;
      }
      return true;
    case fb::Payload::TaskCreated: {
      const auto* p = e.payload_as_TaskCreated();
      state::TaskT t;
      t.id = Str(p->task_id());
      t.mission_id = Str(p->mission_id());
      t.agent_id = Str(p->agent_id());
      t.type = Str(p->type());
      t.input = Str(p->input());
      t.status = RunStatus::Pending;
      t.created_at = now;
      if (s.tasks.try_emplace(Id(p->task_id()), std::move(t)).second) Grow(s);
      return true;
    }
    case fb::Payload::TaskStarted:
      if (auto* t = Find(s.tasks, e.payload_as_TaskStarted()->task_id())) {
        t->status = RunStatus::Running;
        t->started_at = now;
      }
      return true;
    case fb::Payload::TaskCompleted:
      if (auto* t = Find(s.tasks, e.payload_as_TaskCompleted()->task_id())) {
        t->status = RunStatus::Completed;
        t->output = Str(e.payload_as_TaskCompleted()->output());
        t->completed_at = now;
      }
      return true;
    case fb::Payload::TaskFailed:
      if (auto* t = Find(s.tasks, e.payload_as_TaskFailed()->task_id())) {
        t->status = RunStatus::Failed;
        t->error = Str(e.payload_as_TaskFailed()->error());
        t->completed_at = now;
      }
      return true;
    case fb::Payload::TaskRetried:
      if (auto* t = Find(s.tasks, e.payload_as_TaskRetried()->task_id())) {
        t->status = RunStatus::Pending;
        t->retry_count = e.payload_as_TaskRetried()->retry_count();
        t->error.clear();
      }
      return true;
    case fb::Payload::TaskDependencyAdded: {
      const auto* p = e.payload_as_TaskDependencyAdded();
      if (auto* t = Find(s.tasks, p->task_id())) {
        auto d = std::make_unique<state::TaskDependencyT>();
        d->depends_on_task_id = Str(p->depends_on_task_id());
        d->dependency_type = p->dependency_type();
        d->created_at = now;
        t->dependencies.push_back(std::move(d));
        s.approx_bytes += 64;
      }
      return true;
    }
    case fb::Payload::ArtifactProduced: {
      const auto* p = e.payload_as_ArtifactProduced();
      state::ArtifactT a;
      a.id = Str(p->artifact_id());
      a.mission_id = Str(p->mission_id());
      a.task_id = Str(p->task_id());
      a.sha256 = Str(p->sha256());
      a.artifact_type = Str(p->artifact_type());
      a.file_path = Str(p->file_path());
      a.size_bytes = p->size_bytes();
      a.metadata = Str(p->metadata());
      a.created_at = now;
      Uuid id = Id(p->artifact_id());
      if (s.artifacts.try_emplace(id, std::move(a)).second) {
        s.artifact_by_sha256.try_emplace(Str(p->sha256()).str(), id);
        Grow(s);
      }
      return true;
    }
    case fb::Payload::UsageRecorded:
      ApplyUsage(s, e.payload_as_UsageRecorded(), now);
      return true;
    case fb::Payload::ActivityLogged:
      ++s.activities;
      return true;
    default:
      return false;
  }
}

bool ApplyPlatform(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  switch (e.payload_type()) {
    case fb::Payload::WebhookDestinationAdded: {
      const auto* p = e.payload_as_WebhookDestinationAdded();
      state::WebhookT w;
      w.id = Str(p->webhook_id());
      w.url = Str(p->url());
      w.event_types = Strings(p->event_types());
      w.secret_ref = Str(p->secret_ref());
      w.created_at = now;
      if (s.webhooks.try_emplace(Id(p->webhook_id()), std::move(w)).second) Grow(s);
      return true;
    }
    case fb::Payload::WebhookDestinationRemoved:
      if (auto* w = Find(s.webhooks, e.payload_as_WebhookDestinationRemoved()->webhook_id())) {
        w->removed = true;
      }
      return true;
    case fb::Payload::WebhookDeliveryAttempted: {
      const auto* p = e.payload_as_WebhookDeliveryAttempted();
      if (auto* w = Find(s.webhooks, p->webhook_id())) {
        ++w->deliveries;
        if (!p->success()) ++w->failures;
      }
      return true;
    }
    case fb::Payload::PlanDefined: {
      const auto* p = e.payload_as_PlanDefined();
      state::PlanT x;
      x.id = Str(p->plan_id());
      x.name = Str(p->name());
      x.plan_type = Str(p->plan_type());
      x.monthly_price_micros = p->monthly_price_micros();
      x.yearly_price_micros = p->yearly_price_micros();
      x.features = Str(p->features());
      x.limits = Str(p->limits());
      x.created_at = now;
      if (s.plans.try_emplace(Id(p->plan_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::ProjectCreated: {
      const auto* p = e.payload_as_ProjectCreated();
      state::ProjectT x;
      x.id = Str(p->project_id());
      x.name = Str(p->name());
      x.description = Str(p->description());
      x.project_type = Str(p->project_type());
      x.config = Str(p->config());
      x.owner_id = Str(p->owner_id());
      x.created_at = now;
      if (s.projects.try_emplace(Id(p->project_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::BlueprintPublished: {
      const auto* p = e.payload_as_BlueprintPublished();
      state::BlueprintT x;
      x.id = Str(p->blueprint_id());
      x.name = Str(p->name());
      x.description = Str(p->description());
      x.version = Str(p->version());
      x.definition = Str(p->definition());
      x.pricing_model = p->pricing_model();
      x.price_micros = p->price_micros();
      x.is_public = p->is_public();
      x.created_at = now;
      if (s.blueprints.try_emplace(Id(p->blueprint_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::IntegrationConnected: {
      const auto* p = e.payload_as_IntegrationConnected();
      state::IntegrationT x;
      x.id = Str(p->integration_id());
      x.type = Str(p->type());
      x.name = Str(p->name());
      x.config = Str(p->config());
      x.credentials_ref = Str(p->credentials_ref());
      x.created_at = x.updated_at = now;
      if (s.integrations.try_emplace(Id(p->integration_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::IntegrationSynced:
      if (auto* x = Find(s.integrations, e.payload_as_IntegrationSynced()->integration_id())) {
        x->records_synced += e.payload_as_IntegrationSynced()->records_synced();
        x->last_error.clear();
        x->updated_at = now;
      }
      return true;
    case fb::Payload::IntegrationFailed:
      if (auto* x = Find(s.integrations, e.payload_as_IntegrationFailed()->integration_id())) {
        x->last_error = Str(e.payload_as_IntegrationFailed()->error());
        x->updated_at = now;
      }
      return true;
    case fb::Payload::PromptCreated: {
      const auto* p = e.payload_as_PromptCreated();
      state::PromptT x;
      x.id = Str(p->prompt_id());
      x.name = Str(p->name());
      x.body = Str(p->body());
      x.tags = Strings(p->tags());
      x.version = 1;
      x.created_at = x.updated_at = now;
      if (s.prompts.try_emplace(Id(p->prompt_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::PromptVersionCreated: {
      const auto* p = e.payload_as_PromptVersionCreated();
      if (auto* x = Find(s.prompts, p->prompt_id())) {
        x->version = p->version();
        x->body = Str(p->body());
        x->updated_at = now;
      }
      return true;
    }
    case fb::Payload::PromptTagged:
      if (auto* x = Find(s.prompts, e.payload_as_PromptTagged()->prompt_id())) {
        x->tags = Strings(e.payload_as_PromptTagged()->tags());
        x->updated_at = now;
      }
      return true;
    case fb::Payload::AgentTeamCreated: {
      const auto* p = e.payload_as_AgentTeamCreated();
      state::AgentTeamT x;
      x.id = Str(p->agent_team_id());
      x.name = Str(p->name());
      x.description = Str(p->description());
      x.created_at = now;
      if (s.agent_teams.try_emplace(Id(p->agent_team_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::AgentAddedToAgentTeam: {
      const auto* p = e.payload_as_AgentAddedToAgentTeam();
      if (auto* x = Find(s.agent_teams, p->agent_team_id()))
        x->agent_ids.push_back(Str(p->agent_id()));
      return true;
    }
    case fb::Payload::AgentRemovedFromAgentTeam: {
      const auto* p = e.payload_as_AgentRemovedFromAgentTeam();
      if (auto* x = Find(s.agent_teams, p->agent_team_id())) {
        std::erase(x->agent_ids, Str(p->agent_id()));
      }
      return true;
    }
    default:
      return false;
  }
}

bool ApplyWorkflows(State& s, const fb::Event& e, const Position& at) {
  int64_t now = at.recorded_at;
  using WS = state::WorkflowStatus;
  auto set_workflow = [&](const flatbuffers::String* id, WS status) {
    if (auto* w = Find(s.workflows, id)) {
      w->status = status;
      w->updated_at = now;
    }
  };
  switch (e.payload_type()) {
    case fb::Payload::WorkflowDefined: {
      const auto* p = e.payload_as_WorkflowDefined();
      state::WorkflowT w;
      w.id = Str(p->workflow_id());
      w.name = Str(p->name());
      w.description = Str(p->description());
      w.definition = Str(p->definition());
      w.version = 1;
      w.status = WS::Draft;
      w.created_at = w.updated_at = now;
      if (s.workflows.try_emplace(Id(p->workflow_id()), std::move(w)).second) Grow(s);
      return true;
    }
    case fb::Payload::WorkflowVersionCreated: {
      const auto* p = e.payload_as_WorkflowVersionCreated();
      if (auto* w = Find(s.workflows, p->workflow_id())) {
        w->version = p->version();
        w->definition = Str(p->definition());
        w->updated_at = now;
      }
      return true;
    }
    case fb::Payload::WorkflowActivated:
      set_workflow(e.payload_as_WorkflowActivated()->workflow_id(), WS::Active);
      return true;
    case fb::Payload::WorkflowPaused:
      set_workflow(e.payload_as_WorkflowPaused()->workflow_id(), WS::Paused);
      return true;
    case fb::Payload::WorkflowArchived:
      set_workflow(e.payload_as_WorkflowArchived()->workflow_id(), WS::Archived);
      return true;
    case fb::Payload::WorkflowExecutionStarted: {
      const auto* p = e.payload_as_WorkflowExecutionStarted();
      state::WorkflowExecutionT x;
      x.id = Str(p->execution_id());
      x.workflow_id = Str(p->workflow_id());
      x.version = p->version();
      x.agent_id = Str(p->agent_id());
      x.triggered_by = Str(p->triggered_by());
      x.total_steps = p->total_steps();
      x.status = RunStatus::Running;
      x.created_at = now;
      if (s.workflow_executions.try_emplace(Id(p->execution_id()), std::move(x)).second) Grow(s);
      return true;
    }
    case fb::Payload::WorkflowStepProgressed: {
      const auto* p = e.payload_as_WorkflowStepProgressed();
      if (auto* x = Find(s.workflow_executions, p->execution_id())) {
        if (p->status() == fb::StepStatus::Succeeded || p->status() == fb::StepStatus::Skipped) {
          ++x->steps_done;
        }
      }
      return true;
    }
    case fb::Payload::WorkflowApprovalRequired: {
      const auto* p = e.payload_as_WorkflowApprovalRequired();
      if (auto* x = Find(s.workflow_executions, p->execution_id())) {
        x->pending_approval_id = Str(p->approval_request_id());
      }
      return true;
    }
    case fb::Payload::WorkflowExecutionApproved:
      if (auto* x = Find(s.workflow_executions,
                         e.payload_as_WorkflowExecutionApproved()->execution_id())) {
        x->pending_approval_id.clear();
      }
      return true;
    case fb::Payload::WorkflowExecutionRejected:
      if (auto* x = Find(s.workflow_executions,
                         e.payload_as_WorkflowExecutionRejected()->execution_id())) {
        x->pending_approval_id.clear();
        x->status = RunStatus::Failed;
        x->error = "approval rejected";
        x->completed_at = now;
      }
      return true;
    case fb::Payload::WorkflowExecutionCompleted:
      if (auto* x = Find(s.workflow_executions,
                         e.payload_as_WorkflowExecutionCompleted()->execution_id())) {
        x->status = RunStatus::Completed;
        x->completed_at = now;
      }
      return true;
    case fb::Payload::WorkflowExecutionFailed:
      if (auto* x =
              Find(s.workflow_executions, e.payload_as_WorkflowExecutionFailed()->execution_id())) {
        x->status = RunStatus::Failed;
        x->error = Str(e.payload_as_WorkflowExecutionFailed()->error());
        x->completed_at = now;
      }
      return true;
    case fb::Payload::WorkflowExecutionCancelled:
      if (auto* x = Find(s.workflow_executions,
                         e.payload_as_WorkflowExecutionCancelled()->execution_id())) {
        x->status = RunStatus::Cancelled;
        x->pending_approval_id.clear();
        x->completed_at = now;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ApplyWork(State& s, const fb::Event& e, const Position& at) {
  return ApplyMissions(s, e, at) || ApplyPlatform(s, e, at) || ApplyWorkflows(s, e, at);
}

}  // namespace ledger::apply
