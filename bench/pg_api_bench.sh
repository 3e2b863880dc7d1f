#!/usr/bin/env bash
# The read API on PostgreSQL with one and with two replicas, against the SQLite single process (issue 31 item 4,
# docs/PERFORMANCE.md), in one run: wrk at 64 connections flat out against GET /api/resources and GET /api/metrics
# (one day of 1-minute points downsampled to 288 5-minute points), as bench/http_bench.sh does for SQLite alone.
#   sqlite      one `cloudopt serve --demo` on SQLite (the embedded default)
#   pg-1        one `cloudopt serve --demo --store` on a PostgreSQL this script starts (bench/pg_server.sh)
#   pg-2        two replicas on that database; wrk's two threads each keep their 32 connections on one replica
#   pg-2-nocache the same with server.query_cache_mb 0 (no rendered-bucket cache: what the cache is worth; the
#               replicas' caches hear each other's writes through LISTEN/NOTIFY, so the cache is safe with replicas)
# Everything (PostgreSQL, the replicas and wrk) shares the machine's cores. Each measurement is run RUNS times
# (default 3), the configurations taking turns in every round; the medians are printed.
#
# usage: bench/pg_api_bench.sh [build_dir=build/release]
# env: RUNS (3), DURATION (10), CONFIGS ("sqlite pg-1 pg-2 pg-2-nocache")
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONFIGS=${CONFIGS:-sqlite pg-1 pg-2 pg-2-nocache}
BIN="$BUILD/cloudopt"
[ -x "$BIN" ] || { echo "build first: make build-release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
. bench/pg_server.sh

WORK=$(mktemp -d)
chmod 755 "$WORK"
# serve() runs in a command substitution (a subshell), so the servers' pids go to a file, not to a variable.
cleanup() {
  local p
  for p in $(cat "$WORK/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 100); do
    alive=0
    for p in $(cat "$WORK/pids" 2>/dev/null); do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in $(cat "$WORK/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_start
pg_psql postgres -c "CREATE DATABASE bench"
URL=$(pg_url bench)
"$BIN" db migrate --store "$URL" >/dev/null

# One token per store; rate limits and scheduled training off, as in bench/http_bench.sh.
SQLITE_TOKEN=$("$BIN" token create bench --scope operator --data-dir "$WORK/sqlite" 2>/dev/null)
PG_TOKEN=$(CLOUDOPT_STORE_DRIVER=postgres CLOUDOPT_STORE_URL=$URL "$BIN" token create bench --scope operator \
  --data-dir "$WORK/pg-a" 2>/dev/null)

# serve NAME DATA_DIR [extra args...]: starts one server, prints its port.
serve() {
  local name=$1 dir=$2 port
  shift 2
  port=$(free_port)
  CLOUDOPT_SECURITY_RATE_LIMIT_PER_ADDRESS=0 CLOUDOPT_SECURITY_RATE_LIMIT_PER_CALLER=0 CLOUDOPT_LOOP_RETRAIN_HOURS=0 \
    "$BIN" serve --demo --speed 1 --port "$port" --data-dir "$dir" "$@" >"$WORK/$name.log" 2>&1 &
  echo $! >>"$WORK/pids"
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { tail -20 "$WORK/$name.log" >&2; exit 1; }
  echo "$port"
}

NOW=$(date +%s)
# One day of 1-minute points for the metrics query, pushed through the given server (values raised by $3, if given).
seed() {
  CLOUDOPT_TOKEN=$2 python3 - "$1" "$NOW" "${3:-0}" <<'PY'
import json, os, sys, urllib.request
port, now, offset = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
points = [[now - 86400 + 60 * i, offset + 10 + (i % 60) + i / 1000] for i in range(1440)]
body = json.dumps({"series": [{"resource": "web-frontend", "metric": "bench_cpu", "points": points}]}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/metrics", data=body,
                             headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["CLOUDOPT_TOKEN"]})
assert json.load(urllib.request.urlopen(req))["accepted"] == 1440
PY
}
metrics_path() { echo "/api/metrics?resource=web-frontend&metric=bench_cpu&from=$((NOW - 86400))&to=$NOW&step=300"; }

SQLITE_PORT=$(serve sqlite "$WORK/sqlite")
seed "$SQLITE_PORT" "$SQLITE_TOKEN"
PG_A=$(serve pg-a "$WORK/pg-a" --store "$URL")
seed "$PG_A" "$PG_TOKEN"
# Replicas share the first one's key files (a replica with another master key refuses to start).
for d in pg-b pg-c pg-d; do
  mkdir -p "$WORK/$d"
  chmod 700 "$WORK/$d"
  cp -p "$WORK/pg-a"/*.key "$WORK/$d/"
done
PG_B=$(serve pg-b "$WORK/pg-b" --store "$URL")
# The cache-less pair: two more replicas on the same database.
PG_C=$(CLOUDOPT_SERVER_QUERY_CACHE_MB=0 serve pg-c "$WORK/pg-c" --store "$URL")
PG_D=$(CLOUDOPT_SERVER_QUERY_CACHE_MB=0 serve pg-d "$WORK/pg-d" --store "$URL")
for p in "$PG_A" "$PG_B" "$PG_C" "$PG_D"; do
  n=$(curl -s -H "Authorization: Bearer $PG_TOKEN" "http://127.0.0.1:$p$(metrics_path)" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["points"]))')
  [ "$n" -ge 288 ] || { echo "replica on port $p answers $n points" >&2; exit 1; }
done

# wrk's setup() puts thread i on the i-th listed port: with two ports, each replica gets one thread's 32 connections.
spread_lua() {
  local file=$WORK/spread_$1_$2.lua
  cat >"$file" <<LUA
local ports = { "$1", "$2" }
local n = 0
function setup(thread)
  n = n + 1
  thread.addr = wrk.lookup("127.0.0.1", ports[(n - 1) % #ports + 1])[1]
end
LUA
  echo "$file"
}

# wrk_run URL TOKEN [LUA]: "rps p50_ms p99_ms"
wrk_run() {
  wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $2" ${3:+-s "$3"} "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() {  # CONFIG PATH -> one wrk run
  case $1 in
    sqlite) wrk_run "http://127.0.0.1:$SQLITE_PORT$2" "$SQLITE_TOKEN" ;;
    pg-1) wrk_run "http://127.0.0.1:$PG_A$2" "$PG_TOKEN" ;;
    pg-2) wrk_run "http://127.0.0.1:$PG_A$2" "$PG_TOKEN" "$(spread_lua "$PG_A" "$PG_B")" ;;
    pg-2-nocache) wrk_run "http://127.0.0.1:$PG_C$2" "$PG_TOKEN" "$(spread_lua "$PG_C" "$PG_D")" ;;
  esac
}

declare -A results
for run in $(seq "$RUNS"); do
  for endpoint in resources metrics; do
    path=/api/resources
    [ "$endpoint" = metrics ] && path=$(metrics_path)
    for config in $CONFIGS; do
      r=$(measure "$config" "$path")
      results[$config/$endpoint]+="$r"$'\n'
      echo "run $run $config $endpoint: $r" >&2
    done
  done
done

echo "Read API, SQLite vs PostgreSQL: $RUNS runs of ${DURATION}s, medians; wrk -t2 -c64; $(nproc) cores; $(date -u +%FT%TZ)"
for endpoint in resources metrics; do
  for config in $CONFIGS; do
    r=${results[$config/$endpoint]}
    printf '%-10s %-14s rps %8s   p50 %6s ms   p99 %6s ms\n' "$endpoint" "$config" \
      "$(echo "$r" | awk 'NF {print $1}' | median)" "$(echo "$r" | awk 'NF {print $2}' | median)" \
      "$(echo "$r" | awk 'NF {print $3}' | median)"
  done
done

# Do the replicas answer the same after a write? The day is rewritten through the first replica of each pair (values
# + 1000), then, after the notifications' delay (the writer's bridge sends its sample changes every 100 ms), the
# first bucket is asked of both. Each had cached the day during the measurements.
first_value() {
  curl -s -H "Authorization: Bearer $PG_TOKEN" "http://127.0.0.1:$1$(metrics_path)" |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["points"][0][1], 3))'
}
seed "$PG_A" "$PG_TOKEN" 1000
sleep 0.5
for pair in "pg-2 $PG_A $PG_B" "pg-2-nocache $PG_C $PG_D"; do
  read -r name a b <<<"$pair"
  va=$(first_value "$a") vb=$(first_value "$b")
  if [ "$va" = "$vb" ]; then
    echo "after a write through one replica, $name: both answer $va"
  else
    echo "after a write through one replica, $name: STALE: the writer answers $va, the other replica $vb"
  fi
done
