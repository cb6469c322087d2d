#include "pg.h"

#include <libpq-fe.h>

#include <pqxx/largeobject>

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

// Sent to the server this many bytes at a time.
constexpr size_t kCopyChunkBytes = 256 << 10;

// libpqxx 6 keeps a transaction's PGconn private but lets largeobject's
// subclasses have it.
struct RawConnection : pqxx::largeobject {
  static pqxx::internal::pq::PGconn* Of(const pqxx::dbtransaction& tx) {
    return raw_connection(tx);
  }
};

// The column types in `columns`' order, or empty when Row cannot send one
// of them in binary.
std::vector<PgType> BinaryTypes(pqxx::dbtransaction& tx, const std::string& table,
                                const std::vector<std::string_view>& columns) {
  pqxx::result result = tx.exec(
      "SELECT attname, atttypid::int8 FROM pg_attribute WHERE attrelid = " + tx.quote(table) +
      "::regclass AND attnum > 0 AND NOT attisdropped");
  std::vector<PgType> types;
  for (std::string_view column : columns) {
    std::optional<PgType> type;
    for (const pqxx::row& row : result) {
      if (row[0].as<std::string>() == column) type = PgTypeOf(row[1].as<uint32_t>());
    }
    if (!type) return {};
    types.push_back(*type);
  }
  return types;
}

}  // namespace

// Holds libpqxx's focus on the transaction while the COPY is open, as its
// own tablewriter does: libpqxx then refuses the transaction's other
// statements and its commit meanwhile, and after a failed or abandoned COPY
// its commit throws. (Without that, the server would answer COMMIT with
// ROLLBACK and libpqxx 6 would report success.)
class CopyStream::Focus : public pqxx::internal::transactionfocus {
 public:
  explicit Focus(pqxx::transaction_base& tx) : namedclass("CopyStream"), transactionfocus(tx) {}
  void Register() { register_me(); }
  void Unregister() noexcept { unregister_me(); }
  void Failed(const std::string& why) noexcept { reg_pending_error(why); }
};

CopyStream::CopyStream(pqxx::dbtransaction& tx, const std::string& table,
                       const std::vector<std::string_view>& columns)
    : connection_(RawConnection::Of(tx)),
      focus_(std::make_unique<Focus>(tx)),
      types_(BinaryTypes(tx, table, columns)) {
  std::string names;
  for (std::string_view column : columns) {
    if (!names.empty()) names += ", ";
    names += tx.quote_name(std::string(column));
  }
  statement_ = "COPY " + table + " (" + names + ") FROM STDIN";
  if (binary()) statement_ += " (FORMAT binary)";
  tx.exec(statement_);
  try {
    focus_->Register();
  } catch (...) {
    Abandon();
    throw;
  }
  open_ = true;
  buffer_.reserve(kCopyChunkBytes + (64 << 10));
  if (binary()) AppendCopyBinaryHeader(&buffer_);
}

CopyStream::~CopyStream() {
  if (open_) Abandon();
}

void CopyStream::Abandon() noexcept {
  // Ended as failed, the COPY leaves the server's transaction aborted.
  if (PQputCopyEnd(connection_, "abandoned") == 1) {
    while (PGresult* result = PQgetResult(connection_)) {
      bool copying = PQresultStatus(result) == PGRES_COPY_IN;
      PQclear(result);
      if (copying) break;
    }
  }
  open_ = false;
  focus_->Unregister();
  focus_->Failed(statement_ + ": abandoned");
}

// Marks the transaction failed (its commit throws) and throws `error`, or
// libpq's last message, as libpqxx would.
void CopyStream::Throw(std::string error, const std::string& sqlstate) {
  if (error.empty()) error = PQerrorMessage(connection_);
  focus_->Failed(statement_ + ": " + error);
  if (PQstatus(connection_) == CONNECTION_BAD) throw pqxx::broken_connection(error);
  throw pqxx::sql_error(error, statement_, sqlstate.empty() ? nullptr : sqlstate.c_str());
}

void CopyStream::Send(std::string_view data) {
  for (size_t at = 0; at < data.size(); at += kCopyChunkBytes) {
    std::string_view chunk = data.substr(at, kCopyChunkBytes);
    if (PQputCopyData(connection_, chunk.data(), static_cast<int>(chunk.size())) != 1) Throw("");
  }
}

void CopyStream::Encode(const Row& row, std::string* out) const {
  if (binary()) {
    row.AppendCopyTuple(types_, out);
  } else {
    row.AppendCopyLine(out);
    out->push_back('\n');
  }
}

void CopyStream::Write(const Row& row) {
  Encode(row, &buffer_);
  if (buffer_.size() < kCopyChunkBytes) return;
  Send(buffer_);
  buffer_.clear();
}

void CopyStream::WriteEncoded(std::string_view rows) {
  Send(buffer_);
  buffer_.clear();
  Send(rows);
}

void CopyStream::Complete() {
  if (binary()) AppendCopyBinaryTrailer(&buffer_);
  Send(buffer_);  // if it throws, the stream stays open and its destructor abandons it
  buffer_.clear();
  open_ = false;
  focus_->Unregister();
  bool failed = PQputCopyEnd(connection_, nullptr) != 1;
  std::string error, sqlstate;
  if (!failed) {
    // Every result is read; the first failure is the one reported.
    while (PGresult* result = PQgetResult(connection_)) {
      ExecStatusType status = PQresultStatus(result);
      if (status != PGRES_COMMAND_OK && !failed) {
        failed = true;
        error = PQresultErrorMessage(result);
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        sqlstate = state != nullptr ? state : "";
      }
      PQclear(result);
      if (status == PGRES_COPY_IN) break;  // libpq still copying: no more results come
    }
  }
  if (failed) Throw(error, sqlstate);
}

void CopyRows(pqxx::dbtransaction& tx, const std::string& table,
              const std::vector<std::string_view>& columns, const std::vector<Row>& rows) {
  if (rows.empty()) return;
  CopyStream stream(tx, table, columns);
  for (const Row& row : rows) stream.Write(row);
  stream.Complete();
}

}  // namespace ledger::projections
