#!/usr/bin/env bash
# The main job, end to end on embedded defaults: install what is missing,
# build, start ledgerd on a fresh local log (a free loopback port), append a
# generated multi-org history over TCP (each batch acknowledged after its
# fsync), stop the server with SIGTERM, then reopen the log, verify every
# org's Merkle head, show an org's state now and half-way, refusals and
# forgetting a person; then project the log into PostgreSQL read models (a
# private PostgreSQL 15 it starts on a free loopback port) and print the
# seed's "spending against budget" query.
#   tools/demo.sh [ledger demo options, e.g. --orgs 10 --employees 50]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
data=${LEDGER_DEMO_DIR:-$PWD/demo-data}
db="$data/ledger"
rm -rf "$db" "$db.master-key" "$db.port"
mkdir -p "$data"
# PostgreSQL runs as its own user (tools/pg.sh): it must be able to reach its
# directory inside $data (mktemp -d makes 0700 directories).
chmod a+x "$data"

# An admin token (stored hashed beside the log); the demo appends to many orgs.
token=$(build/tools/ledger token create --db "$db" --admin --note demo 2>/dev/null)
pg="$data/postgres"
tools/pg.sh stop "$pg" >/dev/null 2>&1 || true
rm -rf "$pg"
pg_conninfo=$(tools/pg.sh start "$pg")
build/tools/ledgerd --db "$db" --listen 127.0.0.1:0 --port-file "$db.port" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; tools/pg.sh stop "$pg" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do [ -s "$db.port" ] && break; sleep 0.1; done
[ -s "$db.port" ] || { echo "demo: ledgerd did not start" >&2; exit 1; }
port=$(cat "$db.port")

echo "== appending over TCP to ledgerd on 127.0.0.1:$port"
build/tools/ledger demo --connect "127.0.0.1:$port" --token "$token" "$@"
echo
echo "== ledger-project: the global feed into PostgreSQL read models ($pg_conninfo)"
build/tools/ledger-project --connect "127.0.0.1:$port" --token "$token" --pg "$pg_conninfo" \
  --until-caught-up
echo
echo "== ledgerd: SIGTERM (finishes and acknowledges what it accepted, then exits)"
kill -TERM $server
wait $server
trap 'tools/pg.sh stop "$pg" >/dev/null 2>&1 || true' EXIT
echo
echo "== the log on disk"
build/tools/ledger demo --db "$db" --inspect
echo
build/tools/ledger verify --db "$db"
echo
echo "== the seed's sample query \"Check org spending vs budget\", verbatim, per org"
orgs=$(psql "$pg_conninfo" -X -At -c "SELECT id FROM organizations ORDER BY name")
{
  cat <<'SQL'
PREPARE spending(uuid) AS
SELECT 
    s.monthly_budget_usd,
    s.current_spending_usd,
    (s.current_spending_usd / s.monthly_budget_usd * 100) as usage_pct
FROM subscriptions s
WHERE s.org_id = $1
AND s.status = 'active'
AND CURRENT_TIMESTAMP BETWEEN s.billing_period_start AND s.billing_period_end;
SQL
  for org in $orgs; do
    echo "\\echo org $org"
    echo "EXECUTE spending('$org');"
  done
} | psql "$pg_conninfo" -X -q -v ON_ERROR_STOP=1
tools/pg.sh stop "$pg" >/dev/null
trap - EXIT
echo "(PostgreSQL stopped; its data stays in $pg: tools/pg.sh start $pg to query it again)"
