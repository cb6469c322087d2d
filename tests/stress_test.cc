// The short form of the crash loop (tools/ledger_stress): the real ledgerd
// and ledger-project under load, each SIGKILLed at random moments (ten kills
// in all, seeded), restarted, and checked after every restart: acknowledged
// events in place, signed heads extended, read models equal to a rebuild.
// The long form is the same binary with --kills in the hundreds.
#include <gtest/gtest.h>

#include <string>

#include "child_process.h"
#include "pg_server.h"
#include "test_util.h"

namespace ledger::testing {
namespace {

TEST(StressTest, TenKillsOfServerAndProjectorLoseNothingAndModelsEqualARebuild) {
  std::string conninfo = FreshDatabase();
  TempDir dir;
  std::string work = dir.Sub("work");
  Child stress({LEDGER_STRESS_BINARY, "--pg", conninfo, "--kills", "10", "--target", "both",
                "--clients", "3", "--seed", "20261124", "--run-max-ms", "800", "--work-dir", work},
               dir.Sub("out"), dir.Sub("err"));
  int code = stress.Wait(std::chrono::milliseconds(150'000));
  std::string err = stress.err();
  EXPECT_EQ(code, 0) << stress.out() << err;
  EXPECT_NE(stress.out().find("PASSED: seed 20261124, 10 kills"), std::string::npos)
      << stress.out();
  // Both kinds of kill happened and every check ran after each.
  EXPECT_NE(err.find(": ledgerd after"), std::string::npos) << err;
  EXPECT_NE(err.find(": ledger-project after"), std::string::npos) << err;
}

}  // namespace
}  // namespace ledger::testing
