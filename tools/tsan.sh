#!/usr/bin/env bash
# The server, sequencer, client and event-log tests under ThreadSanitizer:
# builds ledger_net_tests and ledger_tests (with ledgerd and ledger, which
# they start) into build-tsan and runs them. Any TSan report fails the run,
# including one from a ledgerd a test started (each process writes its
# reports to a file). Left out: CrashTest and PropertyTest, which run for
# minutes under TSan and exercise one thread; the ASan suite runs them.
#   tools/tsan.sh [--build-dir DIR] [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-tsan
if [ "${1:-}" = "--build-dir" ]; then build_dir=$2; shift 2; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,8p' "$0"; exit 0; fi

tools/setup.sh --build-dir "$build_dir" --sanitize thread --no-bench \
  --target ledger_net_tests --target ledger_tests

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# history_size: the largest, so the earlier access of a report (often a
# write inside RocksDB, see tests/tsan.supp) still has its stack.
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp log_path=$reports/tsan history_size=7"
# The other test binaries are not built here (ctest lists them as *_NOT_BUILT).
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600 \
  -E 'NOT_BUILT|^(CrashTest|PropertyTest)\.' "$@") || status=$?
if compgen -G "$reports/tsan.*" >/dev/null; then
  cat "$reports"/tsan.*
  echo "tsan: ThreadSanitizer reported the problems above" >&2
  exit 1
fi
exit "$status"
