// Damage stored bytes directly in RocksDB and check exactly what the log
// reports: corruption (checksum) or tampering (Merkle), with org and seq.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "checksum.h"
#include "keys.h"
#include "rocks_event_log.h"
#include "test_util.h"

namespace ledger {
namespace {

using testing::OpenOrDie;
using testing::OptionsIn;
using testing::TeamEvent;
using testing::TempDir;

// The log's database opened raw, to damage it the way a disk or an attacker would.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> columns;
    for (const char* name : {"default", "events", "global", "tree", "orgs", "subject_keys",
                             "directory", "snapshots"}) {
      columns.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status opened = rocksdb::DB::Open(LogRocksOptions(), path, columns, &handles_, &db);
    if (!opened.ok()) throw std::runtime_error(opened.ToString());
    db_.reset(db);
  }
  ~RawDatabase() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::ColumnFamilyHandle* events() { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* tree() { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* snapshots() { return handles_[7]; }

  std::string Get(rocksdb::ColumnFamilyHandle* column, const std::string& key) {
    std::string value;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), column, key, &value).ok());
    return value;
  }
  void Put(rocksdb::ColumnFamilyHandle* column, const std::string& key, const std::string& value) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), column, key, value).ok());
  }
  void Delete(rocksdb::ColumnFamilyHandle* column, const std::string& key) {
    ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), column, key).ok());
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = OpenOrDie(OptionsIn(dir_));
    std::vector<std::string> events;
    for (int i = 0; i < 40; ++i) events.push_back(TeamEvent(org_, "team " + std::to_string(i)));
    std::vector<std::string_view> views(events.begin(), events.end());
    ASSERT_TRUE(log->Append(views).ok());
  }

  Status VerifyAfter(const std::function<void(RawDatabase&)>& damage) {
    {
      RawDatabase raw(OptionsIn(dir_).path);
      damage(raw);
    }
    return OpenOrDie(OptionsIn(dir_))->VerifyOrg(org_);
  }

  static bool Names(const Status& status, const std::string& text) {
    return status.message().find(text) != std::string::npos;
  }

  TempDir dir_;
  Uuid org_ = Uuid::Random();
};

TEST_F(CorruptionTest, FlippedByteIsReportedWithOrgAndSeq) {
  Status status = VerifyAfter([&](RawDatabase& raw) {
    std::string value = raw.Get(raw.events(), keys::Event(org_, 7));
    value[value.size() - 20] ^= 0x01;
    raw.Put(raw.events(), keys::Event(org_, 7), value);
  });
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_TRUE(Names(status, "org " + org_.ToString() + " seq 7: record checksum mismatch"))
      << status.ToString();
  // Reads fail the same way instead of returning damaged bytes.
  auto log = OpenOrDie(OptionsIn(dir_));
  EXPECT_EQ(log->Get(org_, 7).status().code(), Code::kCorruption);
  std::vector<StoredEvent> events;
  EXPECT_EQ(log->ReadOrg(org_, 1, 100, &events).code(), Code::kCorruption);
}

TEST_F(CorruptionTest, EditWithRecomputedChecksumIsCaughtByTheLeafHash) {
  Status status = VerifyAfter([&](RawDatabase& raw) {
    std::string value = raw.Get(raw.events(), keys::Event(org_, 12));
    value[value.size() - 20] ^= 0x01;  // inside the event, then re-checksum it
    checksum::Seal(&value);
    raw.Put(raw.events(), keys::Event(org_, 12), value);
  });
  EXPECT_EQ(status.code(), Code::kTampered);
  EXPECT_TRUE(Names(status, "seq 12: event bytes do not match their leaf hash"))
      << status.ToString();
}

TEST_F(CorruptionTest, EditWithRecomputedLeafHashIsCaughtByTheTree) {
  Status status = VerifyAfter([&](RawDatabase& raw) {
    std::string value = raw.Get(raw.events(), keys::Event(org_, 21));
    value[value.size() - 20] ^= 0x01;
    std::string_view body = std::string_view(value).substr(checksum::kBytes + 32);
    Digest leaf = LeafHash(body);
    value.replace(checksum::kBytes, 32, reinterpret_cast<const char*>(leaf.data()), 32);
    checksum::Seal(&value);
    raw.Put(raw.events(), keys::Event(org_, 21), value);
  });
  EXPECT_EQ(status.code(), Code::kTampered);
  // Seq 21 is in the stored 16-leaf subtree of seqs 17..32.
  EXPECT_TRUE(Names(status, "seqs 17..32: leaves do not match the stored tree"))
      << status.ToString();
}

TEST_F(CorruptionTest, TruncatedLogIsReportedAsCutShort) {
  Status status = VerifyAfter([&](RawDatabase& raw) {
    raw.Delete(raw.events(), keys::Event(org_, 39));
    raw.Delete(raw.events(), keys::Event(org_, 40));
  });
  EXPECT_EQ(status.code(), Code::kTampered);
  EXPECT_TRUE(Names(status, "cut short at seq 39")) << status.ToString();
}

TEST_F(CorruptionTest, MissingEventInTheMiddleIsReported) {
  Status status =
      VerifyAfter([&](RawDatabase& raw) { raw.Delete(raw.events(), keys::Event(org_, 5)); });
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_TRUE(Names(status, "seq 5 is missing")) << status.ToString();
}

TEST_F(CorruptionTest, DamagedTreeNodeIsReported) {
  Status status = VerifyAfter([&](RawDatabase& raw) {
    std::string value = raw.Get(raw.tree(), keys::TreeNode(org_, 4, 1));
    value[10] ^= 0x80;
    checksum::Seal(&value);
    raw.Put(raw.tree(), keys::TreeNode(org_, 4, 1), value);
  });
  EXPECT_EQ(status.code(), Code::kTampered);
  EXPECT_TRUE(Names(status, "seqs 17..32")) << status.ToString();
}

// Snapshots are a cache, but a damaged one must never be used: both ways of
// reading one check its checksum, or hand the check to the caller
// (SnapshotCheck::kByCaller, which as-of queries run beside the unpacking).
// The shared bytes (what as-of queries unpack, keeping missions and tasks
// packed in them) equal the stored ones and are 8-byte aligned for
// FlatBuffers, both when kept where RocksDB read them (a large blob) and
// when copied (a small one).
TEST_F(CorruptionTest, DamagedSnapshotIsRefusedByBothReadsAndAnIntactOneIsCopiedWhole) {
  std::string state(100'003, '\0');  // a blob (over 4 KiB), not a multiple of 8
  for (size_t i = 0; i < state.size(); ++i) state[i] = static_cast<char>(i * 131 % 251);
  {
    auto log = OpenOrDie(OptionsIn(dir_));
    ASSERT_TRUE(log->PutSnapshot(org_, {10, state}).ok());
    ASSERT_TRUE(log->PutSnapshot(org_, {30, "a newer one"}).ok());
    Result<std::optional<SharedSnapshot>> shared = log->SharedSnapshotAtOrBefore(org_, 29);
    ASSERT_TRUE(shared.ok()) << shared.status().ToString();
    ASSERT_TRUE(shared->has_value());
    EXPECT_EQ((*shared)->version, 10u);
    EXPECT_EQ((*shared)->state, state);
    EXPECT_EQ(reinterpret_cast<uintptr_t>((*shared)->state.data()) % 8, 0u);
    EXPECT_TRUE((*shared)->Intact());
    Result<std::optional<SharedSnapshot>> unchecked =
        log->SharedSnapshotAtOrBefore(org_, 29, nullptr, SnapshotCheck::kByCaller);
    ASSERT_TRUE(unchecked.ok() && unchecked->has_value()) << unchecked.status().ToString();
    EXPECT_EQ((*unchecked)->state, state);
    EXPECT_TRUE((*unchecked)->unchecked_sum.has_value());
    EXPECT_TRUE((*unchecked)->Intact());
    Result<std::optional<SharedSnapshot>> none = log->SharedSnapshotAtOrBefore(org_, 9);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
  }
  {
    RawDatabase raw(OptionsIn(dir_).path);
    std::string value = raw.Get(raw.snapshots(), keys::Event(org_, 10));
    value[value.size() / 2] ^= 0x10;
    raw.Put(raw.snapshots(), keys::Event(org_, 10), value);
  }
  auto log = OpenOrDie(OptionsIn(dir_));
  Result<std::optional<SharedSnapshot>> shared = log->SharedSnapshotAtOrBefore(org_, 29);
  EXPECT_EQ(shared.status().code(), Code::kCorruption);
  EXPECT_TRUE(Names(shared.status(), org_.ToString())) << shared.status().ToString();
  bool visited = false;
  Result<bool> seen = log->VisitSnapshotAtOrBefore(
      org_, 29, [&visited](uint64_t, std::string_view) { visited = true; });
  EXPECT_EQ(seen.status().code(), Code::kCorruption);
  EXPECT_FALSE(visited);
  // Left to the caller, the damaged bytes come back and fail the check.
  Result<std::optional<SharedSnapshot>> unchecked =
      log->SharedSnapshotAtOrBefore(org_, 29, nullptr, SnapshotCheck::kByCaller);
  ASSERT_TRUE(unchecked.ok() && unchecked->has_value()) << unchecked.status().ToString();
  EXPECT_EQ((*unchecked)->version, 10u);
  EXPECT_NE((*unchecked)->state, state);
  EXPECT_FALSE((*unchecked)->Intact());
  // The newer one is intact; a small one is copied out and checked as it
  // is copied, whoever was to check it.
  shared = log->SharedSnapshotAtOrBefore(org_, 30);
  ASSERT_TRUE(shared.ok() && shared->has_value());
  EXPECT_EQ((*shared)->state, "a newer one");
  unchecked = log->SharedSnapshotAtOrBefore(org_, 30, nullptr, SnapshotCheck::kByCaller);
  ASSERT_TRUE(unchecked.ok() && unchecked->has_value());
  EXPECT_EQ((*unchecked)->state, "a newer one");
  EXPECT_FALSE((*unchecked)->unchecked_sum.has_value());
  EXPECT_TRUE((*unchecked)->Intact());
}

// Snapshots are found by their marks, without reading any snapshot. One
// written before marks existed (only its own key) is still found and read,
// a mark is preferred when newer, a damaged mark still leads to its
// snapshot, and a mark without its snapshot is an error, not a silent miss.
TEST_F(CorruptionTest, SnapshotsAreFoundByMarksAndUnmarkedOnesStillRead) {
  std::string old_state(5000, 'o');  // a blob, from before marks
  std::string sealed;
  checksum::Begin(&sealed);
  sealed += old_state;
  checksum::Seal(&sealed);
  {
    RawDatabase raw(OptionsIn(dir_).path);
    raw.Put(raw.snapshots(), keys::Event(org_, 8), sealed);
  }
  auto log = OpenOrDie(OptionsIn(dir_));
  ASSERT_TRUE(log->PutSnapshot(org_, {20, std::string(6000, 'n')}).ok());
  for (auto [max, expected] :
       {std::pair<uint64_t, uint64_t>{7, 0}, {8, 8}, {19, 8}, {20, 20}, {UINT64_MAX, 20}}) {
    Result<uint64_t> version = log->SnapshotVersionAtOrBefore(org_, max);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    EXPECT_EQ(*version, expected) << "at or before " << max;
  }
  Result<uint64_t> other_org = log->SnapshotVersionAtOrBefore(Uuid::Random(), UINT64_MAX);
  ASSERT_TRUE(other_org.ok()) << other_org.status().ToString();
  EXPECT_EQ(*other_org, 0u);
  uint64_t heard_version = 0, heard_bytes = 0;
  auto hear = [&](uint64_t version, uint64_t bytes) {
    heard_version = version;
    heard_bytes = bytes;
  };
  Result<std::optional<SharedSnapshot>> unmarked = log->SharedSnapshotAtOrBefore(org_, 19, hear);
  ASSERT_TRUE(unmarked.ok() && unmarked->has_value()) << unmarked.status().ToString();
  EXPECT_EQ((*unmarked)->state, old_state);
  EXPECT_EQ(heard_version, 8u);
  EXPECT_EQ(heard_bytes, sealed.size());
  Result<std::optional<SharedSnapshot>> marked = log->SharedSnapshotAtOrBefore(org_, 25, hear);
  ASSERT_TRUE(marked.ok() && marked->has_value()) << marked.status().ToString();
  EXPECT_EQ((*marked)->version, 20u);
  EXPECT_EQ((*marked)->state, std::string(6000, 'n'));
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*marked)->state.data()) % 8, 0u);
  EXPECT_EQ(heard_version, 20u);
  EXPECT_EQ(heard_bytes, checksum::kBytes + 6000);
  std::string visited;
  ASSERT_TRUE(*log->VisitSnapshotAtOrBefore(
      org_, 25, [&visited](uint64_t, std::string_view state) { visited = state; }));
  EXPECT_EQ(visited, std::string(6000, 'n'));
  log.reset();

  // A damaged mark still leads to its snapshot, which is checked.
  {
    RawDatabase raw(OptionsIn(dir_).path);
    raw.Put(raw.snapshots(), keys::Event(org_, 20) + std::string(1, '\0'), "short");
  }
  log = OpenOrDie(OptionsIn(dir_));
  marked = log->SharedSnapshotAtOrBefore(org_, 25, hear);
  ASSERT_TRUE(marked.ok() && marked->has_value()) << marked.status().ToString();
  EXPECT_EQ((*marked)->state, std::string(6000, 'n'));
  EXPECT_EQ(heard_version, 20u);
  EXPECT_EQ(heard_bytes, 0u);  // the size was only a hint
  log.reset();

  // A mark without its snapshot is an error; below it the unmarked one is
  // still found.
  {
    RawDatabase raw(OptionsIn(dir_).path);
    raw.Delete(raw.snapshots(), keys::Event(org_, 20));
  }
  log = OpenOrDie(OptionsIn(dir_));
  marked = log->SharedSnapshotAtOrBefore(org_, 25);
  EXPECT_EQ(marked.status().code(), Code::kCorruption);
  EXPECT_TRUE(Names(marked.status(), "marked but missing")) << marked.status().ToString();
  Result<uint64_t> below = log->SnapshotVersionAtOrBefore(org_, 19);
  ASSERT_TRUE(below.ok()) << below.status().ToString();
  EXPECT_EQ(*below, 8u);
}

TEST_F(CorruptionTest, UntouchedLogVerifies) {
  EXPECT_TRUE(VerifyAfter([](RawDatabase&) {}).ok());
}

}  // namespace
}  // namespace ledger
