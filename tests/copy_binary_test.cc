// CopyStream against a real PostgreSQL: rows sent in COPY's binary format
// arrive exactly as their text forms do through SQL, for every column type
// of the read models; refused rows leave nothing and the connection usable.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <pqxx/pqxx>
#include <vector>

#include "ledger/projections/row.h"
#include "pg.h"  // projections/src: CopyStream
#include "pg_server.h"

namespace ledger::testing {
namespace {

using projections::CopyStream;
using projections::Row;

constexpr char kColumns[] =
    "(b boolean, i4 integer, i8 bigint, n numeric(20, 6), t text, j jsonb, ts timestamptz, "
    "u uuid, ua uuid[])";
const std::vector<std::string_view> kNames = {"b", "i4", "i8", "n", "t", "j", "ts", "u", "ua"};

constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();

Row MakeRow(bool b, int64_t i4, int64_t i8, int64_t money, std::string_view text,
            std::string_view json, int64_t time, std::string_view uuid, std::string_view uuids) {
  Row row;
  row.Bool(b);
  row.Int(i4);
  row.Int(i8);
  row.Money(money);
  row.Text(text);
  row.Json(json);
  row.Time(time);  // 0 is NULL
  row.Uuid(uuid);  // "" is NULL
  uuids.empty() ? row.Null() : row.Text(uuids);
  return row;
}

std::vector<Row> EdgeRows() {
  const char* a = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const char* b = "7C9E6679-7425-40DE-944B-E07FC1F90AE7";
  std::vector<Row> rows;
  rows.push_back(MakeRow(true, 0, 0, 0, "", "{}", 1, a, "{0f8fad5b-d9cb-469f-a165-70867728950e}"));
  rows.push_back(MakeRow(false, -1, -1, -1, "tab\there\nnewline\\backslash", R"({"a":[1,"x\ty"]})",
                         -1, b,
                         "{0f8fad5b-d9cb-469f-a165-70867728950e,"
                         "7c9e6679-7425-40de-944b-e07fc1f90ae7,"
                         "00000000-0000-0000-0000-000000000000}"));
  rows.push_back(MakeRow(true, std::numeric_limits<int32_t>::max(), kMax64, kMax64,
                         "unicode: é 日本 🙂", R"("just a string")", 946'684'800'000'000, a,
                         ""));
  rows.push_back(MakeRow(false, std::numeric_limits<int32_t>::min(), kMin64, kMin64, "x",
                         "[1, 2.5, null, true]", 253'402'300'799'999'999, "", "{}"));
  for (int64_t money : std::initializer_list<int64_t>{1, 99, 100, 9'999, 10'000, 999'999, 1'000'000,
                                                      1'000'001, 123'456'789, 10'000'000'000,
                                                      12'345'678'901'234'567, -4'250'000, -100}) {
    rows.push_back(MakeRow(money % 2 == 0, money % 1000, money, money, "m", "1",
                           1'772'323'200'123'456 + money, b, ""));
  }
  Row nulls;
  for (size_t i = 0; i < kNames.size(); ++i) nulls.Null();
  rows.push_back(std::move(nulls));
  return rows;
}

// The reference: each field's text through SQL, as the upserts send it.
void InsertAsText(pqxx::work& tx, const std::string& table, const Row& row) {
  std::string values;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) values += ", ";
    values += row.is_null(i) ? "NULL" : tx.quote(std::string(row.value(i)));
  }
  tx.exec("INSERT INTO " + table + " VALUES (" + values + ")");
}

int64_t Count(pqxx::work& tx, const std::string& sql) { return tx.exec1(sql)[0].as<int64_t>(); }

class CopyBinaryTest : public ::testing::Test {
 protected:
  CopyBinaryTest() : connection_(FreshDatabase()) {}
  void CreateTable(const std::string& name) {
    pqxx::work tx(connection_);
    tx.exec("CREATE TABLE " + name + " " + kColumns);
    tx.commit();
  }
  pqxx::connection connection_;
};

TEST_F(CopyBinaryTest, EveryColumnTypeArrivesAsItsTextDoes) {
  std::vector<Row> rows = EdgeRows();
  pqxx::work tx(connection_);
  tx.exec(std::string("CREATE TABLE by_text ") + kColumns);
  tx.exec(std::string("CREATE TABLE by_copy ") + kColumns);
  for (const Row& row : rows) InsertAsText(tx, "by_text", row);
  CopyStream stream(tx, "by_copy", kNames);
  ASSERT_TRUE(stream.binary());
  for (const Row& row : rows) stream.Write(row);
  stream.Complete();

  // Compared as each row's text, so that a numeric's scale counts too.
  EXPECT_EQ(Count(tx, "SELECT count(*) FROM by_copy"), static_cast<int64_t>(rows.size()));
  EXPECT_EQ(Count(tx,
                  "SELECT count(*) FROM (SELECT r::text FROM by_text r EXCEPT ALL "
                  "SELECT r::text FROM by_copy r) d"),
            0);
  EXPECT_EQ(Count(tx,
                  "SELECT count(*) FROM (SELECT r::text FROM by_copy r EXCEPT ALL "
                  "SELECT r::text FROM by_text r) d"),
            0);
  // Spot checks against fixed text.
  EXPECT_EQ(tx.exec1("SELECT n::text FROM by_copy WHERE i8 = -4250000")[0].as<std::string>(),
            "-4.250000");
  EXPECT_EQ(Count(tx, "SELECT extract(epoch FROM ts)::int8 FROM by_copy WHERE i8 = " +
                          std::to_string(kMax64)),
            946'684'800);  // PostgreSQL's epoch, 2000-01-01 UTC
  EXPECT_EQ(tx.exec1("SELECT array_length(ua, 1) FROM by_copy WHERE i8 = -1")[0].as<int>(), 3);
}

TEST_F(CopyBinaryTest, ATableWithAnotherTypeGoesAsText) {
  pqxx::work tx(connection_);
  tx.exec("CREATE TABLE small (id uuid, n smallint)");
  Row row;
  row.Uuid("0f8fad5b-d9cb-469f-a165-70867728950e");
  row.Int(7);
  CopyStream stream(tx, "small", {"id", "n"});
  EXPECT_FALSE(stream.binary());
  stream.Write(row);
  stream.Complete();
  EXPECT_EQ(Count(tx, "SELECT sum(n) FROM small"), 7);
}

// More rows than CopyStream buffers (256 KB), so that some reach the server
// before a failure.
void WriteManyGoodRows(CopyStream& stream) {
  std::vector<Row> rows = EdgeRows();
  for (int i = 0; i < 2000; ++i) stream.Write(rows[i % rows.size()]);
}

TEST_F(CopyBinaryTest, AFieldThatCannotBeItsTypeThrowsAndTheTransactionCannotCommit) {
  CreateTable("t");
  Row time_as_text;  // text where a timestamptz needs a Time's micros
  time_as_text.Bool(true);
  time_as_text.Int(1);
  time_as_text.Int(1);
  time_as_text.Money(1);
  time_as_text.Text("x");
  time_as_text.Json("1");
  time_as_text.Text("2026-01-01 00:00:00+00");
  time_as_text.Null();
  time_as_text.Null();
  Row too_wide;  // an Int beyond integer's range
  too_wide.Bool(true);
  too_wide.Int(int64_t{1} << 40);
  for (size_t i = 2; i < kNames.size(); ++i) too_wide.Null();
  for (const Row* wrong : {&time_as_text, &too_wide}) {
    pqxx::work tx(connection_);
    {
      CopyStream stream(tx, "t", kNames);
      WriteManyGoodRows(stream);
      std::string tuple;
      EXPECT_THROW(stream.Encode(*wrong, &tuple), std::logic_error);
      EXPECT_TRUE(tuple.empty());  // no partial tuple
      EXPECT_THROW(stream.Write(*wrong), std::logic_error);
      // A statement while the COPY is open is refused, not run inside it.
      EXPECT_THROW(tx.exec("SELECT 1"), pqxx::usage_error);
    }  // abandoned: ended as failed
    EXPECT_ANY_THROW(tx.commit());
  }
  pqxx::work tx(connection_);
  EXPECT_EQ(Count(tx, "SELECT count(*) FROM t"), 0);
}

TEST_F(CopyBinaryTest, ARowPostgresRefusesFailsCompleteAndTheTransactionCannotCommit) {
  CreateTable("t");
  {
    pqxx::work tx(connection_);
    CopyStream stream(tx, "t", kNames);
    WriteManyGoodRows(stream);
    Row refused;
    refused.Bool(true);
    refused.Int(1);
    refused.Int(1);
    refused.Money(1);
    refused.Text("x");
    refused.RawJson("{not json");  // RawJson trusts its caller; jsonb does not
    for (int i = 0; i < 3; ++i) refused.Null();
    stream.Write(refused);
    try {
      stream.Complete();
      ADD_FAILURE() << "COPY of invalid jsonb completed";
    } catch (const pqxx::sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "22P02") << e.what();  // invalid_text_representation
    }
    EXPECT_ANY_THROW(tx.commit());
  }
  pqxx::work tx(connection_);
  EXPECT_EQ(Count(tx, "SELECT count(*) FROM t"), 0);
}

TEST_F(CopyBinaryTest, RowsEncodedAheadArriveAsWrittenOnes) {
  pqxx::work tx(connection_);
  tx.exec(std::string("CREATE TABLE by_write ") + kColumns);
  tx.exec(std::string("CREATE TABLE ahead ") + kColumns);
  std::vector<Row> rows = EdgeRows();
  {
    CopyStream stream(tx, "by_write", kNames);
    for (int i = 0; i < 3000; ++i) stream.Write(rows[i % rows.size()]);
    stream.Complete();
  }
  CopyStream stream(tx, "ahead", kNames);
  std::string encoded;
  for (int i = 0; i < 3000; ++i) stream.Encode(rows[i % rows.size()], &encoded);
  ASSERT_GT(encoded.size(), size_t{256} << 10);  // sent in several chunks
  stream.WriteEncoded(encoded);
  stream.Complete();
  EXPECT_EQ(Count(tx, "SELECT count(*) FROM ahead"), 3000);
  EXPECT_EQ(Count(tx,
                  "SELECT count(*) FROM (SELECT r::text FROM by_write r EXCEPT ALL "
                  "SELECT r::text FROM ahead r) d"),
            0);
  tx.commit();
}

}  // namespace
}  // namespace ledger::testing
