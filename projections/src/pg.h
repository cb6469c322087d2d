// The projector's one adapter over libpqxx: connecting, COPY, and turning
// libpqxx's exceptions into Status values at the projections' edge.
#pragma once

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/projections/row.h"
#include "ledger/status.h"

namespace ledger::projections {

// Runs `work`; a libpqxx exception becomes kUnavailable when the connection
// broke (worth a retry) and kInternal otherwise, prefixed with `what`.
Status Guarded(std::string_view what, const std::function<void()>& work);

// Connects with search_path set to `schema` (the DDL and every statement
// use unqualified names) and notices below WARNING silenced.
std::unique_ptr<pqxx::connection> ConnectTo(const std::string& conninfo, const std::string& schema);

// COPY rows into `table` (listing `columns`).
void CopyRows(pqxx::dbtransaction& tx, const std::string& table,
              const std::vector<std::string_view>& columns, const std::vector<Row>& rows);

// One COPY kept open while rows arrive (a rebuild's bulk load). It asks the
// server for the columns' types and sends rows in COPY's binary format when
// Row can convert every one (Row::AppendCopyTuple), else as text lines.
// libpqxx 6 offers neither (stream_to takes only tuples of fixed width, and
// its raw-line COPY is text only), so the data goes through libpq.
class CopyStream {
 public:
  CopyStream(pqxx::dbtransaction& tx, const std::string& table,
             const std::vector<std::string_view>& columns);
  // An unfinished COPY is ended as failed: the transaction can only roll
  // back (its commit throws).
  ~CopyStream();
  CopyStream(const CopyStream&) = delete;
  CopyStream& operator=(const CopyStream&) = delete;
  void Write(const Row& row);
  // Ends the COPY; throws what PostgreSQL refused (and the transaction's
  // commit will throw too).
  void Complete();
  bool binary() const { return !types_.empty(); }

  // What Write sends for `row`: a binary tuple, or a text line and newline.
  void Encode(const Row& row, std::string* out) const;
  // For a benchmark that times PostgreSQL's side alone: rows Encoded ahead,
  // any number at once.
  void WriteEncoded(std::string_view rows);

 private:
  class Focus;
  void Send(std::string_view data);
  [[noreturn]] void Throw(std::string error, const std::string& sqlstate = "");
  void Abandon() noexcept;

  pqxx::internal::pq::PGconn* connection_;
  std::unique_ptr<Focus> focus_;
  std::string statement_;
  std::vector<PgType> types_;  // empty: text format
  std::string buffer_;
  bool open_ = false;
};

}  // namespace ledger::projections
