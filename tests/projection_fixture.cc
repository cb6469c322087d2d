#include "projection_fixture.h"

#include <pqxx/pqxx>
#include <random>

#include "ledger/projections/tables.h"
#include "random_commands.h"

namespace ledger::testing {

std::unique_ptr<TestLedger> OpenTestLedger() {
  auto test = std::make_unique<TestLedger>();
  LedgerOptions options;
  options.log = OptionsIn(test->dir);
  options.log.sync = false;
  Result<std::unique_ptr<Ledger>> opened = Ledger::Open(options);
  if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
  test->ledger = std::move(opened).value();
  return test;
}

uint64_t FillWithRandomHistories(Ledger& ledger, uint64_t seed, int orgs, int length) {
  SharedCatalogue shared;
  std::mt19937_64 driver(seed);
  std::vector<RandomCommands> histories;
  std::unordered_map<Uuid, size_t, UuidHash> history_of;
  for (int i = 0; i < orgs; ++i) {
    histories.emplace_back(seed + i, length, &ledger.log().subject_keys(), &shared);
    history_of[histories.back().org()] = i;
  }
  uint64_t before = ledger.log().LastGlobalSeq();
  std::vector<size_t> live(histories.size());
  for (size_t i = 0; i < live.size(); ++i) live[i] = i;
  while (!live.empty()) {
    std::vector<GeneratedCommand> batch;
    for (size_t n = 1 + driver() % 16; n > 0 && !live.empty(); --n) {
      size_t pick = driver() % live.size();
      batch.push_back(histories[live[pick]].Next());
      if (histories[live[pick]].done()) {
        live[pick] = live.back();
        live.pop_back();
      }
    }
    std::vector<Command> commands;
    for (const GeneratedCommand& generated : batch) commands.push_back(generated.command);
    std::vector<CommandResult> results = ledger.Submit(commands);
    for (size_t i = 0; i < batch.size(); ++i) {
      auto it = history_of.find(batch[i].org);
      if (it != history_of.end()) histories[it->second].Observe(batch[i], results[i]);
    }
  }
  return ledger.log().LastGlobalSeq() - before;
}

projections::FeedReader ReaderOf(const EventLog& log, size_t batch) {
  return [&log, batch](uint64_t from, std::vector<StoredEvent>* out) {
    return log.ReadGlobal(from, batch, out);
  };
}

std::map<std::string, std::string> Digests(const std::string& conninfo, const std::string& schema) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  std::map<std::string, std::string> digests;
  for (const projections::TableDef& def : projections::AllTables()) {
    std::string table = tx.quote_name(schema) + "." + std::string(def.name);
    pqxx::row row = tx.exec1(
        "SELECT count(*)::text || '|' || coalesce(md5(string_agg(x::text, "
        "'|' ORDER BY x::text)), '') FROM " +
        table + " x");
    digests[std::string(def.name)] = row[0].as<std::string>();
  }
  return digests;
}

projections::ProjectorOptions OptionsFor(const std::string& conninfo, const std::string& schema) {
  projections::ProjectorOptions options;
  options.conninfo = conninfo;
  options.schema = schema;
  options.retry_initial = std::chrono::milliseconds(20);
  options.give_up_after = std::chrono::milliseconds(1);
  return options;
}

}  // namespace ledger::testing
