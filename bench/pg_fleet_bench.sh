#!/usr/bin/env bash
# RESOURCES resources (default 10,000) on the simulated cloud, planned by REPLICAS `cloudopt serve` replicas (1 or 2)
# on a PostgreSQL this script starts (issue 31 item 4, docs/PERFORMANCE.md): does every tick finish within the tick
# period, and how much memory does a resource cost?
#
#   1. The replicas start on an empty database (provider `aws` on the simulated driver, scheduled training off) and
#      run a tick; their RSS then is the baseline.
#   2. RESOURCES resources are inserted with one SQL statement (the API would take minutes to create them one by
#      one; the loop reads the resources from the store every tick, so it sees them the same way). Each replays a
#      bundled demo trace by its provider_ref fleet/<trace>/<n> (src/app/simulated_fleet.hpp), with the demo's
#      sizes for that trace, in auto mode. HISTORY_HOURS (default 24) of 5-minute load history per resource are
#      pushed through POST /api/metrics, so every pass forecasts from history as in production.
#   3. TICKS ticks (default 3) that start after the history is in are timed per replica from its /metrics
#      (cloudopt_loop_pass_seconds: one observation per pass of the provider's lane, read every second), against
#      the tick period (loop.tick_seconds, default 60 as in production). RSS after them minus the baseline, over
#      the resources the replica holds, is the memory per resource; it includes the simulated cloud's copy of the
#      trace each group replays (4,032 points, 32 KB), which a real cloud does not cost, printed beside it.
#
# usage: bench/pg_fleet_bench.sh [build_dir=build/release]
# env: RESOURCES (10000), REPLICAS (1), TICKS (3), TICK_SECONDS (60), HISTORY_HOURS (24), LEASE_SECONDS (15),
#      PARALLEL (loop.parallel_resources; unset: the binary's default, 6 on PostgreSQL), STOP_GRACE (30),
#      WATCH_SECONDS (how long to wait for the timed passes; default (TICKS + 2) ticks + 30 s),
#      PERF_OUT (a file: perf record -g of replica 1 for 30 s, from the end of its first pass with the resources)
# A replica also reports its own planning in /metrics; the watch reads it once a second, which costs the replica a
# few percent of a core with 10,000 resources' series of per-resource metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
RESOURCES=${RESOURCES:-10000}
REPLICAS=${REPLICAS:-1}
TICKS=${TICKS:-3}
TICK_SECONDS=${TICK_SECONDS:-60}
HISTORY_HOURS=${HISTORY_HOURS:-24}
LEASE_SECONDS=${LEASE_SECONDS:-15}
BIN="$BUILD/cloudopt"
[ -x "$BIN" ] || { echo "build first: make build-release" >&2; exit 1; }
. bench/pg_server.sh

WORK=$(mktemp -d)
chmod 755 "$WORK"
SERVERS=()
cleanup() {
  local p i=0 t0 killer
  # SIGTERM, as Kubernetes stops a pod, with its default 30-s grace period (STOP_GRACE) before kill -9: a lane ends its
  # pass at the next resource, so the stop should take seconds, not the rest of a pass. Timed and printed.
  for p in "${SERVERS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  t0=$(date +%s.%N)
  for p in "${SERVERS[@]}"; do
    i=$((i + 1))
    ( sleep "${STOP_GRACE:-30}"; kill -9 "$p" 2>/dev/null ) &
    killer=$!
    wait "$p" 2>/dev/null || true
    kill "$killer" 2>/dev/null || true
    wait "$killer" 2>/dev/null || true
    echo "replica $i ended $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after SIGTERM (kill -9 at ${STOP_GRACE:-30} s)"
  done
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_start
pg_psql postgres -c "CREATE DATABASE bench"
URL=$(pg_url bench)
"$BIN" db migrate --store "$URL" >/dev/null
export CLOUDOPT_STORE_DRIVER=postgres CLOUDOPT_STORE_URL=$URL
cat >"$WORK/cloudopt.yaml" <<YAML
providers:
  aws:
    driver: simulated
loop:
  tick_seconds: $TICK_SECONDS
  retrain_hours: 0
${PARALLEL:+  parallel_resources: $PARALLEL}
cluster:
  lease_seconds: $LEASE_SECONDS
security:
  rate_limit_per_address: 0
  rate_limit_per_caller: 0
YAML
TOKEN=$("$BIN" token create bench --scope operator --data-dir "$WORK/r1" 2>/dev/null)

PORTS=()
for i in $(seq "$REPLICAS"); do
  if [ "$i" -gt 1 ]; then  # replicas share the first one's key files
    mkdir -p "$WORK/r$i"
    chmod 700 "$WORK/r$i"
    cp -p "$WORK/r1"/*.key "$WORK/r$i/"
  fi
  port=$(free_port)
  "$BIN" serve --config "$WORK/cloudopt.yaml" --port "$port" --data-dir "$WORK/r$i" >"$WORK/r$i.log" 2>&1 &
  SERVERS+=($!)
  PORTS+=("$port")
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { tail -20 "$WORK/r$i.log" >&2; exit 1; }
done
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# "sum count" of the lane's pass histogram on a replica's /metrics.
passes() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^cloudopt_loop_pass_seconds_sum/ { s = $2 } /^cloudopt_loop_pass_seconds_count/ { c = $2 }
    END { print s + 0, c + 0 }'
}
sleep $((TICK_SECONDS + 5))
BASE=()
for i in $(seq "$REPLICAS"); do BASE+=("$(rss_kb "${SERVERS[$((i - 1))]}")"); done

NOW=$(date +%s)
pg_psql bench -c "
INSERT INTO resources (name, provider, provider_ref, instance_type, min_capacity, max_capacity, target_low, target_high,
                       mode, boot_delay_s, load_metric, capacity_per_instance, created_at, updated_at)
SELECT 'fleet-' || i, 'aws', 'fleet/' || t.trace || '/' || i, t.type, t.min_c, t.max_c, 0.5, 0.75, 'auto', t.boot,
       t.metric, t.per_instance, $NOW, $NOW
FROM generate_series(1, $RESOURCES) i
JOIN (VALUES (0, 'web_frontend', 'm5.large', 1, 40, 120, 'requests_per_second', 8.0),
             (1, 'api_gateway', 'm5.xlarge', 2, 40, 180, 'cpu_cores', 4.0),
             (2, 'batch_workers', 'm5.large', 1, 30, 240, 'cpu_cores', 2.0),
             (3, 'checkout', 'm5.large', 2, 40, 60, 'cpu_cores', 1.0))
  AS t(k, trace, type, min_c, max_c, boot, metric, per_instance) ON t.k = i % 4"

# History through the API, 100 resources per request, 2 requests in flight per replica: a daily wave around each
# trace's usual level.
CLOUDOPT_TOKEN=$TOKEN python3 - "$NOW" "$RESOURCES" "$HISTORY_HOURS" "${PORTS[@]}" <<'PY'
import json, math, os, sys, threading, urllib.request
now, n, hours = (int(a) for a in sys.argv[1:4])
ports = [int(p) for p in sys.argv[4:]]
level = {0: (200.0, "requests_per_second"), 1: (40.0, "cpu_cores"), 2: (20.0, "cpu_cores"), 3: (10.0, "cpu_cores")}
start = (now - hours * 3600) // 300 * 300
times = list(range(start, now - 300, 300))
firsts = list(range(1, n + 1, 100))
lock = threading.Lock()
def push(port):
    while True:
        with lock:
            if not firsts:
                return
            first = firsts.pop()
        series = []
        for i in range(first, min(n, first + 99) + 1):
            base, metric = level[i % 4]
            points = [[t, round(base * (1 + 0.5 * math.sin(2 * math.pi * ((t + 37 * i) % 86400) / 86400)), 3)] for t in times]
            series.append({"resource": f"fleet-{i}", "metric": metric, "points": points})
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/metrics", data=json.dumps({"series": series}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["CLOUDOPT_TOKEN"]})
        try:
            urllib.request.urlopen(req, timeout=600).read()
        except Exception as e:  # the run is void without the whole history
            errors.append(f"resources {first}..: {e}")
            return
errors = []
workers = [threading.Thread(target=push, args=(p,)) for p in ports for _ in range(2)]
for w in workers: w.start()
for w in workers: w.join()
sys.exit("history push failed: " + "; ".join(errors) if errors else 0)
PY
echo "$RESOURCES resources inserted, ${HISTORY_HOURS} h of history pushed: $(($(date +%s) - NOW)) s" >&2

# Watch the passes: one line "replica duration_s" per pass that started after the history was in (the passes before
# it also create the simulated groups).
WATCH=${WATCH_SECONDS:-$(( (TICKS + 2) * TICK_SECONDS + 30 ))}
: >"$WORK/passes"
declare -A last_sum last_count seen
for i in $(seq "$REPLICAS"); do
  read -r s c < <(passes "${PORTS[$((i - 1))]}")
  last_sum[$i]=$s last_count[$i]=$c seen[$i]=0
done
watch_from=$(date +%s)
deadline=$((watch_from + WATCH))
while [ "$(date +%s)" -lt "$deadline" ]; do
  done_all=1
  for i in $(seq "$REPLICAS"); do
    read -r s c < <(passes "${PORTS[$((i - 1))]}")
    if awk -v c="$c" -v l="${last_count[$i]}" 'BEGIN { exit !(c > l) }'; then
      d=$(awk -v s="$s" -v l="${last_sum[$i]}" -v c="$c" -v lc="${last_count[$i]}" 'BEGIN { printf "%.3f", (s - l) / (c - lc) }')
      # A pass that started before the watch (before the history was in) is not timed.
      if awk -v now="$(date +%s)" -v d="$d" -v from="$watch_from" 'BEGIN { exit !(now - d + 1 >= from) }'; then
        seen[$i]=$((seen[$i] + 1))
        echo "$i $d" >>"$WORK/passes"
      fi
      if [ "$i" = 1 ] && [ -n "${PERF_OUT:-}" ] && [ ! -e "$PERF_OUT" ]; then
        perf record -g -o "$PERF_OUT" -p "${SERVERS[0]}" -- sleep 30 >/dev/null 2>&1 &
      fi
      echo "replica $i pass: ${d} s" >&2
      last_sum[$i]=$s last_count[$i]=$c
    fi
    [ "${seen[$i]}" -ge "$TICKS" ] || done_all=0
  done
  [ "$done_all" = 1 ] && break
  sleep 1
done

HELD=$(pg_psql bench -At -c "SELECT string_agg(n::text, ' ' ORDER BY n DESC) FROM (SELECT count(*) n FROM resource_leases
  WHERE expires_at > now() GROUP BY holder) h" 2>/dev/null || echo "?")
echo "Fleet on the simulated cloud: $RESOURCES resources, $REPLICAS replica(s) on PostgreSQL, tick ${TICK_SECONDS} s, ${HISTORY_HOURS} h history; $(nproc) cores; $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "resources held per replica (live leases): ${HELD:-none}"
# Each planning pass of a resource is logged with its tick (plan_log, written under the lease): resources planned in
# each of the last ticks, over all replicas.
PLANNED=$(pg_psql bench -At -c "SELECT string_agg(n::text, ' ' ORDER BY tick) FROM (SELECT tick, count(DISTINCT resource_id) n
  FROM plan_log GROUP BY tick ORDER BY tick DESC LIMIT $((TICKS + 1))) t" 2>/dev/null || echo "?")
echo "resources planned per tick, last $((TICKS + 1)) ticks (plan_log): ${PLANNED:-none}"
for i in $(seq "$REPLICAS"); do
  awk -v r="$i" '$1 == r { print $2 }' "$WORK/passes" | sort -g | awk -v r="$i" -v tick="$TICK_SECONDS" '{ d[++n] = $1 } END {
    if (n == 0) { printf "replica %d: no timed pass\n", r; exit }
    over = 0; for (k = 1; k <= n; k++) if (d[k] > tick) over++
    printf "replica %d: %d passes; min %.1f s, median %.1f s, max %.1f s; over the %d s tick: %d\n",
      r, n, d[1], d[int((n + 1) / 2)], d[n], tick, over }'
  rss=$(rss_kb "${SERVERS[$((i - 1))]}")
  echo "replica $i RSS: $((BASE[i - 1] / 1024)) MB before the resources, $((rss / 1024)) MB after"
done
total_base=0 total_rss=0
for i in $(seq "$REPLICAS"); do
  total_base=$((total_base + BASE[i - 1]))
  total_rss=$((total_rss + $(rss_kb "${SERVERS[$((i - 1))]}")))
done
echo "memory per resource (all replicas' RSS delta / $RESOURCES): $(( (total_rss - total_base) / RESOURCES )) KB, of which 32 KB is the simulated cloud's trace copy"
