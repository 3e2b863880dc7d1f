#!/usr/bin/env python3
"""How accurate each step ahead can be, and how much it would take to see past the target (docs/FORECASTING.md).

For each series, a direct least-absolute-error regression with the inputs of cloudopt's `linear` model (the last 48
values, the values one day before, a constant; fitted on the first 80%, 12 rounds of reweighting) is scored on the
last 20%, as `cloudopt backtest` scores: accuracy = 1 - WAPE per series, then the mean over series.
  step k      the forecast k steps ahead from the past alone (k = 1..H);
  + K after   the same regression for the value at the origin (one step ahead) given also the K values that follow
              it: an estimator that sees the future, which no forecaster has.
Where a target at horizon H lies above the one-step column, or near the "+ K after" ones, no forecaster from the past
is likely to reach it: the mean over steps 1..H cannot exceed the best step, and a one-step forecast is rarely
better than one that knows what came next. It is evidence, not a proof: a nonlinear model could in principle see
structure a linear one cannot (the LSTM, nonlinear, scores the same on NASA).

    python3 bench/foresight_bound.py ../shared/data/nasa_http.csv [--horizon 3] [--series 6]

Needs python3-numpy (apt-get install python3-numpy). Seconds per file.
"""
import argparse
import collections
import csv

import numpy as np

LAGS = 48


def read(path):
    series = collections.defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            series[row["series"]].append((int(row["timestamp"]), float(row["value"])))
    out = {}
    for sid, points in series.items():
        points.sort()
        step = points[1][0] - points[0][0] if len(points) > 1 else 0
        out[sid] = (step, np.array([v for _, v in points]))
    return out


def fit_least_absolute(x, y, rounds=12):
    ridge = 1e-4 * len(x) * np.eye(x.shape[1])
    ridge[-1, -1] = 0.0  # the constant is not shrunk
    w = np.linalg.solve(x.T @ x + ridge, x.T @ y)
    for _ in range(rounds):
        a = 1.0 / np.maximum(np.abs(y - x @ w), 1e-3)
        w = np.linalg.solve((x * a[:, None]).T @ x + ridge, (x * a[:, None]).T @ y)
    return w


def accuracy(forecast, actual):
    return 1.0 - np.abs(forecast - actual).sum() / np.abs(actual).sum()


def scores(step, y, horizon, after):
    n = len(y)
    train = int(n * 0.8)
    day = 86400 // step if step > 0 and 86400 % step == 0 and 86400 // step > horizon + 5 else 0
    z = y / (np.mean(np.abs(y[:train])) or 1.0)
    first = max(LAGS, day + 5)

    def inputs(t, k, seen_after):
        # Forecast z[t + k] from z[:t]; seen_after values after the target are given as well.
        cols = [z[t - lag] for lag in range(LAGS, 0, -1)]
        if day:
            cols += [z[t - day + j] for j in range(-2, horizon + 2)]
        cols += [z[np.minimum(t + k + 1 + j, n - 1)] for j in range(seen_after)]
        return np.stack(cols + [np.ones(len(t))], 1)

    fit_origins = np.arange(first, train - horizon - max(after))
    scored = np.arange(train, n - horizon - max(after))
    per_step = []
    for k in range(horizon):
        w = fit_least_absolute(inputs(fit_origins, k, 0), z[fit_origins + k])
        per_step.append(accuracy(np.maximum(inputs(scored, k, 0) @ w, 0), z[scored + k]))
    seeing = []
    for seen in after:
        w = fit_least_absolute(inputs(fit_origins, 0, seen), z[fit_origins])
        seeing.append(accuracy(np.maximum(inputs(scored, 0, seen) @ w, 0), z[scored]))
    return per_step, seeing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE.csv")
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--series", type=int, default=0, help="the first N series of each file (0: all)")
    args = parser.parse_args()
    after = (1, 2, 5)
    for path in args.files:
        rows = [scores(step, y, args.horizon, after)
                for step, y in list(read(path).values())[:args.series or None] if step > 0 and len(y) > 2000]
        if not rows:
            print(f"{path}: no series long enough (2,000 points)")
            continue
        per_step = np.mean([r[0] for r in rows], axis=0)
        seeing = np.mean([r[1] for r in rows], axis=0)
        print(f"{path.split('/')[-1]:<28} series {len(rows):3d}  "
              + "  ".join(f"step {k + 1} {a:.4f}" for k, a in enumerate(per_step))
              + f"  mean {per_step.mean():.4f}  |  one step + "
              + "  ".join(f"{s} after {a:.4f}" for s, a in zip(after, seeing)))


if __name__ == "__main__":
    main()
