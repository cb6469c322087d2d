// ledger export: an org's events (all, or --from/--to) as JSON lines or CSV,
// streamed: envelope, positions, type, actor and leaf hash; in jsonl also
// the exact stored bytes (base64) and the event as JSON, so that anyone can
// recompute the leaves and the Merkle root.
#include <fstream>
#include <iostream>

#include "commands.h"
#include "event_lines.h"
#include "event_range.h"
#include "ledger/audit/source.h"
#include "progress.h"

namespace ledger::cli {
namespace {

struct ExportFlags {
  audit::SourceFlags source;
  std::string org;
  std::string from;
  std::string to;
  std::string format = "jsonl";
  std::string out;
};

Status WriteEvents(audit::AuditSource& source, const Uuid& org, const EventRange& range,
                   EventLines& lines, std::ostream& out) {
  out << lines.Header();
  if (range.empty()) return Status::Ok();
  Progress progress("exported", range.last - range.first + 1);
  return source.Scan(org, range.first, range.last, [&](const StoredEvent& event) {
    Result<std::string> line = lines.Line(event);
    if (!line.ok()) return line.status();
    out << *line;
    progress.Step();
    return out ? Status::Ok() : Status::IoError("cannot write the export");
  });
}

int RunExport(const ExportFlags& flags) {
  Uuid org;
  if (!ParseOrg(flags.org, &org)) return 1;
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags.source);
  if (!source.ok()) return Fail(source.status());
  Result<EventRange> range = ResolveRange(**source, org, flags.from, flags.to);
  if (!range.ok()) return Fail(range.status());
  Result<std::unique_ptr<EventLines>> lines =
      EventLines::Create(flags.format == "csv" ? LineFormat::kCsv : LineFormat::kJsonl);
  if (!lines.ok()) return Fail(lines.status());
  std::ofstream file;
  if (!flags.out.empty()) {
    file.open(flags.out, std::ios::binary | std::ios::trunc);
    if (!file) return Fail("cannot write " + flags.out);
  }
  std::ostream& out = flags.out.empty() ? std::cout : file;
  Status written = WriteEvents(**source, org, *range, **lines, out);
  if (!written.ok()) return Fail(written);
  out.flush();
  if (!out) return Fail("cannot write " + (flags.out.empty() ? "stdout" : flags.out));
  return 0;
}

}  // namespace

void AddExportCommand(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* command = app.add_subcommand(
      "export", "Export an org's events with positions, leaf hashes and (jsonl) stored bytes");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID")->required();
  command->add_option("--from", flags->from, "first event: ISO-8601 time or org sequence");
  command->add_option("--to", flags->to, "last event: ISO-8601 time or org sequence");
  command->add_option("--format", flags->format, "jsonl (with body_b64 and event) or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  command->add_option("--out", flags->out, "file to write (default: stdout)");
  command->final_callback([flags] { throw CLI::RuntimeError(RunExport(*flags)); });
}

}  // namespace ledger::cli
