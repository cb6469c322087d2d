#!/usr/bin/env bash
# Reproduces: a restarted ledger-project reads a stale checkpoint while the
# last transaction of the projector it replaces (SIGKILLed after sending
# COMMIT) is still landing in PostgreSQL; its first batch then collides with
# the rows that transaction wrote, and it exits 1 (duplicate key in events or
# usage_records). Fixed by reading the checkpoint FOR UPDATE (projector.cc).
# Session A below plays the killed projector's in-flight commit.
#   usage: repro_stale_checkpoint.sh BUILD_DIR LOG_DIR CONNINFO   (LOG_DIR: a log, no ledgerd on it)
#   control: END=ROLLBACK repro_stale_checkpoint.sh ...  (A never lands: the projector exits 0)
set -euo pipefail
build=$1 db=$2 pg=$3 schema=repro_stale
psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; DROP TABLE IF EXISTS public.repro_saved, public.repro_usage"
"$build/tools/ledger-project" --db "$db" --pg "$pg" --schema $schema --log-level warn
last=$(psql "$pg" -Atc "SELECT global_seq FROM $schema.projector_checkpoint")
k=$((last / 2))
# The state before the killed projector's last batch committed: checkpoint k.
psql "$pg" -q <<SQL
CREATE TABLE public.repro_saved AS SELECT * FROM $schema.events WHERE global_seq > $k;
CREATE TABLE public.repro_usage AS SELECT u.* FROM $schema.usage_records u
  JOIN public.repro_saved e ON e.org_id = u.org_id AND e.payload->>'usage_id' = u.id::text;
DELETE FROM $schema.usage_records u USING public.repro_usage r WHERE u.org_id = r.org_id AND u.id = r.id;
DELETE FROM $schema.events WHERE global_seq > $k;
UPDATE $schema.projector_checkpoint SET global_seq = $k;
SQL
# Session A: that batch's commit, still in progress for 3 s.
psql "$pg" -q >/dev/null <<SQL &
BEGIN;
INSERT INTO $schema.events SELECT * FROM public.repro_saved;
INSERT INTO $schema.usage_records SELECT * FROM public.repro_usage;
UPDATE $schema.projector_checkpoint SET global_seq = $last;
SELECT pg_sleep(3);
${END:-COMMIT};
SQL
sleep 1
# The restarted projector: reads checkpoint $k (A has not committed), folds,
# and its COPY into events waits for A, then fails.
set +e
"$build/tools/ledger-project" --db "$db" --pg "$pg" --schema $schema --log-level warn
echo "ledger-project exit code: $? (expected 0: the rows and checkpoint it found are consistent)"
wait
