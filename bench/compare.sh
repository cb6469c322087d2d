#!/usr/bin/env bash
# Side by side, in one run, with the same generated events (same count, same
# bytes): durable ingestion at batches of 1, 100 and 1,000 into
#   ledgerd over loopback TCP (ledger-bench), the engine in-process,
#   raw RocksDB (one synced WriteBatch per batch),
#   PostgreSQL 15 (append-only table, primary key + (org_id, recorded_at)
#   index; single-row INSERT with 1 and 16 clients, multi-row INSERT, COPY;
#   synchronous_commit on), and Redis Streams (pipelined XADD, appendfsync always);
# then state as of T by our replay against a SQL fold over the same history
# in PostgreSQL (10k, 100k, 1M events). Prints a Markdown table with each
# figure's ratio to raw RocksDB; writes results.json and compare.png to --out.
#   bench/compare.sh [--quick] [--out DIR] [--build DIR] [--no-build]
#   --quick     smaller counts and as-of sizes (about 2 minutes; the full run about 5)
#   --out DIR   where results.json, compare.png and the raw results go
#               (default: BUILD/compare-<UTC time>)
#   --build DIR the CMake build directory (default build-bench, Release)
#   --no-build  use the binaries already in --build
# Starts a private PostgreSQL 15 (tools/pg.sh) and redis-server on free
# 127.0.0.1 ports in temporary directories, and ledgerd; stops them on exit.
set -euo pipefail
caller_directory=$PWD
cd "$(dirname "$0")/.."

quick=0
out=""
build=build-bench
do_build=1
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -z "$out" ]; then
  out=$build/compare-$(date -u +%Y%m%dT%H%M%SZ)  # build*/ is not tracked
  [[ $out == /* ]] || out=$PWD/$out               # --build is relative to the repository
fi
[[ $out == /* ]] || out=$caller_directory/$out
mkdir -p "$out"

# Events per run for each batch size: the same for every system. Batches of
# 1 are fsync-bound everywhere (about 5,000 fsyncs/s here), so they get few.
if [ "$quick" = 1 ]; then
  counts=([1]=1000 [100]=10000 [1000]=50000)
  as_of_sizes=10000,100000
else
  counts=([1]=3000 [100]=30000 [1000]=200000)
  as_of_sizes=10000,100000,1000000
fi
event_bytes=256
start_seconds_max=60

# Debian packages this script needs beyond tools/setup.sh's (only when missing).
missing=()
for package in redis-server gnuplot-nox; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "compare.sh: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# redis-server's package starts a system service; we use our own instance.

if [ "$do_build" = 1 ]; then
  [ -f "$build/CMakeCache.txt" ] ||
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEDGER_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" --target ledgerd ledger ledger-bench ledger-compare-bench >&2
fi
for binary in tools/ledger tools/ledgerd bench/ledger-bench bench/ledger-compare-bench; do
  [ -x "$build/$binary" ] || { echo "compare.sh: no $build/$binary" >&2; exit 1; }
done

work=$(mktemp -d)
pg_dir=$(mktemp -d)  # its own: pg.sh hands it to the postgres user
server_pid="" redis_pid=""
cleanup() {
  local status=$?
  for pid in $server_pid $redis_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $server_pid $redis_pid; do wait "$pid" 2>/dev/null || true; done
  tools/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work" "$pg_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "compare.sh: $*" >&2; }

. tools/free_port.sh  # free_port
wait_for_port() {  # port, name
  for _ in $(seq $((start_seconds_max * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "compare.sh: $2 did not start" >&2
  exit 1
}

began=$(date +%s)
log "starting PostgreSQL 15, redis-server and ledgerd"
pg=$(tools/pg.sh start "$pg_dir")
mkdir -p "$work/redis"
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" --appendonly yes \
  --appendfsync always --save "" --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
wait_for_port "$redis_port" redis-server
token=$("$build/tools/ledger" token create --db "$work/ledgerd" --admin 2>/dev/null)
"$build/tools/ledgerd" --db "$work/ledgerd" --listen 127.0.0.1:0 --port-file "$work/port" \
  --log-level warn 2>"$work/ledgerd.log" &
server_pid=$!
for _ in $(seq $((start_seconds_max * 10))); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "compare.sh: ledgerd did not start" >&2; exit 1; }
address=127.0.0.1:$(cat "$work/port")

results=$out/results.jsonl
: >"$results"
record() {  # label, clients, command...
  local label=$1 clients=$2 line
  shift 2
  log "$label"
  line=$("$@")
  echo "{\"label\":\"$label\",\"clients\":\"$clients\",\"result\":$line}" >>"$results"
}
compare() { "$build/bench/ledger-compare-bench" ingest --event-bytes "$event_bytes" "$@"; }

for batch in 1 100 1000; do
  n=${counts[$batch]}
  # ledgerd is used as designed: several connections, requests pipelined,
  # group commit. 16 connections for single events, as PostgreSQL's 16.
  if [ "$batch" = 1 ]; then conns=16 in_flight=1; else conns=4 in_flight=4; fi
  record "ledgerd (TCP)" "${conns}x${in_flight}" "$build/bench/ledger-bench" --json \
    --connect "$address" --token "$token" --count "$n" --batch "$batch" \
    --connections "$conns" --in-flight "$in_flight" --event-bytes "$event_bytes" \
    --latencies "$out/latency-ledgerd-$batch.txt"
  record "engine in-process" 1 "$build/bench/ledger-bench" --json --db "$work/in-process-$batch" \
    --count "$n" --batch "$batch" --connections 4 --event-bytes "$event_bytes"
  rm -rf "$work/in-process-$batch"*
  record "raw RocksDB" 1 compare --system raw-rocksdb --dir "$work/raw-$batch" \
    --batch "$batch" --count "$n"
  rm -rf "$work/raw-$batch"
  record "PostgreSQL INSERT" 1 compare --system pg-insert --pg "$pg" --batch "$batch" --count "$n"
  record "PostgreSQL INSERT" 16 compare --system pg-insert --pg "$pg" --clients 16 \
    --batch "$batch" --count "$n"
  record "PostgreSQL multi-row INSERT" 1 compare --system pg-multirow --pg "$pg" \
    --batch "$batch" --count "$n"
  record "PostgreSQL COPY" 1 compare --system pg-copy --pg "$pg" --batch "$batch" --count "$n"
  record "Redis XADD pipelined" 1 compare --system redis --redis "127.0.0.1:$redis_port" \
    --batch "$batch" --count "$n"
done

log "as of T: our replay against a SQL fold ($as_of_sizes events)"
"$build/bench/ledger-compare-bench" asof --pg "$pg" --dir "$work/as-of" \
  --sizes "$as_of_sizes" >"$out/asof.jsonl"

seconds=$(($(date +%s) - began))
{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "cores: $(nproc)"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GB"
  echo "kernel: $(uname -r)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "disk: $(df -h "$work" | awk 'NR == 2 {print $1 " (" $2 ")"}')"
  echo "postgresql: $(psql "$pg" -Atc 'SHOW server_version')"
  echo "redis: $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
  echo "load average at start of report: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"
/usr/bin/python3 bench/compare_report.py "$out" "$seconds" "$quick"
gnuplot "$out/compare.gp" 2>"$out/gnuplot.log" || log "gnuplot failed: see $out/gnuplot.log"
log "wrote $out/results.json and $out/compare.png"
