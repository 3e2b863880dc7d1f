#!/usr/bin/python3
"""Would a differently shaped band cost issue 4's predictive policy less? An exploration for docs/SAVINGS.md.

  bench/band_shapes.py FILE.csv [FILE.csv ...] [--budget 0.005]

On bitbrains and sample100 what the predictive policy pays above the oracle is forecast error (docs/SAVINGS.md):
the band's width. The plain band is one offset per step ahead added to the point forecast. Two other shapes are
standard in conformal prediction, and a third is a rule a user could set (here each is given to every series; the
service chooses bands by level per series, where they fit its calibration errors better):
- volatility-normalized: the score is error / (recent mean absolute error), so the band widens after noisy steps and
  narrows after quiet ones (Lei et al., "Distribution-free predictive inference for regression", 2018, §5.2);
- by level: Mondrian groups of the calibration errors by the forecast's own level (six groups at the calibration
  forecasts' sextiles), so a VM pegged at its maximum gets the narrow band its top level earned;
- capped at history: p95 never above the larger of the median forecast and the highest training load.
A stand-in of the service's loop runs each: a direct least-squares autoregression on the last 8 values known two
steps before (a decision at a 5-minute boundary knows the steps finished before it, and capacity launched then
serves from the next), split-conformal p95, tracked (band_tracker.hpp), the service-level correction at `--budget`
(docs/ALLOCATION.md, rule 0) and the reactive floor. Sizing, c and scoring are the simulator's (need at 0.80,
planner at 0.75, the last 20% scored); the oracle runs the largest need of the step and the next.
It prints cost_rel, unmet and cost / oracle per file and shape, means over series. On bitbrains the stand-in costs
1.40x the oracle against the real planner's 1.35x, so it ranks shapes; it does not replace `cloudopt simulate`.
"""
import argparse
import csv
import math
from collections import defaultdict

import numpy as np

LAGS, AHEAD, LEVEL, RATE = 8, 2, 0.95, 0.2


def read(path):
    series = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            series[row["series"]].append((int(row["timestamp"]), float(row["value"])))
    return {k: np.array([v for _, v in sorted(points)]) for k, points in series.items()}


def conformal(errors, level):
    s = np.sort(errors)
    return s[min(len(s) - 1, int(math.ceil((len(s) + 1) * level)) - 1)]


def replay(v, shape, budget):
    n = len(v)
    first = int(n * 0.8)
    cal0 = int(first * 0.75)  # the calibration window: the last 25% of the training part
    c = np.quantile(v[:first], 0.99) / 20 or 1.0
    idx = np.arange(LAGS + AHEAD, n)
    x = np.stack([v[idx - AHEAD - j] for j in range(LAGS)] + [np.ones(len(idx))], 1)
    y = v[idx]
    fit = idx < cal0
    w, *_ = np.linalg.lstsq(x[fit], y[fit], rcond=None)
    f = np.maximum(x @ w, 0)
    err = y - f
    cal = (idx >= cal0) & (idx < first)

    scale = np.ones(len(idx))
    if shape == "normalized":  # recent mean |error| of forecasts whose actual is known at the decision
        m = np.mean(np.abs(err[fit])) + 1e-9
        for i in range(len(idx)):
            scale[i] = m
            if i - AHEAD + 1 >= 0:
                m = 0.95 * m + 0.05 * abs(err[i - AHEAD + 1])
    score = err / scale
    group = np.zeros(len(idx), dtype=int)
    if shape == "by level":
        group = np.searchsorted(np.quantile(f[cal], np.linspace(0, 1, 7)[1:-1]), f)
    everyone = conformal(score[cal], LEVEL)
    offsets = [conformal(score[cal & (group == g)], LEVEL) if (cal & (group == g)).sum() >= 20 else everyone
               for g in range(group.max() + 1)]
    history_max = v[:first].max()

    shift, correction, width = 0.0, 0.0, None
    scale0 = np.mean(np.abs(score[cal])) + 1e-9
    recent = scale0
    need = np.maximum(1, np.ceil(v / (c * 0.8) - 1e-9))
    scored = np.nonzero(idx >= first)[0]
    static = math.ceil(history_max / (c * 0.8)) * len(scored)
    cost = unmet = oracle = 0
    for i in scored:
        j = i - AHEAD  # the newest forecast whose actual is known: the tracker moves the band by it
        recent = 0.99 * recent + 0.01 * abs(score[j])
        step = 0.1 * max(scale0, recent)
        shift += step * LEVEL if score[j] > offsets[group[j]] + shift else -step * (1 - LEVEL)
        p95 = f[i] + (offsets[group[i]] + shift) * scale[i]
        if shape == "capped at history":
            p95 = min(p95, max(f[i], history_max))
        above = max(p95 - f[i], 0.0)
        width = above if width is None else 0.997 * width + 0.003 * above
        sized = max(f[i], p95 + correction * width)
        floor = math.ceil(v[idx[i] - AHEAD] / (c * 0.8) - 1e-9)
        instances = max(1, math.ceil(sized / (c * 0.75)), floor)
        starved = y[i] > instances * c
        cost += instances
        unmet += starved
        correction = max(-1.0, correction + (RATE * (1 - budget) if starved else -RATE * budget))
        oracle += max(need[idx[i]:idx[i] + 2])
    return cost / static, unmet / len(scored), oracle / static


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--budget", type=float, default=0.005, help="the service-level correction's unmet budget")
    args = parser.parse_args()
    for path in args.files:
        series = read(path)
        for shape in ("one offset", "normalized", "by level", "capped at history"):
            r = np.array([replay(v, shape, args.budget) for v in series.values()])
            cost, unmet, oracle = r[:, 0].mean(), r[:, 1].mean(), r[:, 2].mean()
            print(f"{path.split('/')[-1]:32} {shape:18} cost_rel {cost:.4f}  unmet {unmet:.4f}  "
                  f"cost / oracle {cost / oracle:.3f}")


if __name__ == "__main__":
    main()
