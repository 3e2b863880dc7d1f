#!/usr/bin/env bash
# HTTP benchmarks of `cloudopt serve` (docs/PERFORMANCE.md): wrk at 64 connections against GET /api/resources and
# GET /api/metrics (one day of 1-minute points downsampled to 5 minutes), flat out and paced at about 21,000
# requests/s, and POST /api/metrics in batches of 1,000 samples through bench/ingest_load. Each is run RUNS times
# (default 3); the medians are printed.
#
# usage: bench/http_bench.sh [build_dir=build/release]
set -euo pipefail
BUILD=${1:-build/release}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WRK_THREADS=${WRK_THREADS:-2}
BIN="$BUILD/cloudopt"
LOAD="$BUILD/bench/ingest_load"
[ -x "$BIN" ] && [ -x "$LOAD" ] || { echo "build first: make build-release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Requests are authenticated as in production (an API token, checked on every request); the rate limits are
# off, since one load generator on one address is exactly what they exist to stop. Scheduled training is off
# (loop.retrain_hours=0): at start-up it would train the demo's LSTMs on one of the two cores for minutes, which
# measures the trainer, not the API (in production it runs once a day per resource).
TOKEN=$("$BIN" token create bench --scope operator --data-dir "$WORK/data" 2>/dev/null)
export CLOUDOPT_TOKEN=$TOKEN
AUTH="Authorization: Bearer $TOKEN"
CLOUDOPT_SECURITY_RATE_LIMIT_PER_ADDRESS=0 CLOUDOPT_SECURITY_RATE_LIMIT_PER_CALLER=0 CLOUDOPT_LOOP_RETRAIN_HOURS=0 \
  "$BIN" serve --demo --speed 1 --port "$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# One day of 1-minute points for the metrics query.
NOW=$(date +%s)
python3 - "$PORT" "$NOW" <<'PY'
import json, sys, urllib.request
port, now = int(sys.argv[1]), int(sys.argv[2])
points = [[now - 86400 + 60 * i, 10 + (i % 60) + i / 1000] for i in range(1440)]
body = json.dumps({"series": [{"resource": "web-frontend", "metric": "bench_cpu", "points": points}]}).encode()
import os
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/metrics", data=body,
                             headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["CLOUDOPT_TOKEN"]})
assert json.load(urllib.request.urlopen(req))["accepted"] == 1440
PY
METRICS_URL="http://127.0.0.1:$PORT/api/metrics?resource=web-frontend&metric=bench_cpu&from=$((NOW - 86400))&to=$NOW&step=300"
[ "$(curl -s -H "$AUTH" "$METRICS_URL" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["points"]))')" -ge 288 ]

# Paced runs: each connection waits 2 ms after every answer (wrk's Lua delay() counts whole milliseconds), so the
# 64 connections offer about 21,000 requests/s: the latency at the target's rate, not at saturation.
PACED="$WORK/paced.lua"
echo 'function delay() return 2 end' >"$PACED"

# wrk's latency lines are "50%  1.23ms" with us/ms/s units; normalize to ms.
wrk_run() {
  wrk -t"$WRK_THREADS" -c64 -d"${DURATION}s" --latency -H "$AUTH" ${2:+-s "$2"} "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

report() {
  local name=$1 url=$2 script=${3:-} results
  results=$(for _ in $(seq "$RUNS"); do wrk_run "$url" "$script"; done)
  printf '%-28s rps %8s   p50 %6s ms   p99 %6s ms\n' "$name" \
    "$(echo "$results" | awk '{print $1}' | median)" "$(echo "$results" | awk '{print $2}' | median)" \
    "$(echo "$results" | awk '{print $3}' | median)"
}

echo "cloudopt HTTP benchmark: $RUNS runs of ${DURATION}s each, medians; wrk $WRK_THREADS thread(s), 64 connections; $(nproc) cores; $(date -u +%FT%TZ)"
report "GET /api/resources" "http://127.0.0.1:$PORT/api/resources"
report "GET /api/metrics (288 pts)" "$METRICS_URL"
report "  paced, GET /api/resources" "http://127.0.0.1:$PORT/api/resources" "$PACED"
report "  paced, GET /api/metrics" "$METRICS_URL" "$PACED"
ingest=$(for _ in $(seq "$RUNS"); do "$LOAD" "$PORT" web-frontend 4 1000 "$DURATION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples_per_second"])'; done)
printf '%-28s samples/s %10s\n' "POST /api/metrics (x1000)" "$(echo "$ingest" | median)"
