#!/usr/bin/env bash
# ledger-bench against a fresh ledgerd on this machine, for several batch
# sizes, beside the engine in-process with the same batches; then the ack
# latency at half the batched maximum. Prints a Markdown table (the README's).
#   bench/ledgerd_bench.sh [seconds per run, default 5] [build directory, default build]
# (build-bench is the Release build bench/compare.sh makes.)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
bin=${2:-build}
work=$(mktemp -d)
trap 'kill -TERM $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

start_server() {  # a fresh ledgerd on a new database: sets server, token, address
  local db=$work/db$1
  token=$($bin/tools/ledger token create --db "$db" --admin 2>/dev/null)
  rm -f "$work/port"
  $bin/tools/ledgerd --db "$db" --listen 127.0.0.1:0 --port-file "$work/port" \
    --log-level warn &
  server=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  address=127.0.0.1:$(cat "$work/port")
}
start_server 1

run() {  # label, ledger-bench arguments...
  local label=$1; shift
  echo -n "$label " >> "$work/results"
  $bin/bench/ledger-bench --json --duration "$seconds" "$@" >> "$work/results"
}
for spec in "1 64 1" "10 16 4" "100 4 8" "1000 4 4"; do
  read -r batch connections in_flight <<< "$spec"
  run "ledgerd" --connect "$address" --token "$token" --batch "$batch" \
    --connections "$connections" --in-flight "$in_flight"
  run "in-process" --db "$work/in-process-$batch" --batch "$batch" --connections "$connections"
done
max=$(grep '^ledgerd ' "$work/results" | grep '"batch":100,' | sed 's/.*"events_per_sec":\([0-9]*\).*/\1/')
# Half rate on a fresh server: the runs above leave about a gigabyte to flush and
# compact, which would measure that backlog, not the steady state.
kill -TERM $server && wait $server || true
start_server 2
run "ledgerd-half-rate" --connect "$address" --token "$token" --batch 100 --connections 4 \
  --rate $((max / 2))

python3 - "$work/results" <<'PY'
import json, sys
rows = [line.split(" ", 1) for line in open(sys.argv[1]) if line.strip()]
print("| run | batch | connections x in flight | events/s | MB/s | p50 ms | p99 ms | p99.9 ms |")
print("|---|---|---|---|---|---|---|---|")
in_process = {}
for label, text in rows:
    r = json.loads(text)
    if label == "in-process":
        in_process[r["batch"]] = r["events_per_sec"]
for label, text in rows:
    r = json.loads(text)
    conns = "1 (Submit per batch)" if label == "in-process" else f'{r["connections"]} x {r["in_flight"]}'
    extra = ""
    if label == "ledgerd" and r["batch"] in in_process and in_process[r["batch"]]:
        extra = f' ({r["events_per_sec"] / in_process[r["batch"]]:.2f}x in-process)'
    print(f'| {label} | {r["batch"]} | {conns} | {r["events_per_sec"]:,.0f}{extra} | '
          f'{r["mb_per_sec"]:.1f} | {r["p50_ms"]:.2f} | {r["p99_ms"]:.2f} | {r["p999_ms"]:.2f} |')
PY
