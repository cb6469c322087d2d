#!/usr/bin/env bash
# The main job, end to end on embedded defaults: install what is missing,
# build, then append a generated multi-org history to a fresh local log,
# reopen it, and print and verify every org's Merkle head.
#   tools/demo.sh [ledger demo options, e.g. --orgs 10 --employees 50]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
data=${LEDGER_DEMO_DIR:-$PWD/demo-data}
mkdir -p "$data"
build/tools/ledger demo --db "$data/ledger" --fresh "$@"
echo
build/tools/ledger verify --db "$data/ledger"
