#!/usr/bin/env bash
# docs/COSTS.md "Commitments": what a 1-year commitment planned from the forecast would have saved over each trace's
# scored part, on every trace of ../shared/data; one JSON file each in OUT and a Markdown table on stdout.
#   bench/commitments.sh [OUT=/tmp/cloudopt-commitments] [build/release] [extra flags, e.g. --provider azure --instance-type Standard_D2s_v5]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/cloudopt-commitments}
build=${2:-build/release}
shift $(( $# > 2 ? 2 : $# )) || true
mkdir -p "$out"
for f in ../shared/data/*.csv; do
  name=$(basename "$f" .csv)
  "$build/cloudopt" costs commitments --data "$f" --json "$@" > "$out/$name.json" 2> "$out/$name.log" ||
    rm -f "$out/$name.json"
done
/usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
import statistics
print("| file | series | committed (mean) | held 90% of hours (mean) | forecast peak (median) | predicted saving p50 | realized | best in hindsight | realized inside p10-p90 | lost money |")
print("|---|---|---|---|---|---|---|---|---|---|")
for f in sorted(os.listdir(out)):
    if not f.endswith(".json"):
        continue
    c = json.load(open(os.path.join(out, f)))
    per = c["per_series"].values()
    held = statistics.mean(s["stays_above_p90"] for s in per)
    peak = statistics.median(s["peak"] for s in per)
    print(f"| {f[:-5]} | {c['series']} | {c['mean_committed']:.1f} | {held:.1f} | {peak:g} | "
          f"{100*c['predicted_saving_share_p50']:.1f}% | {100*c['realized_saving_share']:.1f}% | "
          f"{100*c['hindsight_saving_share']:.1f}% | {100*c['realized_inside_p10_p90']:.0f}% | {c['series_that_lost']} |")
PY
/usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print()
print("| file | pooled series | pool commits | sum of per-series commitments | predicted gain (p50 share) | pool realized | per-series realized | pool best in hindsight | per-series best in hindsight |")
print("|---|---|---|---|---|---|---|---|---|")
for f in sorted(os.listdir(out)):
    if not f.endswith(".json"):
        continue
    p = json.load(open(os.path.join(out, f))).get("pool")
    if not p:
        continue
    print(f"| {f[:-5]} | {p['series']} | {p['recommended']} | {p['members_committed']} | "
          f"{100*p['predicted_gain_share']:+.1f} pts | {100*p['realized_saving_share']:.1f}% | "
          f"{100*p['members_realized_saving_share']:.1f}% | {100*p['hindsight_saving_share']:.1f}% | "
          f"{100*p['members_hindsight_saving_share']:.1f}% |")
PY
