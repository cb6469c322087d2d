// ledger diff: what an org gained, lost or changed between two instants,
// entity by entity, with each changed field before and after.
#include <iostream>

#include "audit_flags.h"
#include "change_output.h"
#include "commands.h"

namespace ledger::cli {
namespace {

using Json = nlohmann::ordered_json;

struct DiffFlags {
  audit::SourceFlags source;
  std::string org;
  std::string from;
  std::string to;
  std::string format = "text";
};

// Both instants of one kind compare as given (two times between which
// nothing was recorded resolve to one version); otherwise by version.
bool InOrder(const audit::Instant& from, const audit::Instant& to, uint64_t from_version,
             uint64_t to_version) {
  if (from.is_seq == to.is_seq) {
    return from.is_seq ? from.seq <= to.seq : from.recorded_at <= to.recorded_at;
  }
  return from_version <= to_version;
}

std::string VersionText(const State& state) {
  return "version " + std::to_string(state.version) + " (" +
         (state.version == 0 ? "-" : audit::FormatInstant(state.recorded_at)) + ")";
}

void PrintText(const State& from, const State& to, const std::vector<audit::EntityDiff>& diffs) {
  std::cout << "org " << to.org.ToString() << ": " << VersionText(from) << " → " << VersionText(to)
            << "\n";
  size_t counts[3] = {0, 0, 0};
  for (const audit::EntityDiff& diff : diffs) {
    ++counts[static_cast<size_t>(diff.type)];
    std::cout << audit::ChangeTypeName(diff.type) << "  " << diff.kind->name << " " << diff.id
              << "\n";
    PrintFieldChanges(diff, "    ", std::cout);
  }
  std::cout << counts[0] << " added, " << counts[1] << " removed, " << counts[2] << " changed\n";
}

Json Side(const State& state, const std::string& at) {
  return {
      {"at", at},
      {"version", state.version},
      {"recorded_at", state.version == 0 ? Json() : Json(audit::FormatInstant(state.recorded_at))}};
}

void PrintJson(const DiffFlags& flags, const State& from, const State& to,
               const std::vector<audit::EntityDiff>& diffs) {
  Json changes = Json::array();
  for (const audit::EntityDiff& diff : diffs) changes.push_back(ChangeJson(diff));
  Json document = {{"org", to.org.ToString()},
                   {"from", Side(from, flags.from)},
                   {"to", Side(to, flags.to)},
                   {"changes", std::move(changes)}};
  std::cout << document.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

int RunDiff(const DiffFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  std::optional<audit::Instant> from_at = ParseAt(flags.from);
  if (!from_at) return 1;
  std::optional<audit::Instant> to_at = ParseAt(flags.to);
  if (!to_at) return 1;
  std::unique_ptr<audit::AuditSource> source = OpenSource(flags.source);
  if (!source) return 1;
  std::unique_ptr<audit::StatePrinter> printer = PrinterFor(*source);
  if (!printer) return 1;
  std::optional<uint64_t> from_version = VersionAt(*source, org, *from_at);
  if (!from_version) return 1;
  std::optional<uint64_t> to_version = VersionAt(*source, org, *to_at);
  if (!to_version) return 1;
  if (!InOrder(*from_at, *to_at, *from_version, *to_version)) {
    return Fail("--from " + flags.from + " is after --to " + flags.to);
  }
  std::optional<State> from = StateAt(*source, org, *from_version);
  if (!from) return 1;
  std::optional<State> to = StateAt(*source, org, *to_version);
  if (!to) return 1;
  std::vector<audit::EntityDiff> diffs = audit::DiffStates(*from, *to, *printer);
  if (flags.format == "json") {
    PrintJson(flags, *from, *to, diffs);
  } else {
    PrintText(*from, *to, diffs);
  }
  return 0;
}

}  // namespace

void AddDiffCommand(CLI::App& app) {
  auto flags = std::make_shared<DiffFlags>();
  CLI::App* command = app.add_subcommand(
      "diff",
      "What an org gained, lost or changed between two instants, per entity, with each "
      "changed field before → after");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  command->add_option("--from", flags->from, "ISO-8601 time or org sequence: the earlier state")
      ->required();
  command->add_option("--to", flags->to, "ISO-8601 time or org sequence: the later state")
      ->required();
  command->add_option("--format", flags->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->final_callback([flags] { throw CLI::RuntimeError(RunDiff(*flags)); });
}

}  // namespace ledger::cli
