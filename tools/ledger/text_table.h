// A plain-text table: a title, a header row and rows, printed with columns
// padded to their widest cell.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ledger::cli {

class TextTable {
 public:
  TextTable(std::string title, std::vector<std::string> header)
      : title_(std::move(title)), header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Nothing when the table has no rows.
  void Print(std::ostream& out) const;

 private:
  std::string title_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ledger::cli
