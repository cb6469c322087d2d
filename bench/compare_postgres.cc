// PostgreSQL 15 as an audit log: an append-only events table with a primary
// key and an (org_id, recorded_at) index, the event bytes in a bytea beside
// envelope columns. Every transaction commits with synchronous_commit on (the
// server default), so an acknowledged batch is durable as ours is.
//   pg-insert    one prepared single-row INSERT per event, `batch` per
//                transaction (batch 1: autocommit), over `clients` connections
//   pg-multirow  one INSERT ... VALUES (...), (...) of `batch` rows
//   pg-copy      one COPY of `batch` rows per transaction
#include <algorithm>
#include <atomic>
#include <mutex>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <thread>

#include "compare.h"

namespace ledger::bench {
namespace {

constexpr char kColumns[] = "event_id, org_id, event_type, body";

struct Row {
  std::string event_id, org_id, event_type, body_hex;  // body as bytea hex input: \x...
};

std::vector<Row> RowsOf(const std::vector<std::string>& events) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::vector<Row> rows;
  rows.reserve(events.size());
  for (const std::string& event : events) {
    EventEnvelope envelope = EnvelopeOf(event);
    std::string hex = "\\x";
    hex.reserve(2 + 2 * event.size());
    for (unsigned char byte : event) {
      hex.push_back(kDigits[byte >> 4]);
      hex.push_back(kDigits[byte & 15]);
    }
    rows.push_back({envelope.event_id, envelope.org_id, envelope.event_type, std::move(hex)});
  }
  return rows;
}

void CreateTable(const std::string& conninfo) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  tx.exec("SET LOCAL client_min_messages TO warning");
  tx.exec("DROP TABLE IF EXISTS compare_events");
  tx.exec(
      "CREATE TABLE compare_events (event_id uuid PRIMARY KEY, org_id uuid NOT NULL, "
      "event_type text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(), "
      "body bytea NOT NULL)");
  tx.exec("CREATE INDEX compare_events_org_time ON compare_events (org_id, recorded_at)");
  tx.commit();
}

uint64_t CountRows(const std::string& conninfo) {
  pqxx::connection connection(conninfo);
  pqxx::nontransaction tx(connection);
  return tx.exec("SELECT count(*) FROM compare_events")[0][0].as<uint64_t>();
}

std::string MultiRowInsert(size_t rows) {
  std::string sql = std::string("INSERT INTO compare_events (") + kColumns + ") VALUES ";
  for (size_t i = 0; i < rows; ++i) {
    size_t p = 4 * i;
    sql += (i ? ",($" : "($") + std::to_string(p + 1) + ",$" + std::to_string(p + 2) + ",$" +
           std::to_string(p + 3) + ",$" + std::to_string(p + 4) + ")";
  }
  return sql;
}

// Writes rows [first, end) as one transaction (or one autocommit INSERT).
void WriteBatch(pqxx::connection& connection, const std::string& system,
                const std::vector<Row>& rows, size_t first, size_t end) {
  if (system == "pg-insert" && end - first == 1) {
    pqxx::nontransaction tx(connection);
    const Row& r = rows[first];
    tx.exec_prepared("insert", r.event_id, r.org_id, r.event_type, r.body_hex);
    return;
  }
  pqxx::work tx(connection);
  if (system == "pg-insert") {
    for (size_t i = first; i < end; ++i) {
      const Row& r = rows[i];
      tx.exec_prepared("insert", r.event_id, r.org_id, r.event_type, r.body_hex);
    }
  } else if (system == "pg-multirow") {
    std::vector<std::string> params;
    params.reserve(4 * (end - first));
    for (size_t i = first; i < end; ++i) {
      params.insert(params.end(),
                    {rows[i].event_id, rows[i].org_id, rows[i].event_type, rows[i].body_hex});
    }
    tx.exec_prepared("multirow", pqxx::prepare::make_dynamic_params(params));
  } else {
    // tablewriter is deprecated in libpqxx 6 in favour of stream_to, which
    // takes tuples only; its raw-line COPY is what we need (as projections/).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    std::vector<std::string> names = {"event_id", "org_id", "event_type", "body"};
    pqxx::tablewriter writer(tx, "compare_events", names.begin(), names.end());
    std::string line;
    for (size_t i = first; i < end; ++i) {
      const Row& r = rows[i];
      // COPY text: the bytea's leading backslash is escaped as \\.
      line = r.event_id + '\t' + r.org_id + '\t' + r.event_type + "\t\\" + r.body_hex;
      writer.write_raw_line(line);
    }
    writer.complete();
#pragma GCC diagnostic pop
  }
  tx.commit();
}

}  // namespace

Result<IngestResult> RunPostgres(const IngestOptions& options,
                                 const std::vector<std::string>& events) {
  std::vector<Row> rows = RowsOf(events);
  IngestResult result;
  for (const std::string& event : events) result.bytes += event.size();
  std::atomic<size_t> next_batch{0};
  std::mutex mutex;
  std::string error;
  auto client = [&] {
    std::vector<double> latencies;
    try {
      pqxx::connection connection(options.pg);
      connection.prepare("insert", std::string("INSERT INTO compare_events (") + kColumns +
                                       ") VALUES ($1, $2, $3, $4)");
      connection.prepare("multirow", MultiRowInsert(options.batch));
      for (;;) {
        size_t first = next_batch.fetch_add(1) * options.batch;
        if (first >= rows.size()) break;
        Clock::time_point sent = Clock::now();
        WriteBatch(connection, options.system, rows, first,
                   std::min(rows.size(), first + options.batch));
        latencies.push_back(MillisSince(sent));
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      if (error.empty()) error = e.what();
    }
    std::lock_guard lock(mutex);
    result.latencies_ms.insert(result.latencies_ms.end(), latencies.begin(), latencies.end());
  };
  try {
    CreateTable(options.pg);
  } catch (const std::exception& e) {
    return Status::IoError(std::string("PostgreSQL: ") + e.what());
  }
  Clock::time_point start = Clock::now();
  std::vector<std::thread> clients;
  for (int i = 0; i < options.clients; ++i) clients.emplace_back(client);
  for (std::thread& thread : clients) thread.join();
  result.seconds = MillisSince(start) / 1000;
  if (!error.empty()) return Status::IoError("PostgreSQL: " + error);
  try {
    result.events = CountRows(options.pg);  // what the table holds, not what we sent
  } catch (const std::exception& e) {
    return Status::IoError(std::string("PostgreSQL: ") + e.what());
  }
  if (result.events != events.size()) {
    return Status::Internal("PostgreSQL holds " + std::to_string(result.events) + " rows, sent " +
                            std::to_string(events.size()));
  }
  return result;
}

}  // namespace ledger::bench
