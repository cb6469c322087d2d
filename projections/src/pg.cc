#include "pg.h"

namespace ledger::projections {

namespace {

// libpq's messages span lines ("...refused\n\tIs the server running"); our
// errors and log lines are one line each.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Status Guarded(std::string_view what, const std::function<void()>& work) {
  std::string context(what);
  try {
    work();
    return Status::Ok();
  } catch (const pqxx::broken_connection& e) {
    return Status::Unavailable(context + ": no connection to PostgreSQL: " + OneLine(e.what()));
  } catch (const pqxx::in_doubt_error& e) {
    return Status::Unavailable(context + ": commit outcome unknown: " + OneLine(e.what()));
  } catch (const pqxx::sql_error& e) {
    // Class 57 (operator intervention: shutdown, terminated backend) and 08
    // (connection exception) are the server going away, not our bug.
    std::string state = e.sqlstate();
    if (state.starts_with("57") || state.starts_with("08")) {
      return Status::Unavailable(context + ": " + OneLine(e.what()));
    }
    return Status::Internal(context + ": " + OneLine(e.what()) +
                            " (query: " + OneLine(e.query().substr(0, 200)) + ")");
  } catch (const std::exception& e) {
    return Status::Internal(context + ": " + OneLine(e.what()));
  }
}

std::unique_ptr<pqxx::connection> ConnectTo(const std::string& conninfo,
                                            const std::string& schema) {
  auto connection = std::make_unique<pqxx::connection>(conninfo);
  pqxx::nontransaction tx(*connection);
  tx.exec("SET client_min_messages TO warning");
  tx.exec("SET search_path TO " + tx.quote_name(schema));
  return connection;
}

namespace {
std::vector<std::string> Names(const std::vector<std::string_view>& columns) {
  return {columns.begin(), columns.end()};
}
}  // namespace

// tablewriter is deprecated in libpqxx 6 in favour of stream_to, which
// cannot take run-time-width rows; its raw-line COPY is what we need.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
CopyStream::CopyStream(pqxx::transaction_base& tx, const std::string& table,
                       const std::vector<std::string_view>& columns) {
  std::vector<std::string> names = Names(columns);
  writer_ = std::make_unique<pqxx::tablewriter>(tx, table, names.begin(), names.end());
}
#pragma GCC diagnostic pop

CopyStream::~CopyStream() = default;

void CopyStream::Write(const Row& row) {
  line_.clear();
  row.AppendCopyLine(&line_);
  writer_->write_raw_line(line_);
}

void CopyStream::Complete() { writer_->complete(); }

void CopyRows(pqxx::transaction_base& tx, const std::string& table,
              const std::vector<std::string_view>& columns, const std::vector<Row>& rows) {
  if (rows.empty()) return;
  CopyStream stream(tx, table, columns);
  for (const Row& row : rows) stream.Write(row);
  stream.Complete();
}

}  // namespace ledger::projections
