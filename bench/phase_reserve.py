#!/usr/bin/env python3
"""What would sizing by the phase of a short period cost? An exploration for docs/SAVINGS.md, not a policy we ship.

Twitter's load more than triples for about six minutes from minute 32 of about half of the odd hours; periodic78's
VMs burst "hourly or so". A forecast of the median does not see such bursts coming (half the hours have none),
and a band sized for them everywhere pays for them all the time. This sizes each step from the last value known
one boot delay before it, times a multiplier: the q-quantile of (value / that earlier value) over the training
steps at the same phase of the period (and the phases either side), so the reserve is paid only where bursts
happen. Same sizing and scoring as the simulator (c: the 99th percentile of the first 80% needs 20 instances;
need = ceil(demand / (c x 0.80)); the last 20% scored; the oracle runs the largest need from the step to one boot
delay ahead). Values of 0 are taken as missing (twitter's daily gap): never scored.

    python3 bench/phase_reserve.py FILE.csv PERIOD_SECONDS [BOOT_DELAY_SECONDS]
"""
import collections
import csv
import math
import sys


def series_of(path):
    series = collections.defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            series[row["series"]].append((int(row["timestamp"]), float(row["value"])))
    return {k: sorted(points) for k, points in series.items()}


def quantile(values, q):
    values = sorted(values)
    return values[int(q * (len(values) - 1))]


def explore(points, period, boot_delay, levels):
    ts = [t for t, _ in points]
    v = [x for _, x in points]
    step = ts[1] - ts[0]
    lead = math.ceil(boot_delay / step)
    n, first = len(v), int(len(v) * 0.8)
    c = quantile(v[:first], 0.99) / 20 or 1.0
    need = [max(1, math.ceil(x / (c * 0.8) - 1e-9)) for x in v]
    static = math.ceil(max(v[:first]) / (c * 0.8)) * (n - first)
    scored = [k for k in range(first, n) if v[k] > 0]
    oracle = sum(max(need[k:k + lead + 1]) for k in range(first, n))
    phases = max(1, period // step)
    ratios = collections.defaultdict(list)
    for k in range(lead + 1, first):
        if v[k] > 0 and v[k - lead - 1] > 0:
            ratios[(ts[k] % period) // step].append(v[k] / v[k - lead - 1])
    out = {"oracle": oracle / static}
    for q in levels:
        multiplier = {p: quantile(r, q) for p, r in ratios.items()}
        cost, unmet = 0, 0
        for k in range(first, n):
            phase = (ts[k] % period) // step
            m = max(multiplier.get((phase + d) % phases, 1.0) for d in (-1, 0, 1))
            capacity = max(1, math.ceil(v[k - lead - 1] * m / (c * 0.8)))
            cost += capacity
            unmet += k in scored and need[k] > capacity
        out[q] = (cost / static, unmet / max(1, len(scored)))
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, period = sys.argv[1], int(sys.argv[2])
    boot_delay = int(sys.argv[3]) if len(sys.argv) > 3 else 180
    levels = (0.95, 0.98, 0.99, 0.995)
    results = [explore(points, period, boot_delay, levels) for points in series_of(path).values()]
    oracle = sum(r["oracle"] for r in results) / len(results)
    print(f"{path}: period {period} s, {len(results)} series; oracle cost_rel {oracle:.3f}")
    for q in levels:
        cost = sum(r[q][0] for r in results) / len(results)
        unmet = sum(r[q][1] for r in results) / len(results)
        print(f"  q={q}: cost_rel {cost:.3f} ({cost / oracle:.2f} x oracle), unmet {unmet:.4f}")


if __name__ == "__main__":
    main()
