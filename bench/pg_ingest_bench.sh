#!/usr/bin/env bash
# Ingest into PostgreSQL (issue 31 item 4, docs/PERFORMANCE.md): POST /api/metrics of a `cloudopt serve --store` on a
# PostgreSQL this script starts (bench/pg_server.sh: fsync on, synchronous_commit on), against psql's own \copy of
# the same samples into the same table on the same machine (the engine's limit). Each run:
#   1. bench/ingest_load pushes batches of BATCH samples on CONNECTIONS keep-alive connections for DURATION s;
#      every acknowledged sample must then be in the table (acknowledged means committed);
#   2. those rows are exported to files (one per connection's series), their partitions emptied, and loaded back
#      with one `psql \copy` of everything (one transaction), then with CONNECTIONS psql \copy in parallel (one
#      per file), the partitions emptied between loads.
# Each is run RUNS times (default 3), alternating, and the medians are printed with the API's ratio to the faster
# \copy. Both sides write the same rows into the same partitioned table with its primary key and foreign key.
# BASELINE=BINARY adds a second cloudopt (e.g. a build from before a change) on its own database of the same server,
# pushed with the same load in each run just before the API under test: before and after, side by side in one run.
#
# usage: bench/pg_ingest_bench.sh [build_dir=build/release]
# env: RUNS (3), DURATION (10), CONNECTIONS (4), BATCH (1000), SERIES (1: the series a batch's samples are spread
# over, as a scrape of many metrics sends), PG_SHARED_BUFFERS (256MB), CLOUDOPT_SERVER_THREADS (server.threads: the
# I/O threads; POST /api/metrics's transactions run on the server's own pool of store writers, 4), BASELINE
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-4}
BATCH=${BATCH:-1000}
SERIES=${SERIES:-1}
BIN="$BUILD/cloudopt"
LOAD="$BUILD/bench/ingest_load"
[ -x "$BIN" ] && [ -x "$LOAD" ] || { echo "build first: make build-release" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client-15" >&2; exit 1; }
. bench/pg_server.sh

WORK=$(mktemp -d)
chmod 755 "$WORK"
SERVER= BASE_SERVER=
cleanup() {
  for pid in $SERVER $BASE_SERVER; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
pg_start
pg_psql postgres -c "CREATE DATABASE bench"
URL=$(pg_url bench)
export CLOUDOPT_STORE_DRIVER=postgres

# start_server BINARY DATABASE NAME: a `serve --demo` on that database; sets STARTED_PID, STARTED_PORT, STARTED_TOKEN.
# As bench/http_bench.sh: an API token, rate limits and scheduled training off (they would measure the limiter and
# the trainer, not ingest).
start_server() {
  local bin=$1 url name=$3
  url=$(pg_url "$2")
  STARTED_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" db migrate --store "$url" >/dev/null
  STARTED_TOKEN=$(CLOUDOPT_STORE_URL=$url "$bin" token create bench --scope operator --data-dir "$WORK/$name" 2>/dev/null)
  CLOUDOPT_STORE_URL=$url CLOUDOPT_SECURITY_RATE_LIMIT_PER_ADDRESS=0 CLOUDOPT_SECURITY_RATE_LIMIT_PER_CALLER=0 \
    CLOUDOPT_LOOP_RETRAIN_HOURS=0 "$bin" serve --demo --speed 1 --port "$STARTED_PORT" --data-dir "$WORK/$name" \
    --store "$url" >"$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$STARTED_PORT/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$STARTED_PORT/readyz" >/dev/null || { tail -20 "$WORK/$name.log" >&2; exit 1; }
}
start_server "$BIN" bench server
SERVER=$STARTED_PID PORT=$STARTED_PORT TOKEN=$STARTED_TOKEN
if [ -n "${BASELINE:-}" ]; then
  [ -x "$BASELINE" ] || { echo "BASELINE=$BASELINE is not an executable" >&2; exit 1; }
  pg_psql postgres -c "CREATE DATABASE bench_base"
  start_server "$BASELINE" bench_base baseline
  BASE_SERVER=$STARTED_PID BASE_PORT=$STARTED_PORT BASE_TOKEN=$STARTED_TOKEN
fi

# The bench's samples are dated from 2017 (ingest_load's base), far from the demo's, so their weekly partitions hold
# nothing else: emptying those partitions resets the table for the next load without touching the demo's data.
BENCH_SERIES="SELECT s.id FROM series s JOIN resources r ON r.id = s.resource_id WHERE r.name = 'web-frontend' AND s.metric LIKE 'ingest_bench_%'"
empty_bench_partitions() {
  local parts db=${1:-bench}
  parts=$(pg_psql "$db" -At -c "SELECT string_agg(c.relname, ', ') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'samples' AND substring(c.relname from 'samples_w([0-9]+)')::bigint < 2600")
  [ -z "$parts" ] || pg_psql "$db" -c "TRUNCATE $parts" -c "CHECKPOINT"
}
now_s() { date +%s.%N; }
# CPU seconds used so far by a process and its waited-for children (utime+stime+cutime+cstime), plus its live
# children's own: for PostgreSQL, the postmaster and every backend, the ones that already exited included.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk -v c="$2" '{ print $12 + $13 + (c ? $14 + $15 : 0) }'; }
cpu_s() {
  { cpu_ticks "$1" 1; for c in $(pgrep -P "$1"); do cpu_ticks "$c" 0; done; } |
    awk -v t="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.2f", s / t }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# The baseline's run: the same load into its own database, checked the same way; appends to base and base_cpu.
base=() base_cpu=()
baseline_run() {
  local run=$1 s0 s1 p0 p1 out acked rows
  empty_bench_partitions bench_base >/dev/null
  s0=$(cpu_s "$BASE_SERVER") p0=$(cpu_s "$PG_PID")
  out=$(CLOUDOPT_TOKEN=$BASE_TOKEN "$LOAD" "$BASE_PORT" web-frontend "$CONNECTIONS" "$BATCH" "$DURATION" "$SERIES") ||
    { echo "run $run: ingest_load failed on the baseline ($out)" >&2; tail -5 "$WORK/baseline.log" >&2; exit 1; }
  s1=$(cpu_s "$BASE_SERVER") p1=$(cpu_s "$PG_PID")
  acked=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
  rows=$(pg_psql bench_base -At -c "SELECT count(*) FROM samples s JOIN series r ON r.id = s.series_id WHERE r.metric LIKE 'ingest_bench_%'")
  [ "$rows" = "$acked" ] || { echo "run $run (baseline): $acked samples acknowledged, $rows in the table" >&2; exit 1; }
  base+=("$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples_per_second"])')")
  base_cpu+=("$(echo "$s0 $s1 $p0 $p1 $rows" | awk '{ printf "%.2f", ($2 - $1 + $4 - $3) / $5 * 1e6 }')")
  echo "run $run baseline API: ${base[-1]}/s, $(echo "$s0 $s1" | awk '{ print $2 - $1 }') CPU s cloudopt, $(echo "$p0 $p1" | awk '{ print $2 - $1 }') CPU s PostgreSQL" >&2
}

export CLOUDOPT_TOKEN=$TOKEN
api=() copy1=() copyn=() rows_all=() api_cpu=() copy_cpu=()
for run in $(seq "$RUNS"); do
  [ -z "$BASE_SERVER" ] || baseline_run "$run"
  empty_bench_partitions
  s0=$(cpu_s "$SERVER") p0=$(cpu_s "$PG_PID")
  # PERF_OUT=FILE records the server's profile (perf record -g) during the first run's load.
  if [ -n "${PERF_OUT:-}" ] && [ "$run" = 1 ]; then
    perf record -g -o "$PERF_OUT" -p "$SERVER" -- sleep "$DURATION" >/dev/null 2>&1 &
    PERF=$!
  fi
  out=$("$LOAD" "$PORT" web-frontend "$CONNECTIONS" "$BATCH" "$DURATION" "$SERIES") ||
    { echo "run $run: ingest_load failed ($out); the server's log ends:" >&2; tail -5 "$WORK/server.log" >&2; exit 1; }
  s1=$(cpu_s "$SERVER") p1=$(cpu_s "$PG_PID")
  [ -z "${PERF:-}" ] || { wait "$PERF" || true; PERF=; }
  api_cpu+=("$(echo "$s0 $s1 $p0 $p1" | awk '{ print $2 - $1 + $4 - $3 }')")
  echo "run $run API: cloudopt used $(echo "$s0 $s1" | awk '{ print $2 - $1 }') CPU s, PostgreSQL $(echo "$p0 $p1" | awk '{ print $2 - $1 }') CPU s in ${DURATION} s" >&2
  acked=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
  api+=("$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples_per_second"])')")
  rows=$(pg_psql bench -At -c "SELECT count(*) FROM samples WHERE series_id IN ($BENCH_SERIES)")
  # Acknowledged means committed: every acknowledged sample is in the table (ingest_load writes only new ones).
  [ "$rows" = "$acked" ] || { echo "run $run: $acked samples acknowledged, $rows in the table" >&2; exit 1; }
  rows_all+=("$rows")
  api_cpu[-1]=$(echo "${api_cpu[-1]} $rows" | awk '{ printf "%.2f", $1 / $2 * 1e6 }')
  # The same rows, one file per series group (ingest_load's connection c writes the metrics ingest_bench_c*).
  for c in $(seq 0 $((CONNECTIONS - 1))); do
    pg_psql bench -c "\\copy (SELECT series_id, ts, value FROM samples WHERE series_id IN ($BENCH_SERIES AND s.metric ~ '^ingest_bench_${c}(_r[0-9]+)?(_s[0-9]+)?$')) TO '$WORK/part$c.tsv'"
  done
  cat "$WORK"/part*.tsv >"$WORK/all.tsv"
  [ "$(wc -l <"$WORK/all.tsv")" = "$rows" ] || { echo "export lost rows" >&2; exit 1; }

  empty_bench_partitions
  p0=$(cpu_s "$PG_PID")
  t0=$(now_s)
  pg_psql bench -c "\\copy samples (series_id, ts, value) FROM '$WORK/all.tsv'"
  t1=$(now_s)
  # The backend that served psql exits after psql does; its CPU time reaches the postmaster's only once reaped.
  sleep 1
  p1=$(cpu_s "$PG_PID")
  copy_cpu+=("$(echo "$p0 $p1 $rows" | awk '{ printf "%.2f", ($2 - $1) / $3 * 1e6 }')")
  echo "run $run \\copy: PostgreSQL used $(echo "$p0 $p1" | awk '{ print $2 - $1 }') CPU s in $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s" >&2
  copy1+=("$(echo "$rows $t0 $t1" | awk '{ printf "%.0f", $1 / ($3 - $2) }')")

  empty_bench_partitions
  t0=$(now_s)
  pids=()
  for c in $(seq 0 $((CONNECTIONS - 1))); do
    pg_psql bench -c "\\copy samples (series_id, ts, value) FROM '$WORK/part$c.tsv'" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now_s)
  copyn+=("$(echo "$rows $t0 $t1" | awk '{ printf "%.0f", $1 / ($3 - $2) }')")
  [ "$(pg_psql bench -At -c "SELECT count(*) FROM samples WHERE series_id IN ($BENCH_SERIES)")" = "$rows" ]
  echo "run $run: $rows samples; API ${api[-1]}/s, \\copy ${copy1[-1]}/s, $CONNECTIONS x \\copy ${copyn[-1]}/s" >&2
done

med_api=$(printf '%s\n' "${api[@]}" | median)
med_c1=$(printf '%s\n' "${copy1[@]}" | median)
med_cn=$(printf '%s\n' "${copyn[@]}" | median)
best=$(printf '%s\n%s\n' "$med_c1" "$med_cn" | sort -g | tail -1)
echo "PostgreSQL ingest: $RUNS runs, medians; $(nproc) cores; fsync on, synchronous_commit on; $(date -u +%FT%TZ)"
printf '%-44s samples/s %10s   (%s samples per run, median)\n' "POST /api/metrics ($CONNECTIONS conn x $BATCH, $SERIES series)" "$med_api" \
  "$(printf '%s\n' "${rows_all[@]}" | median)"
if [ -n "$BASE_SERVER" ]; then
  med_base=$(printf '%s\n' "${base[@]}" | median)
  printf '%-44s samples/s %10s   (%s; %s CPU s per million samples; / faster \\copy %s)\n' "  baseline, the same load" "$med_base" \
    "$BASELINE" "$(printf '%s\n' "${base_cpu[@]}" | median)" "$(echo "$med_base $best" | awk '{ printf "%.2f", $1 / $2 }')"
fi
printf '%-44s samples/s %10s\n' "psql \\copy, one stream" "$med_c1"
printf '%-44s samples/s %10s\n' "psql \\copy, $CONNECTIONS streams in parallel" "$med_cn"
printf '%-44s %s\n' "API / faster \\copy" "$(echo "$med_api $best" | awk '{ printf "%.2f", $1 / $2 }')"
# CPU time per million samples (cloudopt's and PostgreSQL's together for the API; PostgreSQL's for \copy): what each
# path costs the machine, which the throughput of a shared, noisy box does not show alone.
printf '%-44s %s CPU s (API: cloudopt + PostgreSQL) vs %s CPU s (\\copy, one stream): %s\n' "CPU per million samples" \
  "$(printf '%s\n' "${api_cpu[@]}" | median)" "$(printf '%s\n' "${copy_cpu[@]}" | median)" \
  "$(echo "$(printf '%s\n' "${api_cpu[@]}" | median) $(printf '%s\n' "${copy_cpu[@]}" | median)" | awk '{ printf "%.2fx", $1 / $2 }')"
