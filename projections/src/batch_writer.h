// One batch of read-model changes, written in one transaction with the
// projector's checkpoint (exactly once).
#pragma once

#include <array>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ledger/projections/tables.h"
#include "pg.h"

namespace ledger::projections {

class BatchWriter : public RowSink {
 public:
  void Put(Table table, Row row) override;
  void Delete(Table table, const Uuid& org, const std::string& id) override;
  void ClearChildren(Table table, const Uuid& org, const std::string& parent_id) override;
  void Forget(std::string subject) { forgotten_.push_back(std::move(subject)); }
  void Clear();

  // Writes everything and sets the checkpoint to `checkpoint`, in `tx`.
  // `staged` names the stage tables already created on tx's connection.
  void Write(pqxx::dbtransaction& tx, uint64_t checkpoint, std::set<std::string>* staged) const;

 private:
  struct Changes {
    std::vector<Row> puts;
    std::vector<std::pair<std::string, std::string>> deletes;  // (org, id)
    std::vector<std::pair<std::string, std::string>> clears;   // (org, parent id)
  };
  std::array<Changes, kTableCount> tables_;
  std::vector<std::string> forgotten_;
};

}  // namespace ledger::projections
