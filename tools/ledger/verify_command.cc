// ledger verify: re-reads orgs' histories and checks checksums, leaf hashes,
// stored tree nodes and roots. Exit status 1 names the first failure.
//   --connect: the events a ledgerd sends, their leaves recomputed, against
//              its head;
//   --against HEAD.json: that the log still extends a saved head
//              (verify_against.h);
//   --bundle DIR: an evidence bundle, offline (verify_bundle.h).
#include <iostream>

#include "commands.h"
#include "ledger/audit/source.h"
#include "verify_against.h"
#include "verify_bundle.h"

namespace ledger::cli {
namespace {

struct VerifyFlags {
  audit::SourceFlags source;
  std::string org;  // empty: every org
  AgainstFlags against;
  std::string bundle;
};

using OrgCheck = std::function<Status(const Uuid& org, TreeHead* head)>;

// One "ok"/"FAIL" line per org and a summary, as ledger verify always printed.
int VerifyEach(const std::vector<Uuid>& orgs, const OrgCheck& check) {
  int failures = 0;
  for (const Uuid& org : orgs) {
    TreeHead head;
    Status verified = check(org, &head);
    if (verified.ok()) {
      std::cout << "ok    " << org.ToString() << " size " << head.size << " root "
                << ToHex(head.root) << "\n";
    } else {
      ++failures;
      std::cout << "FAIL  " << verified.ToString() << "\n";
    }
  }
  std::cout << orgs.size() - failures << " verified, " << failures << " failed\n";
  return failures == 0 ? 0 : 1;
}

int VerifyLocal(const VerifyFlags& flags, std::vector<Uuid> orgs) {
  std::unique_ptr<EventLog> log = OpenLog({flags.source.db, flags.source.master_key}, false);
  if (!log) return 1;
  if (orgs.empty()) {
    Result<std::vector<Uuid>> all = log->Orgs();
    if (!all.ok()) return Fail(all.status());
    orgs = std::move(all).value();
  }
  return VerifyEach(orgs, [&](const Uuid& org, TreeHead* head) {
    LEDGER_RETURN_IF_ERROR(log->VerifyOrg(org));
    Result<TreeHead> now = log->Head(org);
    if (!now.ok()) return now.status();
    *head = *now;
    return Status::Ok();
  });
}

// Over --connect nothing the server says about hashes is trusted: every
// leaf is recomputed from the events it sends and folded into the root.
Status VerifyRemoteOrg(audit::AuditSource& source, const Uuid& org, TreeHead* head) {
  Result<TreeHead> claimed = source.Head(org);
  if (!claimed.ok()) return claimed.status();
  MerkleFrontier frontier;
  std::vector<CompletedNode> completed;
  LEDGER_RETURN_IF_ERROR(source.Scan(org, 1, claimed->size, [&](const StoredEvent& event) {
    completed.clear();
    frontier.Append(LeafHash(event.body), &completed);
    return Status::Ok();
  }));
  const std::string where = "org " + org.ToString();
  if (frontier.size() != claimed->size) {
    return Status::Tampered(where + ": the server sent " + std::to_string(frontier.size()) +
                            " events but its head covers " + std::to_string(claimed->size));
  }
  if (frontier.Root() != claimed->root) {
    return Status::Tampered(where + ": the events give root " + ToHex(frontier.Root()) +
                            ", the server's head says " + ToHex(claimed->root));
  }
  *head = *claimed;
  return Status::Ok();
}

int VerifyRemote(const VerifyFlags& flags, std::vector<Uuid> orgs) {
  Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags.source);
  if (!source.ok()) return Fail(source.status());
  if (orgs.empty()) {
    Result<std::vector<Uuid>> all = (*source)->Orgs();
    if (!all.ok()) return Fail(all.status());
    orgs = std::move(all).value();
  }
  return VerifyEach(
      orgs, [&](const Uuid& org, TreeHead* head) { return VerifyRemoteOrg(**source, org, head); });
}

int RunVerify(const VerifyFlags& flags) {
  const bool has_log = !flags.source.db.empty() || !flags.source.connect.empty();
  if (!flags.bundle.empty()) {
    if (has_log) return Fail("--bundle needs no log: drop --db and --connect");
    return RunVerifyBundle(flags.bundle, flags.against.public_key);
  }
  if (!has_log) return Fail("give --db PATH or --connect HOST:PORT (or --bundle DIR)");
  if (flags.against.head_file.empty() && !flags.against.public_key.empty()) {
    return Fail("--public-key checks a signed head: use it with --against or --bundle");
  }
  if (!flags.against.head_file.empty()) {
    Result<std::unique_ptr<audit::AuditSource>> source = audit::AuditSource::Open(flags.source);
    if (!source.ok()) return Fail(source.status());
    return RunVerifyAgainst(**source, flags.against);
  }
  std::vector<Uuid> orgs;
  if (!flags.org.empty()) {
    Uuid org;
    if (!ParseOrg(flags.org, &org)) return 1;
    orgs.push_back(org);
  }
  if (!flags.source.connect.empty()) return VerifyRemote(flags, orgs);
  return VerifyLocal(flags, orgs);
}

}  // namespace

void AddVerifyCommand(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* command = app.add_subcommand(
      "verify",
      "Check checksums, leaf hashes, tree nodes and roots of one org or all; that the log "
      "extends a saved head (--against); or an evidence bundle offline (--bundle)");
  audit::AddSourceFlags(command, &flags->source);
  command->add_option("--org", flags->org, "org UUID (default: every org)");
  CLI::Option* against = command->add_option(
      "--against", flags->against.head_file,
      "a tree head saved earlier (ledger head --json, or a bundle's head.json): check that the "
      "log still extends it");
  command
      ->add_option("--events", flags->against.events_file,
                   "with --against: an export (jsonl) saved with the head, to find the first "
                   "seq where the log differs")
      ->needs(against);
  command->add_option("--bundle", flags->bundle, "an evidence bundle directory to check offline")
      ->excludes(against);
  command->add_option("--public-key", flags->against.public_key,
                      "the signer's public key file: the head must be signed by it");
  command->final_callback([flags] { throw CLI::RuntimeError(RunVerify(*flags)); });
}

}  // namespace ledger::cli
