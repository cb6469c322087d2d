// A plain-text table: a title, a header row and rows, printed with columns
// padded to their widest cell.
#pragma once

#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ledger::cli {

class TextTable {
 public:
  TextTable(std::string title, std::vector<std::string> header)
      : title_(std::move(title)), header_(std::move(header)) {}
  // Cells as views, so state fields (ledger::Text) and temporaries mix.
  void Add(std::initializer_list<std::string_view> cells) {
    rows_.emplace_back(cells.begin(), cells.end());
  }
  bool empty() const { return rows_.empty(); }
  // Nothing when the table has no rows.
  void Print(std::ostream& out) const;

 private:
  std::string title_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ledger::cli
