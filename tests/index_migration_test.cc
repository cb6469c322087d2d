// How a rebuild splits the index migration across connections
// (IndexStatementsByTable): every statement of the shipped migration, and
// nothing it could cut wrongly.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "ledger/projections/read_model.h"

namespace ledger::testing {
namespace {

using projections::IndexStatements;
using projections::IndexStatementsByTable;

TEST(IndexMigrationSplit, TheShippedMigrationSplitsIntoEveryCreateIndex) {
  std::string_view sql;
  for (const projections::Migration& m : projections::Migrations()) {
    if (m.name == "indexes") sql = m.sql;
  }
  ASSERT_FALSE(sql.empty());
  std::optional<IndexStatements> split = IndexStatementsByTable(sql);
  ASSERT_TRUE(split.has_value()) << "the index migration would run whole, on one connection";
  size_t in_text = 0;
  for (size_t at = sql.find("CREATE INDEX"); at != std::string_view::npos;
       at = sql.find("CREATE INDEX", at + 1)) {
    ++in_text;
  }
  size_t split_out = 0;
  for (const auto& [table, statements] : *split) {
    for (const std::string& statement : statements) {
      size_t on = statement.find(" ON " + table);
      ASSERT_NE(on, std::string::npos) << statement;
      char next = statement[on + 4 + table.size()];
      EXPECT_TRUE(next == '(' || next == ' ') << statement;  // "t(x)", "t USING gin (x)"
      ++split_out;
    }
  }
  EXPECT_EQ(split_out, in_text);
  EXPECT_EQ(split->count("events"), 1u);  // the tables a rebuild indexes aside
  EXPECT_EQ(split->count("usage_records"), 1u);
}

TEST(IndexMigrationSplit, StatementsKeepTheirWholeTextWithoutComments) {
  std::optional<IndexStatements> split = IndexStatementsByTable(
      "-- the seed's indexes\n"
      "CREATE INDEX a ON t(x);\n"
      "\n"
      "  -- and a unique one over two lines\n"
      "CREATE UNIQUE INDEX b\n"
      "  ON u (y, z);\n");
  ASSERT_TRUE(split.has_value());
  IndexStatements expected = {{"t", {"CREATE INDEX a ON t(x)"}},
                              {"u", {"CREATE UNIQUE INDEX b ON u (y, z)"}}};
  EXPECT_EQ(*split, expected);
}

TEST(IndexMigrationSplit, TextACutAtSemicolonsCouldBreakRunsWhole) {
  const char* must_run_whole[] = {
      "CREATE INDEX a ON t(x) WHERE note = 'a;b';",  // a string literal
      "CREATE INDEX a ON \"t;x\"(y);",               // a quoted identifier
      "CREATE INDEX a ON t((x || $$;$$));",          // dollar quoting
      "CREATE INDEX a ON t(x) /* c; d */;",          // a block comment
      "CREATE INDEX a ON t(x) -- why; not\n;",       // a comment inside
      "-- a comment; with a semicolon\nCREATE INDEX a ON t(x);",
      "CREATE INDEX a ON t(x);\nCREATE VIEW v AS SELECT 1;",  // not an index
      "CREATE INDEX a;",                                      // no table
  };
  for (const char* sql : must_run_whole) {
    EXPECT_FALSE(IndexStatementsByTable(sql).has_value()) << sql;
  }
}

}  // namespace
}  // namespace ledger::testing
