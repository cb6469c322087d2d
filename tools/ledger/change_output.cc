#include "change_output.h"

namespace ledger::cli {
namespace {

using Json = nlohmann::ordered_json;

Json Parse(const std::string& text) {
  Json value = Json::parse(text, nullptr, false);
  return value.is_discarded() ? Json() : value;
}

bool IsUnset(const std::string& value) {
  return value == "null" || value == "0" || value == "\"\"" || value == "false" || value == "[]";
}

}  // namespace

void PrintFieldChanges(const audit::EntityDiff& diff, const std::string& indent,
                       std::ostream& out) {
  if (diff.type == audit::ChangeType::kRemoved) return;
  for (const audit::FieldChange& field : diff.fields) {
    if (diff.type == audit::ChangeType::kAdded) {
      if (!IsUnset(field.after)) out << indent << field.field << ": " << field.after << "\n";
    } else {
      out << indent << field.field << ": " << field.before << " → " << field.after << "\n";
    }
  }
}

Json ChangeJson(const audit::EntityDiff& diff) {
  Json fields = Json::array();
  for (const audit::FieldChange& field : diff.fields) {
    fields.push_back(
        {{"field", field.field}, {"before", Parse(field.before)}, {"after", Parse(field.after)}});
  }
  Json change = {{"kind", std::string(diff.kind->name)},
                 {"id", diff.id},
                 {"change", audit::ChangeTypeName(diff.type)},
                 {"fields", std::move(fields)}};
  if (diff.type == audit::ChangeType::kAdded) change["after"] = Parse(diff.after);
  if (diff.type == audit::ChangeType::kRemoved) change["before"] = Parse(diff.before);
  return change;
}

}  // namespace ledger::cli
