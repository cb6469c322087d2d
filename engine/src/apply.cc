// Apply's entry point: the org itself, subscriptions, erasure and the
// bookkeeping every event gets (version, idempotency key). The other event
// types are in apply_people.cc and apply_work.cc.
#define XXH_INLINE_ALL
#include "ledger/apply.h"

#include <flatbuffers/minireflect.h>
#include <xxhash.h>

#include <cstring>

#include "apply_util.h"
#include "ledger/limits.h"
#include "ledger/payload_table.h"

namespace ledger {
namespace {

using namespace apply;  // NOLINT: the helpers are this file's vocabulary

void ApplyOrg(State& s, const fb::Event& e, const Position& at) {
  switch (e.payload_type()) {
    case fb::Payload::OrganizationCreated: {
      const auto* p = e.payload_as_OrganizationCreated();
      if (s.organization) return;
      state::OrganizationT org;
      org.name = Str(p->name());
      org.slug = Str(p->slug());
      org.plan = Str(p->plan());
      org.settings = Str(p->settings());
      org.max_employees = p->max_employees();
      org.max_agents_per_employee = p->max_agents_per_employee();
      org.created_at = org.updated_at = at.recorded_at;
      s.organization = std::move(org);
      Grow(s);
      return;
    }
    case fb::Payload::OrganizationSettingsChanged:
      if (!s.organization) return;
      s.organization->settings = Str(e.payload_as_OrganizationSettingsChanged()->settings());
      s.organization->updated_at = at.recorded_at;
      return;
    case fb::Payload::OrganizationPlanChanged: {
      const auto* p = e.payload_as_OrganizationPlanChanged();
      if (!s.organization) return;
      s.organization->plan = Str(p->plan());
      s.organization->max_employees = p->max_employees();
      s.organization->max_agents_per_employee = p->max_agents_per_employee();
      s.organization->updated_at = at.recorded_at;
      return;
    }
    case fb::Payload::OrganizationDeleted:
      if (!s.organization) return;
      s.organization->deleted_at = s.organization->updated_at = at.recorded_at;
      return;
    case fb::Payload::SubscriptionStarted: {
      const auto* p = e.payload_as_SubscriptionStarted();
      state::SubscriptionT sub;
      sub.id = Str(p->subscription_id());
      sub.plan_id = Str(p->plan_id());
      sub.plan_type = Str(p->plan_type());
      sub.monthly_budget_micros = p->monthly_budget_micros();
      sub.billing_period_start = p->billing_period_start();
      sub.billing_period_end = p->billing_period_end();
      sub.created_at = sub.updated_at = at.recorded_at;
      s.subscriptions.try_emplace(Id(p->subscription_id()), std::move(sub));
      Grow(s);
      return;
    }
    case fb::Payload::SubscriptionBudgetChanged: {
      const auto* p = e.payload_as_SubscriptionBudgetChanged();
      if (auto* sub = Find(s.subscriptions, p->subscription_id())) {
        sub->monthly_budget_micros = p->monthly_budget_micros();
        // A threshold stays crossed only if spending is still past it under
        // the new budget; otherwise it may be recorded again this period.
        auto past = [&](int percent) {
          return static_cast<__int128>(sub->spending_micros) * 100 >=
                 static_cast<__int128>(sub->monthly_budget_micros) * percent;
        };
        if (!past(80)) sub->thresholds_crossed &= ~1;
        if (!past(100)) sub->thresholds_crossed &= ~2;
        sub->updated_at = at.recorded_at;
      }
      return;
    }
    case fb::Payload::SubscriptionBillingPeriodRolled: {
      const auto* p = e.payload_as_SubscriptionBillingPeriodRolled();
      if (auto* sub = Find(s.subscriptions, p->subscription_id())) {
        sub->billing_period_start = p->billing_period_start();
        sub->billing_period_end = p->billing_period_end();
        sub->spending_micros = 0;
        sub->thresholds_crossed = 0;
        sub->updated_at = at.recorded_at;
      }
      return;
    }
    case fb::Payload::SubscriptionCancelled:
      if (auto* sub =
              Find(s.subscriptions, e.payload_as_SubscriptionCancelled()->subscription_id())) {
        sub->cancelled = true;
        sub->updated_at = at.recorded_at;
      }
      return;
    case fb::Payload::BudgetThresholdCrossed: {
      const auto* p = e.payload_as_BudgetThresholdCrossed();
      if (auto* sub = Find(s.subscriptions, p->subscription_id())) {
        if (p->threshold_percent() >= 100)
          sub->thresholds_crossed |= 2;
        else if (p->threshold_percent() >= 80)
          sub->thresholds_crossed |= 1;
      }
      return;
    }
    case fb::Payload::SubjectForgotten:
      s.forgotten_subjects.insert(Id(e.payload_as_SubjectForgotten()->subject_id()));
      return;
    default:
      return;
  }
}

void RecordIdempotencyKey(State& s, const fb::Event& e, const Position& at) {
  const flatbuffers::String* key = e.envelope()->idempotency_key();
  if (key == nullptr || key->size() == 0) return;
  auto [entry, inserted] = s.idempotency.try_emplace(key->str());
  if (inserted) {
    entry->second.key = key->str();
    entry->second.content_hash = ContentHash(e);
    entry->second.first_seq = at.org_seq;
    s.idempotency_by_seq.emplace(at.org_seq, key->str());
    s.approx_bytes += 64 + key->size();
    if (s.idempotency.size() > limits::kIdempotencyKeysMax) {
      auto oldest = s.idempotency_by_seq.begin();
      s.idempotency.erase(oldest->second);
      s.idempotency_by_seq.erase(oldest);
    }
  }
  ++entry->second.event_count;
}

}  // namespace

void Apply(State& s, const fb::Event& e, const Position& at) {
  s.version = at.org_seq;
  s.recorded_at = at.recorded_at;
  // Events the engine derives from a command (causation set, no key of their
  // own) count towards the command's idempotency entry.
  RecordIdempotencyKey(s, e, at);
  if (ApplyPeople(s, e, at) || ApplyWork(s, e, at)) return;
  ApplyOrg(s, e, at);
}

namespace {

// Prints a payload like FlatBuffers' ToStringVisitor but leaves out sealed
// values' nonce and ciphertext: a retry re-seals its personal fields with a
// fresh nonce (or asks the ledger to seal them), so equal commands must hash
// equal whatever their ciphertext. "nonce" and "ciphertext" are field names
// only Sealed has (envelope.fbs).
class ContentVisitor : public flatbuffers::ToStringVisitor {
 public:
  ContentVisitor() : ToStringVisitor(" ", true, "", false) {}
  void Field(size_t field_idx, size_t set_idx, flatbuffers::ElementaryType type, bool is_vector,
             const flatbuffers::TypeTable* type_table, const char* name,
             const uint8_t* val) override {
    Cut();
    if (val && (std::strcmp(name, "nonce") == 0 || std::strcmp(name, "ciphertext") == 0)) {
      cut_from_ = s.size();
    }
    ToStringVisitor::Field(field_idx, set_idx, type, is_vector, type_table, name, val);
  }
  void EndSequence() override {
    Cut();
    ToStringVisitor::EndSequence();
  }

 private:
  void Cut() {
    if (cut_from_ != std::string::npos) s.resize(cut_from_);
    cut_from_ = std::string::npos;
  }
  size_t cut_from_ = std::string::npos;
};

}  // namespace

uint64_t ContentHash(const fb::Event& e) {
  // The payload printed by FlatBuffers' mini-reflection: canonical for equal
  // field values whatever builder produced the bytes.
  auto type = e.payload_type();
  std::string text = std::to_string(static_cast<int>(type));
  // A type from a newer catalogue hashes by its number alone (the type
  // table has no entry to walk).
  if (e.payload() != nullptr && type != fb::Payload::NONE && type <= fb::Payload::MAX) {
    ContentVisitor visitor;
    flatbuffers::IterateObject(static_cast<const uint8_t*>(e.payload()), PayloadTable(type),
                               &visitor);
    text += visitor.s;
  }
  return XXH3_64bits(text.data(), text.size());
}

}  // namespace ledger
