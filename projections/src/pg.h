// The projector's one adapter over libpqxx: connecting, COPY, and turning
// libpqxx's exceptions into Status values at the projections' edge.
#pragma once

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
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
void CopyRows(pqxx::transaction_base& tx, const std::string& table,
              const std::vector<std::string_view>& columns, const std::vector<Row>& rows);

// One COPY kept open while rows arrive (a rebuild's bulk load). Rows go
// as COPY text lines we format ourselves (Row::CopyLine): libpqxx 6's
// stream_to takes only tuples, not rows whose width is known at run time.
class CopyStream {
 public:
  CopyStream(pqxx::transaction_base& tx, const std::string& table,
             const std::vector<std::string_view>& columns);
  ~CopyStream();
  void Write(const Row& row);
  void Complete();

 private:
  std::unique_ptr<pqxx::tablewriter> writer_;
  std::string line_;
};

}  // namespace ledger::projections
