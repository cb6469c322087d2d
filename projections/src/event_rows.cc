#include "ledger/projections/event_rows.h"

#include <flatbuffers/minireflect.h>

#include <cstring>
#include <set>

#include "ledger/payload_table.h"
#include "ledger/projections/payload_json.h"

namespace ledger::projections {
namespace {

bool Known(const fb::Event& event) {
  fb::Payload type = event.payload_type();
  return type != fb::Payload::NONE && type <= fb::Payload::MAX && event.payload() != nullptr;
}

// Collects the values of string fields whose names end in "_id".
class IdVisitor : public flatbuffers::IterationVisitor {
 public:
  explicit IdVisitor(std::vector<std::string_view>* ids) : ids_(ids) {}
  void Field(size_t, size_t, flatbuffers::ElementaryType, bool, const flatbuffers::TypeTable*,
             const char* name, const uint8_t*) override {
    size_t length = std::strlen(name);
    is_id_ = length >= 3 && std::strcmp(name + length - 3, "_id") == 0;
  }
  void String(const flatbuffers::String* value) override {
    if (is_id_ && value != nullptr && value->size() > 0) ids_->push_back(value->string_view());
    is_id_ = false;
  }

 private:
  std::vector<std::string_view>* ids_;
  bool is_id_ = false;
};

std::string_view Field(const flatbuffers::String* s) { return s ? s->string_view() : ""; }

}  // namespace

std::string EventTypeName(fb::Payload type) { return SnakeCase(fb::EnumNamePayload(type)); }

std::string_view EventCategory(fb::Payload type) {
  std::string_view name = fb::EnumNamePayload(type);
  // First match wins: the longer prefixes come before the shorter ones.
  static const std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {"Organization", "organization"},
      {"Subscription", "billing"},
      {"BudgetThreshold", "billing"},
      {"Usage", "billing"},
      {"Plan", "billing"},
      {"EmployeeAgent", "agents"},
      {"EmployeeMcp", "mcp"},
      {"Mcp", "mcp"},
      {"Team", "people"},
      {"Role", "people"},
      {"Employee", "people"},
      {"Invitation", "people"},
      {"AgentRequest", "approvals"},
      {"Approval", "approvals"},
      {"Mission", "missions"},
      {"Task", "missions"},
      {"Artifact", "missions"},
      {"Session", "access"},
      {"ApiKey", "access"},
      {"Activity", "activity"},
      {"SubjectForgotten", "privacy"},
      {"Webhook", "integrations"},
      {"Integration", "integrations"},
      {"Workflow", "workflows"},
  };
  for (const auto& [prefix, category] : kPrefixes) {
    if (name.starts_with(prefix)) return category;
  }
  return "agents";  // templates, tools, policies, prompts, blueprints, agent teams
}

void NamedIds(const fb::Event& event, std::vector<std::string_view>* ids) {
  if (!Known(event)) return;
  IdVisitor visitor(ids);
  flatbuffers::IterateObject(static_cast<const uint8_t*>(event.payload()),
                             PayloadTable(event.payload_type()), &visitor);
}

std::optional<Row> UsageRow(const StoredEvent& stored) {
  const fb::Event& event = *stored.event();
  const fb::UsageRecorded* u = event.payload_as_UsageRecorded();
  if (u == nullptr) return std::nullopt;
  std::string_view id = Field(u->usage_id());
  if (!Uuid::Parse(id)) id = Field(event.envelope()->event_id());
  if (!Uuid::Parse(id)) return std::nullopt;  // no key to hold it by
  Row row;
  row.Text(id);
  row.Text(stored.position.org.ToString());
  row.Uuid(Field(u->employee_id()));
  row.Uuid(Field(u->agent_id()));
  row.Uuid(Field(u->mission_id()));
  row.Uuid(Field(u->task_id()));
  row.Text(SnakeCase(fb::EnumNameResourceType(u->resource_type())));
  row.Int(u->quantity());
  row.Money(u->cost_micros());
  row.TextOrNull(Field(u->model()));
  row.Text(SnakeCase(fb::EnumNameTokenSource(u->token_source())));
  row.Time(u->period_start());
  row.Time(u->period_end());
  row.Json(Field(u->metadata()));
  row.Time(stored.position.recorded_at);
  return row;
}

namespace {

// The payload's own employee_id, mission_id and task_id fields.
void Subjects(const fb::Event& event, std::string_view* employee, std::string_view* mission,
              std::string_view* task) {
  if (!Known(event)) return;
  const flatbuffers::TypeTable* table = PayloadTable(event.payload_type());
  const auto* payload = static_cast<const flatbuffers::Table*>(event.payload());
  for (size_t i = 0; i < table->num_elems; ++i) {
    if (table->type_codes[i].base_type != flatbuffers::ET_STRING) continue;
    std::string_view name = table->names[i];
    std::string_view* out = name == "employee_id"  ? employee
                            : name == "mission_id" ? mission
                            : name == "task_id"    ? task
                                                   : nullptr;
    if (out == nullptr) continue;
    auto offset = static_cast<flatbuffers::voffset_t>(4 + 2 * i);
    *out = Field(payload->GetPointer<const flatbuffers::String*>(offset));
  }
}

std::string ActorJson(const fb::Actor* actor) {
  if (actor == nullptr) return "null";
  std::string json = "{\"kind\":";
  AppendJsonString(SnakeCase(fb::EnumNameActorKind(actor->kind())), &json);
  json += ",\"id\":";
  AppendJsonString(Field(actor->id()), &json);
  json += '}';
  return json;
}

}  // namespace

Row EventRow(const StoredEvent& stored, SealedOpener& opener) {
  const fb::Event& event = *stored.event();
  const fb::Envelope& envelope = *event.envelope();
  const Position& p = stored.position;
  Row row;
  row.Uuid(Field(envelope.event_id()));
  row.Text(p.org.ToString());
  row.Int(static_cast<int64_t>(p.org_seq));
  row.Int(static_cast<int64_t>(p.global_seq));
  std::string_view employee, mission, task;
  Subjects(event, &employee, &mission, &task);
  row.Uuid(employee);
  row.Uuid(mission);
  row.Uuid(task);
  bool known = Known(event);
  row.Text(known ? EventTypeName(event.payload_type()) : "unknown");
  row.Text(known ? EventCategory(event.payload_type()) : "unknown");
  row.RawJson(ActorJson(envelope.actor()));
  row.TextOrNull(Field(envelope.correlation_id()));
  row.TextOrNull(Field(envelope.causation_id()));
  row.Time(envelope.occurred_at());
  row.Time(p.recorded_at);
  std::set<std::string> subjects;
  if (known) {
    std::string payload;
    AppendPayloadJson(event, opener, &subjects, &payload);
    row.RawJson(payload);
  } else {
    row.Null();
  }
  if (subjects.empty()) {
    row.Null();
  } else {
    std::string array = "{";
    for (const std::string& subject : subjects) array += (array.size() > 1 ? "," : "") + subject;
    row.Text(array + "}");
  }
  row.Time(p.recorded_at);
  return row;
}

}  // namespace ledger::projections
