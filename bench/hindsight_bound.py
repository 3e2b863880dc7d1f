#!/usr/bin/env python3
"""How far above the oracle a policy without foresight must stay on a trace (docs/SAVINGS.md).

For each series, with the simulator's sizing (c: the 99th percentile of the first 80% needs 20 instances; need =
ceil(demand / (c x 0.80)); the last 20% scored), it compares two costs, both relative to static:
  oracle         the largest need over the step and the next one (boot delay 180 s at 5-minute steps), every step;
  p99 constant   one constant count sized for the 99th percentile of the scored part itself, chosen in hindsight:
                 it leaves about 1% of steps unmet, which is the issue's bound.
The p99 constant is not a lower bound for every causal policy. But it shows how much of the oracle's cost comes from
knowing exactly when bursts hit: when no forecast sees them coming, holding 99% of steps costs about this much.

    python3 bench/hindsight_bound.py ../shared/data/*.csv
"""
import collections
import csv
import json
import math
import statistics
import sys


def series_of(path):
    series = collections.defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            series[row["series"]].append((int(row["timestamp"]), float(row["value"])))
    return {k: [v for _, v in sorted(points)] for k, points in series.items()}


def quantile(sorted_values, q):
    return sorted_values[int(q * (len(sorted_values) - 1))]


def bound(values):
    n = len(values)
    first = int(n * 0.8)
    c = quantile(sorted(values[:first]), 0.99) / 20 or 1.0
    need = [max(1, math.ceil(v / (c * 0.8) - 1e-9)) for v in values]
    static = math.ceil(max(values[:first]) / (c * 0.8)) * (n - first)
    oracle = sum(max(need[k:k + 2]) for k in range(first, n))
    p99 = math.ceil(quantile(sorted(values[first:]), 0.99) / (c * 0.8)) * (n - first)
    return oracle / static, p99 / static


def main(paths):
    for path in paths:
        rows = [bound(v) for v in series_of(path).values() if len(v) >= 50]
        oracle = statistics.mean(r[0] for r in rows)
        p99 = statistics.mean(r[1] for r in rows)
        print(json.dumps({"data": path.rsplit("/", 1)[-1], "series": len(rows), "oracle_cost_rel": round(oracle, 3),
                          "p99_constant_cost_rel": round(p99, 3), "ratio_to_oracle": round(p99 / oracle, 2)}))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
