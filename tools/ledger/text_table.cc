#include "text_table.h"

#include <algorithm>

namespace ledger::cli {
namespace {

// Columns count characters, not bytes (UTF-8 continuation bytes take no
// column), so names with accents stay aligned.
size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

void PrintRow(std::ostream& out, const std::vector<std::string>& row,
              const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    line += row[i];
    if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
  }
  out << "  " << line << "\n";
}

}  // namespace

void TextTable::Print(std::ostream& out) const {
  if (rows_.empty()) return;
  std::vector<size_t> widths(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) widths[i] = Width(header_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  out << title_ << " (" << rows_.size() << ")\n";
  PrintRow(out, header_, widths);
  for (const auto& row : rows_) PrintRow(out, row, widths);
  out << "\n";
}

}  // namespace ledger::cli
