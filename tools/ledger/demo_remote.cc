// ledger demo --connect: generates a multi-org history (personal fields as
// seal requests: ledgerd holds the keys), appends it over TCP in pipelined
// batches, shows two refusals, and prints each org's tree head as the server
// reports it.
#include "demo_remote.h"

#include <chrono>
#include <future>
#include <iostream>

#include "common.h"
#include "ledger/client/client.h"
#include "ledger/event_builder.h"
#include "ledger/merkle.h"

namespace ledger::cli {
namespace {

// Batches in flight at once: enough to keep ledgerd's group commit busy.
constexpr size_t kPipelineDepth = 8;

Result<size_t> AppendAll(client::Client& client, const std::vector<std::string>& events,
                         size_t batch) {
  std::vector<std::future<Result<std::vector<CommandResult>>>> pending;
  size_t rejected = 0;
  auto collect = [&](std::future<Result<std::vector<CommandResult>>>& reply) -> Status {
    Result<std::vector<CommandResult>> results = reply.get();
    if (!results.ok()) return results.status();
    for (const CommandResult& result : *results) {
      if (result.status.code() == Code::kRejected) {
        ++rejected;
        std::cout << "rejected: " << result.status.message() << "\n";
      } else if (!result.status.ok()) {
        return result.status;
      }
    }
    return Status::Ok();
  };
  for (size_t start = 0; start < events.size(); start += batch) {
    std::vector<Command> commands;
    for (size_t i = start; i < std::min(events.size(), start + batch); ++i) {
      commands.push_back({events[i], std::nullopt});
    }
    pending.push_back(client.AppendAsync(std::move(commands)));
    if (pending.size() == kPipelineDepth) {
      LEDGER_RETURN_IF_ERROR(collect(pending.front()));
      pending.erase(pending.begin());
    }
  }
  for (auto& reply : pending) LEDGER_RETURN_IF_ERROR(collect(reply));
  return rejected;
}

// Two commands that break rules, refused by the server with their rule.
Status ShowRefusals(client::Client& client, const Uuid& org) {
  EventBuilder builder;
  EnvelopeFields envelope;
  envelope.org = org;
  envelope.actor = {fb::ActorKind::Service, "demo"};
  std::string again = builder.Finish(
      envelope,
      fb::CreateOrganizationCreatedDirect(builder.builder(), "Again", "again", "team", "{}", 0, 0));
  std::string unknown_employee = builder.Finish(
      envelope, fb::CreateUsageRecordedDirect(builder.builder(), Uuid::Random().ToString().c_str(),
                                              Uuid::Random().ToString().c_str(), nullptr, nullptr,
                                              nullptr, nullptr, fb::ResourceType::ToolCalls, 1, 5));
  Result<std::vector<CommandResult>> results =
      client.Append(std::vector<Command>{{again, {}}, {unknown_employee, {}}});
  if (!results.ok()) return results.status();
  for (const CommandResult& result : *results) {
    std::cout << "  refused: " << result.status.message() << "\n";
  }
  return Status::Ok();
}

}  // namespace

int RunRemoteDemo(const RemoteDemoFlags& flags) {
  client::ClientOptions options;
  if (Status parsed = client::ParseAddress(flags.connect, &options); !parsed.ok()) {
    return Fail(parsed);
  }
  options.token = flags.token;
  options.client_name = "ledger-demo";
  Result<std::unique_ptr<client::Client>> client = client::Client::Connect(options);
  if (!client.ok()) return Fail(client.status());
  SealRequestKeys seal_requests;  // personal fields are sealed by ledgerd
  Result<tools::GeneratedHistory> history = GenerateHistory(flags.history, seal_requests);
  if (!history.ok()) return Fail(history.status());
  auto start = std::chrono::steady_clock::now();
  Result<size_t> rejected = AppendAll(**client, history->events, flags.batch);
  if (!rejected.ok()) return Fail(rejected.status());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t commands = history->events.size();
  std::cout << "appended " << commands << " commands for " << history->orgs.size() << " orgs over "
            << flags.connect << " in " << seconds * 1000 << " ms (batches of " << flags.batch
            << ", " << kPipelineDepth << " in flight, each acknowledged after "
            << "its fsync): " << commands - *rejected << " accepted, " << *rejected
            << " rejected\n";
  for (const Uuid& org : history->orgs) {
    Result<TreeHead> head = (*client)->TreeHead(org);
    if (!head.ok()) return Fail(head.status());
    std::cout << "org " << org.ToString() << "  size " << head->size << "  root "
              << ToHex(head->root) << "  (from ledgerd)\n";
  }
  std::cout << "\ncommands that break rules, over the socket:\n";
  Status refused = ShowRefusals(**client, history->orgs.front());
  return refused.ok() ? 0 : Fail(refused);
}

}  // namespace ledger::cli
