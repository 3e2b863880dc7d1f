#!/usr/bin/env bash
# docs/COSTS.md's numbers in one run: the cost/risk frontier (`simulate --sweep`) and the spend-forecast backtest
# (`costs backtest`) on every trace of ../shared/data, one JSON file each in OUT, and a summary table on stdout.
#   bench/cost_intelligence.sh [OUT=/tmp/cloudopt-costs] [build/release] [extra sweep flags...]
# The sweep takes minutes per file on two cores (the predictive policy's model, trained once per series); the
# backtest seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/cloudopt-costs}
build=${2:-build/release}
shift $(( $# > 2 ? 2 : $# )) || true
mkdir -p "$out"
for f in ../shared/data/*.csv; do
  name=$(basename "$f" .csv)
  # A trace shorter than the span and a day of history cannot be backtested: the reason goes to its .log.
  "$build/cloudopt" costs backtest --data "$f" --json > "$out/$name.backtest.json" 2> "$out/$name.backtest.log" ||
    rm -f "$out/$name.backtest.json"
  if [ ! -s "$out/$name.sweep.json" ]; then
    "$build/cloudopt" simulate --sweep --data "$f" --jobs 2 --unmet-budget 0.005 --json --report "$out/$name.sweep.html" \
      "$@" > "$out/$name.sweep.json.tmp" 2> "$out/$name.sweep.log"
    mv "$out/$name.sweep.json.tmp" "$out/$name.sweep.json"
  fi
done
/usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
for f in sorted(os.listdir(out)):
    if f.endswith(".backtest.json"):
        b = json.load(open(os.path.join(out, f)))
        print(f"{f[:-14]:24} backtest: {b['series']} series, p50 error {100*b['p50_mape']:.1f}% (bias {100*b['p50_bias']:+.1f}%), "
              f"inside p10-p90 {100*b['coverage_p10_p90']:.0f}%, naive error {100*b['naive_mape']:.1f}%")
for f in sorted(os.listdir(out)):
    if f.endswith(".sweep.json"):
        s = json.load(open(os.path.join(out, f)))
        print(f"\n{f[:-11]} ({s['series']} series, {s['seconds']:.0f} s):")
        for p in s["points"]:
            setting = " ".join(f"{k}={v:g}" for k, v in p["setting"].items())
            print(f"  {p['policy']:10} {setting:32} cost {p['cost_rel']:.3f}  unmet {100*p['unmet']:.2f}%  hot {100*p['hot']:.2f}%  flaps/d {p['flaps_per_day']:.2f}")
        c = s["cheapest"]
        print("  cheapest within %.2f%%: %s" % (100*s["unmet_budget"], "none" if c is None else
              f"{c['policy']} {c['setting']} cost {c['cost_rel']:.3f} unmet {100*c['unmet']:.2f}%"))
PY
