#!/usr/bin/env bash
# A private PostgreSQL 15 in a directory of its own (for tools/demo.sh).
#   tools/pg.sh start DIR    initdb DIR/data if missing, start on a free 127.0.0.1 port
#                            (the previous one if still free), print the libpq conninfo
#                            on stdout and write it to DIR/conninfo; when already
#                            running, just print its conninfo.
#   tools/pg.sh stop DIR     fast shutdown; nothing to do when it is not running.
#   tools/pg.sh status DIR   print the conninfo and exit 0 when running, else exit 3.
# Logs: DIR/server.log (PostgreSQL), DIR/commands.log (initdb, pg_ctl).
# As root, initdb and pg_ctl run as the postgres user (PostgreSQL refuses root):
# DIR is given to that user, and its parents must let it through (/tmp does).
set -euo pipefail

start_attempts_max=10     # ports tried when another process holds the chosen one
start_timeout_seconds=60  # pg_ctl -w -t: a loaded 2-core machine
socket_path_bytes_max=90  # sun_path is 108 bytes, minus "/.s.PGSQL.NNNNN"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
die() {
  echo "pg.sh: $*" >&2
  exit 1
}

find_bin_directory() {
  if [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
    echo /usr/lib/postgresql/15/bin
    return
  fi
  local found
  found=$(pg_config --bindir 2>/dev/null || true)
  if [ -z "$found" ] || [ ! -x "$found/pg_ctl" ]; then
    die "PostgreSQL server binaries not found: install postgresql-15 (tools/setup.sh)"
  fi
  echo "$found"
}

# Runs "$@" in $dir, as the postgres user when we are root.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$dir" && runuser -u postgres -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

running() {
  [ -f "$data/postmaster.pid" ] &&
    as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

conninfo_for() { echo "host=127.0.0.1 port=$1 user=postgres dbname=postgres"; }

# Line 4 of postmaster.pid is the port the running server listens on.
running_port() { sed -n 4p "$data/postmaster.pid"; }

log_tail() {
  {
    echo "--- end of $dir/commands.log"
    tail -n 15 "$dir/commands.log" 2>/dev/null || true
    echo "--- end of $dir/server.log"
    tail -n 15 "$dir/server.log" 2>/dev/null || true
  } >&2
}

prepare_directory() {
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    runuser -u postgres -- test -w "$dir" -a -x "$dir" ||
      die "the postgres user cannot reach $dir: its parent directories must be traversable"
  fi
}

init_cluster() {
  [ -f "$data/PG_VERSION" ] && return
  [ -e "$data" ] && [ -n "$(ls -A "$data")" ] && die "$data exists but is not a cluster"
  echo "pg.sh: initdb $data" >&2
  # C.UTF-8 always exists on Debian and does not depend on the caller's LANG.
  as_postgres "$bin/initdb" -D "$data" --auth=trust --no-sync -U postgres -E UTF8 \
    --locale=C.UTF-8 >>"$dir/commands.log" 2>&1 || {
    log_tail
    die "initdb failed"
  }
}

. "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"  # free_port

# pg_ctl start on $1; fails (status 1) when the port is taken.
start_on_port() {
  local port=$1 socket_directory="$dir" log_bytes
  # A Unix socket in DIR when its path fits; the conninfo uses TCP anyway.
  [ $((${#dir} + 16)) -le $socket_path_bytes_max ] || socket_directory=""
  log_bytes=$(stat -c %s "$dir/server.log" 2>/dev/null || echo 0)
  if as_postgres "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t "$start_timeout_seconds" \
    -o "-k '$socket_directory' -p $port -c listen_addresses=127.0.0.1" start \
    >>"$dir/commands.log" 2>&1; then
    return 0
  fi
  # pg_ctl gives up waiting without stopping a server still coming up.
  running && as_postgres "$bin/pg_ctl" -D "$data" -m immediate -w stop >>"$dir/commands.log" 2>&1
  tail -c +$((log_bytes + 1)) "$dir/server.log" 2>/dev/null |
    grep -q "could not bind IPv4 address" || {
    log_tail
    die "PostgreSQL did not start on 127.0.0.1:$port"
  }
  return 1
}

command_start() {
  init_cluster
  if ! running; then
    local port=""
    [ -f "$dir/conninfo" ] && port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$dir/conninfo")
    for _ in $(seq "$start_attempts_max"); do
      [ -n "$port" ] || port=$(free_port)
      start_on_port "$port" && break
      echo "pg.sh: port $port is taken, trying another" >&2
      port=""
    done
    running || die "PostgreSQL did not start after $start_attempts_max ports"
  fi
  conninfo_for "$(running_port)" >"$dir/conninfo"
  cat "$dir/conninfo"
}

command_stop() {
  if ! running; then
    echo "pg.sh: not running in $dir" >&2
    return
  fi
  as_postgres "$bin/pg_ctl" -D "$data" -m fast -w -t "$start_timeout_seconds" stop \
    >>"$dir/commands.log" 2>&1 || {
    log_tail
    die "stopping PostgreSQL failed"
  }
}

command_status() {
  running || exit 3
  conninfo_for "$(running_port)"
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  start | stop | status) ;;
  *)
    usage >&2
    exit 2
    ;;
esac
[ $# -eq 2 ] || {
  usage >&2
  exit 2
}
command=$1
[ "$command" = start ] && mkdir -p "$2"
[ -d "$2" ] || die "no directory $2"
dir=$(cd "$2" && pwd -P)
case "$dir" in *"'"*) die "the directory's path may not contain a single quote" ;; esac
data="$dir/data"
bin=$(find_bin_directory)
[ "$command" = start ] && prepare_directory
"command_$command"
