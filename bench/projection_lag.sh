#!/usr/bin/env bash
# Live projection lag: how far the read models trail the ledger while it
# ingests. Starts ledgerd on a fresh log, a private PostgreSQL (tools/pg.sh,
# server defaults) and `ledger-project --connect` following ledgerd's global
# feed, then drives ledger-bench at a fixed open-loop rate. Every ~0.1 s it
# samples
#   S = events ledgerd has appended (its ledger_events_appended_total metric:
#       the last global sequence, the log being fresh), and
#   C = SELECT global_seq FROM projector_checkpoint (what the read models hold).
# The lag of a sample is the time until C first reaches its S; sampling makes
# that an over-estimate by up to one interval. Prints lag p50/p99/max over the
# load, the ingest and projection rates, and how long the projector took to
# drain after the load stopped. Everything started here is stopped on exit.
#   bench/projection_lag.sh [--rate EVENTS_PER_S] [--seconds S] [--batch N]
#                           [--connections N] [--event-bytes N] [--build DIR] [--json]
#                           [--samples FILE]   (keep the raw samples: t_S S t_C C per line)
# Target (the projection issue): lag < 1 s at 50,000 events/s of ingest.
set -euo pipefail
caller_directory=$PWD
cd "$(dirname "$0")/.."  # --build is relative to the repository root

rate=50000
seconds=20
batch=100
connections=4
event_bytes=256
build=build
json=0
samples_copy=""
sample_interval_seconds=0.1
drain_seconds_max=120  # after the load, wait at most this long for the projector
start_seconds_max=60   # for each process to come up on a loaded machine

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --event-bytes) event_bytes=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --json) json=1; shift ;;
    --samples)
      samples_copy=$2
      [[ $samples_copy == /* ]] || samples_copy=$caller_directory/$samples_copy
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for binary in tools/ledger tools/ledgerd tools/ledger-project bench/ledger-bench; do
  [ -x "$build/$binary" ] || { echo "projection_lag.sh: no $build/$binary (--build DIR)" >&2; exit 1; }
done

work=$(mktemp -d)
pg_dir=$(mktemp -d)  # its own: pg.sh hands it to the postgres user
server_pid="" project_pid="" bench_pid="" psql_pid=""
cleanup() {
  local status=$?
  # The load first, then the projector (it finishes its batch), then ledgerd.
  for pid in $bench_pid $project_pid $server_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $bench_pid $project_pid $server_pid; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$psql_pid" ]; then
    kill -TERM "$psql_pid" 2>/dev/null || true
    wait "$psql_pid" 2>/dev/null || true
  fi
  tools/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work" "$pg_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { [ "$json" = 1 ] || echo "projection_lag.sh: $*" >&2; }
fail() {
  echo "projection_lag.sh: $*" >&2
  for file in "$work"/*.log; do
    [ -f "$file" ] && { echo "--- $file" >&2; tail -n 20 "$file" >&2; }
  done
  exit 1
}

. tools/free_port.sh  # free_port

# Sets $appended from ledgerd's metrics, over bash's /dev/tcp (no process
# per sample: the sampler shares two cores with everything it measures).
read_appended() {
  local line
  appended=""
  exec 5<>"/dev/tcp/127.0.0.1/$metrics_port" || return 1
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&5
  while IFS= read -r line <&5; do
    case $line in "ledger_events_appended_total "*) appended=${line#* } ;; esac
  done
  exec 5<&-
  appended=${appended%$'\r'}
  [ -n "$appended" ]
}

# Sets $checkpoint through one long-lived psql (a coprocess).
read_checkpoint() {
  echo "SELECT global_seq FROM projector_checkpoint;" >&"${PSQL[1]}"
  IFS= read -r -t 10 -u "${PSQL[0]}" checkpoint
}

# One line: time S was read, S, time C was read, C.
sample() {
  read_appended || fail "cannot read ledgerd's metrics"
  local at_appended=$EPOCHREALTIME
  read_checkpoint || fail "cannot read the checkpoint"
  echo "$at_appended $appended $EPOCHREALTIME $checkpoint" >>"$work/samples"
}

# CPU ticks (user + system) of a process; with "children" also those of the
# children it has reaped.
cpu_ticks() {
  local fields ticks
  read -r -a fields < <(cut -d')' -f2- "/proc/$1/stat" 2>/dev/null) || {
    echo 0
    return
  }
  ticks=$((fields[11] + fields[12]))
  [ "${2-}" != children ] || ticks=$((ticks + fields[13] + fields[14]))
  echo "$ticks"
}

# PostgreSQL's CPU ticks: the postmaster, its reaped backends, its live ones.
pg_ticks() {
  local postmaster child total
  postmaster=$(head -n 1 "$pg_dir/data/postmaster.pid")
  total=$(cpu_ticks "$postmaster" children)
  for child in $(ps -o pid= --ppid "$postmaster"); do total=$((total + $(cpu_ticks "$child"))); done
  echo "$total"
}

# "ledgerd ledger-project postgres" CPU ticks, and bash's `times` (whose
# second line, the reaped children, gives ledger-bench's share).
cpu_snapshot() {
  echo "$(cpu_ticks "$server_pid") $(cpu_ticks "$project_pid") $(pg_ticks)" >"$work/cpu_$1"
  times >"$work/times_$1"
}

log "starting ledgerd, PostgreSQL and ledger-project"
token=$("$build/tools/ledger" token create --db "$work/db" --admin 2>/dev/null)
metrics_port=$(free_port)
"$build/tools/ledgerd" --db "$work/db" --listen 127.0.0.1:0 --port-file "$work/port" \
  --metrics "127.0.0.1:$metrics_port" --log-level warn >"$work/ledgerd.log" 2>&1 &
server_pid=$!
conninfo=$(tools/pg.sh start "$pg_dir" 2>"$work/pg.log") || fail "PostgreSQL did not start"
for _ in $(seq $((start_seconds_max * 10))); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "ledgerd did not start"
address=127.0.0.1:$(cat "$work/port")

"$build/tools/ledger-project" --connect "$address" --token "$token" --pg "$conninfo" \
  --log-level warn >"$work/project.log" 2>&1 &
project_pid=$!
for _ in $(seq $((start_seconds_max * 10))); do
  psql -XAtq "$conninfo" -c "SELECT global_seq FROM projector_checkpoint" >/dev/null 2>&1 && break
  kill -0 "$project_pid" 2>/dev/null || fail "ledger-project exited"
  sleep 0.1
done
coproc PSQL { exec psql -XAtq "$conninfo" 2>>"$work/psql.log"; }
# shellcheck disable=SC2153 # PSQL_PID is set by coproc
psql_pid=$PSQL_PID
read_appended || fail "ledgerd's metrics do not answer on port $metrics_port"

log "ledger-bench --rate $rate for $seconds s; sampling every ${sample_interval_seconds} s"
cpu_snapshot start
load_start=$EPOCHREALTIME
"$build/bench/ledger-bench" --connect "$address" --token "$token" --rate "$rate" \
  --batch "$batch" --connections "$connections" --event-bytes "$event_bytes" \
  --warmup 0 --duration "$seconds" --json >"$work/bench.json" 2>"$work/bench.log" &
bench_pid=$!
while kill -0 "$bench_pid" 2>/dev/null; do
  sample
  sleep "$sample_interval_seconds"
done
wait "$bench_pid" || fail "ledger-bench failed"
bench_pid=""
load_end=$EPOCHREALTIME
cpu_snapshot end
read_appended
final=$appended
log "load done ($final events appended); waiting for the projector to drain"
drain_deadline=$(($(date +%s) + drain_seconds_max))
while :; do
  sample
  [ "$checkpoint" -ge "${final%.*}" ] && break
  [ "$(date +%s)" -lt "$drain_deadline" ] || { log "not drained after $drain_seconds_max s"; break; }
  kill -0 "$project_pid" 2>/dev/null || fail "ledger-project exited"
  sleep "$sample_interval_seconds"
done

[ -z "$samples_copy" ] || cp "$work/samples" "$samples_copy"
python3 - "$work/samples" "$work/bench.json" "$load_start" "$load_end" "$rate" "$json" \
  "$batch" "$connections" "$seconds" "$work" "$(getconf CLK_TCK)" "$(nproc)" <<'PY'
import json, re, sys
(samples_path, bench_path, load_start, load_end, rate, as_json, batch, connections, seconds,
 work, clock_ticks, cores) = sys.argv[1:]
load_start, load_end, rate = float(load_start), float(load_end), float(rate)

def times_children(path):  # bash `times`, second line: reaped children's user and system
    user, system = re.findall(r"(\d+)m([\d.]+)s", open(path).read().splitlines()[1])
    return sum(int(m) * 60 + float(s) for m, s in (user, system))

start = [int(x) for x in open(f"{work}/cpu_start").read().split()]
end = [int(x) for x in open(f"{work}/cpu_end").read().split()]
cpu = {name: (b - a) / float(clock_ticks)
       for name, a, b in zip(["ledgerd", "ledger_project", "postgres"], start, end)}
cpu["ledger_bench"] = times_children(f"{work}/times_end") - times_children(f"{work}/times_start")
rows = [tuple(float(x) for x in line.split()) for line in open(samples_path) if line.strip()]
bench = json.loads(open(bench_path).read())

def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

# Lag of sample i: from when S_i was read until the first C reading >= S_i.
lags, undrained = [], 0
for i, (at_s, s, _, _) in enumerate(rows):
    if not load_start <= at_s <= load_end:
        continue
    reached = next((at_c for at_c, c in ((r[2], r[3]) for r in rows[i:]) if c >= s), None)
    if reached is None:
        undrained += 1
    else:
        lags.append(max(0.0, reached - at_s))

during = [r for r in rows if load_start <= r[0] <= load_end]
first, last = during[0], during[-1]
span = last[0] - first[0]
final_s = rows[-1][1]
drained_at = next((r[2] for r in rows if r[3] >= final_s), None)
result = {
    "rate_offered": rate,
    "batch": int(batch),
    "connections": int(connections),
    "seconds": float(seconds),
    "ingest_events_per_sec": (last[1] - first[1]) / span,
    "ledger_bench_events_per_sec": bench["events_per_sec"],
    "ack_p99_ms": bench["p99_ms"],
    "projected_events_per_sec": (last[3] - first[3]) / span,
    "samples": len(lags),
    "lag_p50_s": percentile(lags, 0.50),
    "lag_p99_s": percentile(lags, 0.99),
    "lag_max_s": max(lags) if lags else float("nan"),
    "undrained_samples": undrained,
    "events": int(final_s),
    "drain_after_load_s": (drained_at - load_end) if drained_at else None,
    "cpu_seconds_during_load": cpu,
    "cores": int(cores),
}
# The target holds at 50,000 events/s of ingest: below 95% of that it is not tested.
tested = result["ingest_events_per_sec"] >= 0.95 * 50000
result["target_tested"] = tested
result["target_met"] = tested and bool(lags) and undrained == 0 and result["lag_max_s"] < 1.0
if as_json == "1":
    print(json.dumps(result))
    sys.exit(0)
drain = result["drain_after_load_s"]
print(f"projection lag: ledger-bench --rate {rate:.0f} --batch {batch} --connections {connections}"
      f" for {float(seconds):.0f} s, ledger-project --connect (up to 10,000 events/txn)")
print(f"  ingest (ledger's appended events)  {result['ingest_events_per_sec']:10,.0f} events/s"
      f"   (ledger-bench: {bench['events_per_sec']:,.0f}/s acked, ack p99 {bench['p99_ms']:.1f} ms)")
print(f"  projected during the load          {result['projected_events_per_sec']:10,.0f} events/s")
print(f"  lag p50 / p99 / max                {result['lag_p50_s']:.3f} / {result['lag_p99_s']:.3f}"
      f" / {result['lag_max_s']:.3f} s   ({len(lags)} samples; {undrained} never caught up)")
print(f"  drain after the load               "
      + (f"{drain:.2f} s" if drain is not None else "not drained"))
load_seconds = load_end - load_start
print(f"  CPU during the load ({load_seconds:.1f} s x {cores} cores = {load_seconds * int(cores):.0f} core-s): "
      + ", ".join(f"{name.replace('_', '-')} {seconds:.1f} s" for name, seconds in cpu.items())
      + f"; total {sum(cpu.values()):.1f} s")
verdict = "MET" if result["target_met"] else "MISSED" if tested else "not tested (ingest below 50,000/s)"
print(f"  target lag < 1 s at 50,000 events/s: {verdict}")
PY
