#!/usr/bin/env bash
# The main job, end to end on embedded defaults: install what is missing,
# build, start ledgerd on a fresh local log (a free loopback port), append a
# generated multi-org history over TCP (each batch acknowledged after its
# fsync), stop the server with SIGTERM, then reopen the log, verify every
# org's Merkle head, show an org's state now and half-way, refusals and
# forgetting a person.
#   tools/demo.sh [ledger demo options, e.g. --orgs 10 --employees 50]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
data=${LEDGER_DEMO_DIR:-$PWD/demo-data}
db="$data/ledger"
rm -rf "$db" "$db.master-key" "$db.port"
mkdir -p "$data"

# An admin token (stored hashed beside the log); the demo appends to many orgs.
token=$(build/tools/ledger token create --db "$db" --admin --note demo 2>/dev/null)
build/tools/ledgerd --db "$db" --listen 127.0.0.1:0 --port-file "$db.port" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$db.port" ] && break; sleep 0.1; done
[ -s "$db.port" ] || { echo "demo: ledgerd did not start" >&2; exit 1; }
port=$(cat "$db.port")

echo "== appending over TCP to ledgerd on 127.0.0.1:$port"
build/tools/ledger demo --connect "127.0.0.1:$port" --token "$token" "$@"
echo
echo "== ledgerd: SIGTERM (finishes and acknowledges what it accepted, then exits)"
kill -TERM $server
wait $server
trap - EXIT
echo
echo "== the log on disk"
build/tools/ledger demo --db "$db" --inspect
echo
build/tools/ledger verify --db "$db"
