#include "audit_flags.h"

#include "ledger/projections/row.h"

namespace ledger::cli {

std::unique_ptr<audit::AuditSource> OpenSource(const audit::SourceFlags& flags) {
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags);
  if (!source.ok()) {
    Fail(source.status().message());
    return nullptr;
  }
  return std::move(source).value();
}

std::optional<audit::Instant> ParseAt(const std::string& text) {
  Result<audit::Instant> at = audit::ParseInstant(text);
  if (!at.ok()) {
    Fail(at.status().message());
    return std::nullopt;
  }
  return std::move(at).value();
}

std::optional<uint64_t> VersionAt(audit::AuditSource& source, const Uuid& org,
                                  const audit::Instant& at) {
  Result<uint64_t> version = audit::ResolveVersion(source, org, at);
  if (!version.ok()) {
    Fail(version.status().message());
    return std::nullopt;
  }
  return *version;
}

std::optional<State> StateAt(audit::AuditSource& source, const Uuid& org, uint64_t version) {
  Result<State> state = source.StateAt(org, version);
  if (!state.ok()) {
    Fail(state.status().message());
    return std::nullopt;
  }
  return std::move(state).value();
}

std::string ActorText(fb::ActorKind kind, const std::string& id) {
  return projections::SnakeCase(fb::EnumNameActorKind(kind)) + ":" + (id.empty() ? "?" : id);
}

std::unique_ptr<audit::StatePrinter> PrinterFor(audit::AuditSource& source) {
  Result<std::unique_ptr<audit::StatePrinter>> printer = audit::StatePrinter::Create();
  if (!printer.ok()) {
    Fail(printer.status().message());
    return nullptr;
  }
  (*printer)->SetOpener(
      [&source](std::span<const SealedValue> values) { return source.OpenSealed(values); });
  return std::move(printer).value();
}

}  // namespace ledger::cli
