// Decide's entry point: checks every command gets, then the org itself,
// subscriptions, usage against budget and erasure. Other types are decided in
// decide_people.cc and decide_work.cc.
#include "decide.h"

#include <limits>

#include "decide_util.h"
#include "ledger/commands.h"
#include "ledger/payload_table.h"
#include "ledger/subject_keys.h"
#include "ledger/utf8.h"

namespace ledger {
namespace decide {
namespace {

constexpr uint8_t kCrossed80 = 1;
constexpr uint8_t kCrossed100 = 2;

bool EngineEmitted(fb::Payload type) {
  return type == fb::Payload::AgentRequestResolved || type == fb::Payload::BudgetThresholdCrossed;
}

// The first string below `table` that is not UTF-8 without NUL, described;
// empty if there is none. The read models, exports and auditors' JSON all
// need text. Looks into strings and tables only (ForEachField, with no call
// per byte of every nonce and ciphertext); FirstInvalidTextByte skips ASCII
// eight bytes at a time, which is what keeps the check cheap on a hot path.
std::string InvalidText(const flatbuffers::Table* table, const flatbuffers::TypeTable* type) {
  using flatbuffers::uoffset_t;
  std::string bad;
  ForEachField(table, type, [&bad, type](const TableField& f) {
    bool is_string = f.code.base_type == flatbuffers::ET_STRING;
    bool is_table = f.code.base_type == flatbuffers::ET_SEQUENCE && f.ref != nullptr &&
                    f.ref->st == flatbuffers::ST_TABLE;
    if (!is_string && !is_table) return true;
    // One offset, or a vector of them.
    const uint8_t* at = f.slot;
    uoffset_t count = 1;
    if (f.code.is_repeating) {
      const uint8_t* vector = Deref(f.slot);
      count = flatbuffers::ReadScalar<uoffset_t>(vector);
      at = vector + sizeof(uoffset_t);
    }
    for (uoffset_t k = 0; k < count; ++k, at += sizeof(uoffset_t)) {
      if (is_table) {
        bad = InvalidText(reinterpret_cast<const flatbuffers::Table*>(Deref(at)), f.ref);
        if (!bad.empty()) return false;
        continue;
      }
      auto text = reinterpret_cast<const flatbuffers::String*>(Deref(at))->string_view();
      size_t bad_at = FirstInvalidTextByte(text);
      if (bad_at == std::string_view::npos) continue;
      bad = std::string("field '") + type->names[f.index] + "' holds " +
            (text[bad_at] == 0 ? "a NUL byte" : "bytes that are not UTF-8") + " at byte " +
            std::to_string(bad_at) + ": text fields take UTF-8 without NUL";
      return false;
    }
    return true;
  });
  return bad;
}

}  // namespace

EnvelopeFields Decider::DerivedEnvelope() const {
  const fb::Envelope* env = e_.envelope();
  EnvelopeFields fields;
  fields.org = s_.org;
  fields.actor = ActorRef{fb::ActorKind::System, kDerivedActorId};
  fields.causation_id = Str(env->event_id());
  fields.correlation_id = env->correlation_id() ? Str(env->correlation_id()) : fields.causation_id;
  fields.occurred_at = env->occurred_at();
  fields.idempotency_key = Str(env->idempotency_key());
  return fields;
}

Verdict Decider::Employee(const String* id, const char* field,
                          const state::EmployeeT** found) const {
  LEDGER_CHECK(Existing(s_.employees, id, field, found));
  return std::nullopt;
}

Verdict Decider::ActiveEmployee(const String* id, const char* field,
                                const state::EmployeeT** found) const {
  const state::EmployeeT* employee = nullptr;
  LEDGER_CHECK(Existing(s_.employees, id, field, &employee));
  if (employee->status != state::EmployeeStatus::Active) {
    return Reject(Rule::kEmployeeNotActive, std::string(field) + " " + id->str() + " is " +
                                                state::EnumNameEmployeeStatus(employee->status) +
                                                ", not Active");
  }
  if (found) *found = employee;
  return std::nullopt;
}

Verdict Decider::LiveTeam(const String* id) const {
  const state::TeamT* team = nullptr;
  LEDGER_CHECK(Existing(s_.teams, id, "team", &team));
  if (team->deleted) return NotLive("team", id, "is deleted");
  return std::nullopt;
}

Verdict Decider::LiveRole(const String* id, const state::RoleT** found) const {
  LEDGER_CHECK(Existing(s_.roles, id, "role", found));
  return std::nullopt;
}

Verdict Decider::LiveAgent(const String* id, const state::EmployeeAgentT** found) const {
  const state::EmployeeAgentT* agent = nullptr;
  LEDGER_CHECK(Existing(s_.employee_agents, id, "agent", &agent));
  if (agent->status == state::AgentStatus::Revoked) return NotLive("agent", id, "is revoked");
  if (found) *found = agent;
  return std::nullopt;
}

Verdict Decider::SealedFor(const fb::Sealed* sealed, const char* field, const String* subject,
                           bool required) const {
  if (sealed == nullptr) {
    if (required) return Reject(Rule::kMalformed, std::string(field) + " is required");
    return std::nullopt;
  }
  std::optional<Uuid> sealed_subject = Uuid::Parse(sealed->subject_id()->string_view());
  if (!sealed_subject) {
    return Reject(Rule::kMalformed, std::string(field) + ".subject_id must be a UUID");
  }
  if (sealed->nonce()->size() != kSealedNonceBytes ||
      sealed->ciphertext()->size() < kSealedTagBytes) {
    return Reject(Rule::kMalformed, std::string(field) + " is not a sealed value (nonce " +
                                        std::to_string(kSealedNonceBytes) +
                                        " bytes, ciphertext at least " +
                                        std::to_string(kSealedTagBytes) + ")");
  }
  if (subject != nullptr && sealed->subject_id()->string_view() != subject->string_view()) {
    return Reject(Rule::kInvalidValue, std::string(field) + " must be sealed for " +
                                           subject->str() + ", not " + sealed->subject_id()->str());
  }
  if (s_.forgotten_subjects.count(*sealed_subject) || lookups_.IsForgotten(*sealed_subject)) {
    return Reject(Rule::kSubjectForgotten, std::string(field) + " is sealed for subject " +
                                               sealed->subject_id()->str() + ", who was forgotten");
  }
  return std::nullopt;
}

namespace {

bool HoldsPersonalDataAbout(const State& s, std::string_view subject) {
  if (s.employees.count(IdOf(std::string(subject)))) return true;
  for (const auto& [id, invitation] : s.invitations) {
    if (invitation.email && invitation.email->subject_id == subject) return true;
  }
  return false;
}

// Usage adds to every active subscription's spending; crossing 80 % or 100 %
// of a budget records the threshold once per billing period.
Verdict DecideUsage(Decider& d, const fb::UsageRecorded* p) {
  const State& s = d.s_;
  LEDGER_CHECK(d.IdField(p->usage_id(), "usage_id"));
  LEDGER_CHECK(d.NonNegative(p->quantity(), "quantity"));
  LEDGER_CHECK(d.NonNegative(p->cost_micros(), "cost_micros"));
  if (p->resource_type() == fb::ResourceType::Unknown ||
      p->resource_type() > fb::ResourceType::MAX) {
    return Reject(Rule::kInvalidValue, "resource_type must be set");
  }
  if (p->period_end() < p->period_start()) {
    return Reject(Rule::kInvalidValue, "period_end is before period_start");
  }
  const state::EmployeeT* employee = nullptr;
  LEDGER_CHECK(d.Employee(p->employee_id(), "employee", &employee));
  if (p->agent_id() && p->agent_id()->size()) {
    const state::EmployeeAgentT* agent = nullptr;
    LEDGER_CHECK(d.Existing(s.employee_agents, p->agent_id(), "agent", &agent));
    if (agent->employee_id != p->employee_id()->string_view()) {
      return Reject(Rule::kInvalidValue, "agent " + agent->id + " belongs to employee " +
                                             agent->employee_id + ", not " +
                                             p->employee_id()->str());
    }
  }
  if (p->mission_id() && p->mission_id()->size()) {
    LEDGER_CHECK(d.Existing(s.missions, p->mission_id(), "mission"));
  }
  if (p->task_id() && p->task_id()->size()) LEDGER_CHECK(d.Existing(s.tasks, p->task_id(), "task"));
  int64_t cost = p->cost_micros();
  int64_t employee_total;
  if (__builtin_add_overflow(employee->spending_micros, cost, &employee_total)) {
    return Reject(Rule::kOverflow, "employee " + employee->id + " spending would overflow");
  }
  // Sorted, so derived events come out in the same order on every replica.
  std::vector<const state::SubscriptionT*> subs;
  for (const auto& [id, sub] : s.subscriptions) {
    if (!sub.cancelled) subs.push_back(&sub);
  }
  std::sort(subs.begin(), subs.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const state::SubscriptionT* sub : subs) {
    int64_t spending;
    if (__builtin_add_overflow(sub->spending_micros, cost, &spending)) {
      return Reject(Rule::kOverflow, "subscription " + sub->id + " spending would overflow");
    }
    int64_t budget = sub->monthly_budget_micros;
    if (budget <= 0) continue;
    auto cross = [&](uint8_t bit, int percent) {
      if (sub->thresholds_crossed & bit) return;
      if (static_cast<__int128>(spending) * 100 < static_cast<__int128>(budget) * percent) return;
      d.Emit(fb::CreateBudgetThresholdCrossedDirect(d.builder(), sub->id.c_str(),
                                                    static_cast<uint8_t>(percent), spending, budget,
                                                    sub->billing_period_start));
    };
    cross(kCrossed80, 80);
    cross(kCrossed100, 100);
  }
  return std::nullopt;
}

// The read models keep these limits as integer (as the seed schema does): a
// larger one would stop the projector, so it is refused here.
Verdict LimitsFitInteger(uint32_t max_employees, uint32_t max_agents_per_employee) {
  constexpr uint32_t kMax = std::numeric_limits<int32_t>::max();
  for (auto [name, value] : {std::pair{"max_employees", max_employees},
                             std::pair{"max_agents_per_employee", max_agents_per_employee}}) {
    if (value > kMax) {
      return Reject(Rule::kInvalidValue, std::string(name) + " " + std::to_string(value) +
                                             " is above " + std::to_string(kMax));
    }
  }
  return std::nullopt;
}

Verdict DecideOrg(Decider& d, bool* handled) {
  const State& s = d.s_;
  const fb::Event& e = d.e_;
  *handled = true;
  switch (e.payload_type()) {
    case fb::Payload::OrganizationCreated: {
      const auto* p = e.payload_as_OrganizationCreated();
      LEDGER_CHECK(d.NonEmpty(p->name(), "name"));
      LEDGER_CHECK(d.NonEmpty(p->slug(), "slug"));
      LEDGER_CHECK(LimitsFitInteger(p->max_employees(), p->max_agents_per_employee()));
      if (auto owner = d.lookups_.OrgWithSlug(p->slug()->string_view())) {
        return Reject(Rule::kNotUnique,
                      "slug '" + p->slug()->str() + "' is used by org " + owner->ToString());
      }
      d.out_->directory.push_back(
          {directory::SlugKey(p->slug()->string_view()), std::string(s.org.AsBytes())});
      return std::nullopt;
    }
    case fb::Payload::OrganizationSettingsChanged:
      return std::nullopt;
    case fb::Payload::OrganizationPlanChanged: {
      const auto* p = e.payload_as_OrganizationPlanChanged();
      LEDGER_CHECK(LimitsFitInteger(p->max_employees(), p->max_agents_per_employee()));
      if (p->max_employees() != 0 && p->max_employees() < s.seat_holders) {
        return Reject(Rule::kEmployeeLimit, "max_employees " + std::to_string(p->max_employees()) +
                                                " is below org " + s.org.ToString() + "'s " +
                                                std::to_string(s.seat_holders) + " employees");
      }
      return std::nullopt;
    }
    case fb::Payload::OrganizationDeleted:
      // Its public templates stop being usable by other orgs.
      for (const auto& [id, t] : s.agent_templates) {
        if (t.is_public && !t.retired) {
          d.out_->directory.push_back(
              {directory::TemplateKey(id), directory::EncodeListing({s.org, true, true})});
        }
      }
      return std::nullopt;
    case fb::Payload::SubscriptionStarted: {
      const auto* p = e.payload_as_SubscriptionStarted();
      LEDGER_CHECK(d.NewId(s.subscriptions, p->subscription_id(), "subscription"));
      LEDGER_CHECK(d.NonNegative(p->monthly_budget_micros(), "monthly_budget_micros"));
      if (p->plan_id() && p->plan_id()->size())
        LEDGER_CHECK(d.Existing(s.plans, p->plan_id(), "plan"));
      if (p->billing_period_end() <= p->billing_period_start()) {
        return Reject(Rule::kInvalidValue, "billing_period_end must be after billing_period_start");
      }
      for (const auto& [id, sub] : s.subscriptions) {
        if (!sub.cancelled) {
          return Reject(Rule::kInvalidTransition,
                        "org already has active subscription " + sub.id + "; cancel it first");
        }
      }
      return std::nullopt;
    }
    case fb::Payload::SubscriptionBudgetChanged: {
      const auto* p = e.payload_as_SubscriptionBudgetChanged();
      const state::SubscriptionT* sub = nullptr;
      LEDGER_CHECK(d.Existing(s.subscriptions, p->subscription_id(), "subscription", &sub));
      if (sub->cancelled) return d.NotLive("subscription", p->subscription_id(), "is cancelled");
      LEDGER_CHECK(d.NonNegative(p->monthly_budget_micros(), "monthly_budget_micros"));
      return std::nullopt;
    }
    case fb::Payload::SubscriptionBillingPeriodRolled: {
      const auto* p = e.payload_as_SubscriptionBillingPeriodRolled();
      const state::SubscriptionT* sub = nullptr;
      LEDGER_CHECK(d.Existing(s.subscriptions, p->subscription_id(), "subscription", &sub));
      if (sub->cancelled) return d.NotLive("subscription", p->subscription_id(), "is cancelled");
      if (p->billing_period_end() <= p->billing_period_start() ||
          p->billing_period_start() < sub->billing_period_end) {
        return Reject(Rule::kInvalidValue,
                      "the new billing period must start at or after the current one's end (" +
                          std::to_string(sub->billing_period_end) + ") and end after it starts");
      }
      return std::nullopt;
    }
    case fb::Payload::SubscriptionCancelled: {
      const auto* p = e.payload_as_SubscriptionCancelled();
      const state::SubscriptionT* sub = nullptr;
      LEDGER_CHECK(d.Existing(s.subscriptions, p->subscription_id(), "subscription", &sub));
      if (sub->cancelled)
        return d.Transition("subscription", p->subscription_id(), "is already cancelled");
      return std::nullopt;
    }
    case fb::Payload::UsageRecorded:
      return DecideUsage(d, e.payload_as_UsageRecorded());
    case fb::Payload::SubjectForgotten: {
      const auto* p = e.payload_as_SubjectForgotten();
      LEDGER_CHECK(d.IdField(p->subject_id(), "subject_id"));
      LEDGER_CHECK(d.NonEmpty(p->reason(), "reason"));
      Uuid subject = Id(p->subject_id());
      if (s.forgotten_subjects.count(subject)) {
        return d.Transition("subject", p->subject_id(), "was already forgotten");
      }
      // Keys are ledger-wide, so an org may only erase people it holds
      // personal data about: its employees and the people it invited.
      if (!HoldsPersonalDataAbout(s, p->subject_id()->string_view())) {
        return Reject(Rule::kUnknownReference, "subject " + p->subject_id()->str() +
                                                   " is not an employee or invitee of org " +
                                                   s.org.ToString());
      }
      d.out_->forget = subject;
      return std::nullopt;
    }
    default:
      *handled = false;
      return std::nullopt;
  }
}

}  // namespace

Verdict Decider::Run() {
  fb::Payload type = e_.payload_type();
  if (type == fb::Payload::NONE || e_.payload() == nullptr) {
    return Reject(Rule::kMalformed, "the event has no payload");
  }
  if (type > fb::Payload::MAX) {
    return Reject(Rule::kUnknownEventType, "event type " + std::to_string(static_cast<int>(type)) +
                                               " is not in this catalogue");
  }
  const char* type_name = fb::EnumNamePayload(type);
  if (EngineEmitted(type)) {
    return Reject(Rule::kEngineEmitted,
                  std::string(type_name) + " is recorded by the engine, not submitted");
  }
  LEDGER_CHECK(OptionalIdField(e_.envelope()->event_id(), "event_id"));
  if (std::string bad = InvalidText(reinterpret_cast<const flatbuffers::Table*>(e_.envelope()),
                                    fb::EnvelopeTypeTable());
      !bad.empty()) {
    return Reject(Rule::kMalformed, "envelope " + bad);
  }
  if (std::string bad =
          InvalidText(static_cast<const flatbuffers::Table*>(e_.payload()), PayloadTable(type));
      !bad.empty()) {
    return Reject(Rule::kMalformed, std::string(type_name) + " " + bad);
  }
  if (type == fb::Payload::OrganizationCreated) {
    if (s_.exists())
      return Reject(Rule::kOrgExists, "org " + s_.org.ToString() + " already exists");
  } else if (!s_.exists()) {
    return Reject(Rule::kNoSuchOrg, "org " + s_.org.ToString() + " does not exist");
  } else if (s_.deleted()) {
    return Reject(Rule::kOrgDeleted, "org " + s_.org.ToString() + " is deleted");
  }
  const fb::Actor* actor = e_.envelope()->actor();
  if (actor && actor->kind() == fb::ActorKind::Employee &&
      type != fb::Payload::OrganizationCreated) {
    LEDGER_CHECK(Existing(s_.employees, actor->id(), "actor employee"));
  }
  bool handled = false;
  Verdict verdict = DecideOrg(*this, &handled);
  if (!handled) verdict = People(&handled);
  if (!handled) verdict = Catalogue(&handled);
  if (!handled) verdict = Agents(&handled);
  if (!handled) verdict = Requests(&handled);
  if (!handled) verdict = Work(&handled);
  if (!handled) verdict = Platform(&handled);
  if (!handled) {
    return Reject(Rule::kUnknownEventType, std::string(type_name) + " has no command rules");
  }
  if (verdict) verdict->message = std::string(type_name) + ": " + verdict->message;
  return verdict;
}

}  // namespace decide

Verdict Decide(const State& state, const fb::Event& event, Lookups& lookups, Decision* out) {
  decide::Decider decider(state, event, lookups, out);
  return decider.Run();
}

namespace directory {

std::string SlugKey(std::string_view slug) { return "slug/" + std::string(slug); }
std::string TemplateKey(const Uuid& id) { return "template/" + std::string(id.AsBytes()); }

std::string EncodeListing(const Lookups::TemplateListing& listing) {
  std::string value(listing.owner.AsBytes());
  value.push_back(static_cast<char>((listing.is_public ? 1 : 0) | (listing.retired ? 2 : 0)));
  return value;
}

std::optional<Lookups::TemplateListing> DecodeListing(std::string_view value) {
  if (value.size() != 17) return std::nullopt;
  Lookups::TemplateListing listing;
  listing.owner = Uuid::FromBytes(value.substr(0, 16));
  listing.is_public = value[16] & 1;
  listing.retired = value[16] & 2;
  return listing;
}

}  // namespace directory
}  // namespace ledger
