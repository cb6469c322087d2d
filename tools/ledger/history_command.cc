// ledger history: every change to one entity, oldest first, with who made
// it, when it was recorded, the event, and each field before and after.
#include <iostream>

#include "audit_flags.h"
#include "change_output.h"
#include "commands.h"

namespace ledger::cli {
namespace {

using Json = nlohmann::ordered_json;

struct HistoryFlags {
  audit::SourceFlags source;
  std::string org;
  std::string entity;
  std::string format = "text";
};

void PrintText(const audit::EntityRef& entity, const std::vector<audit::HistoryEntry>& entries) {
  std::cout << entity.kind->name << " " << entity.id << ": " << entries.size()
            << (entries.size() == 1 ? " change\n" : " changes\n");
  for (const audit::HistoryEntry& entry : entries) {
    std::cout << "seq " << entry.position.org_seq << "  "
              << audit::FormatInstant(entry.position.recorded_at) << "  "
              << ActorText(entry.actor_kind, entry.actor_id) << "  " << entry.event_type << "  ("
              << audit::ChangeTypeName(entry.change.type) << ")\n";
    PrintFieldChanges(entry.change, "    ", std::cout);
  }
}

void PrintJson(const Uuid& org, const audit::EntityRef& entity,
               const std::vector<audit::HistoryEntry>& entries) {
  Json changes = Json::array();
  for (const audit::HistoryEntry& entry : entries) {
    Json change = ChangeJson(entry.change);
    changes.push_back({{"org_seq", entry.position.org_seq},
                       {"recorded_at", audit::FormatInstant(entry.position.recorded_at)},
                       {"actor", ActorText(entry.actor_kind, entry.actor_id)},
                       {"event_type", entry.event_type},
                       {"change", change["change"]},
                       {"fields", change["fields"]}});
  }
  Json document = {{"org", org.ToString()},
                   {"entity", {{"kind", std::string(entity.kind->name)}, {"id", entity.id}}},
                   {"changes", std::move(changes)}};
  std::cout << document.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

int RunHistory(const HistoryFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  Result<audit::EntityRef> entity = audit::ParseEntityRef(flags.entity);
  if (!entity.ok()) return Fail(entity.status().message());
  std::unique_ptr<audit::AuditSource> source = OpenSource(flags.source);
  if (!source) return 1;
  std::unique_ptr<audit::StatePrinter> printer = PrinterFor(*source);
  if (!printer) return 1;
  Result<std::vector<audit::HistoryEntry>> entries =
      audit::EntityHistory(*source, org, *entity, *printer);
  if (!entries.ok()) return Fail(entries.status().message());
  if (flags.format == "json") {
    PrintJson(org, *entity, *entries);
  } else {
    PrintText(*entity, *entries);
  }
  return 0;
}

}  // namespace

void AddHistoryCommand(CLI::App& app) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* command = app.add_subcommand(
      "history",
      "Every change to one entity: org sequence, recorded time, actor, event and the fields "
      "it changed (before → after)");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  command
      ->add_option("--entity", flags->entity,
                   "KIND:ID, KIND one of " + audit::EntityKindNames() +
                       " (template_tool and template_policy ids are TEMPLATE/OTHER; an "
                       "organization's id is the org's)")
      ->required();
  command->add_option("--format", flags->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->final_callback([flags] { throw CLI::RuntimeError(RunHistory(*flags)); });
}

}  // namespace ledger::cli
