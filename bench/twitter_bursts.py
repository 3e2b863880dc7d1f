#!/usr/bin/python3
"""What foreseeing twitter's bursts would be worth, and how much of it the past tells (docs/FORECASTING.md).

  bench/twitter_bursts.py [../shared/data/twitter_stream_2021_08.csv] [--horizon 3]

Twitter's load more than triples for about ten minutes from minute 32 of about half of the odd hours. Once a
burst has started, its course is easy; which hours burst is the question. This script:
1. marks each hour that bursts (its minutes 33-39 average more than twice its minutes 15-29) and prints how often
   each odd hour of the day bursts and whether a burst follows a burst (the past's whole say in it);
2. fits foresight_bound.py's regression (the last 48 values, the values one day before, a constant; least absolute
   error; every step ahead its own) on the first 80% and scores it on the last 20% as `backtest` does, with more
   inputs for the minutes 30-43 of odd hours: (a) those minutes alone, (b) also the training share of bursts at the
   hour of the day and whether the odd hour before burst (causal: a forecaster could know them), (c) also whether
   the target's hour bursts, with that times the last value (foresight: no forecaster knows it).
The gap between (b) and (c) is what telling bursts apart before they start would be worth to this regression.
Needs python3-numpy; a minute at --horizon 12.
"""
import argparse
import importlib.util
import os

import numpy as np

_spec = importlib.util.spec_from_file_location(
    "foresight_bound", os.path.join(os.path.dirname(os.path.abspath(__file__)), "foresight_bound.py"))
foresight_bound = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(foresight_bound)

BURST_MINUTES = range(30, 44)


def read_one(path):
    import csv
    with open(path, newline="") as f:
        rows = sorted((int(r["timestamp"]), float(r["value"])) for r in csv.DictReader(f))
    return np.array([t for t, _ in rows]), np.array([v for _, v in rows])


def bursting_hours(ts, y):
    hour, minute = ts // 3600, (ts % 3600) // 60
    bursts = {}
    for h in np.unique(hour):
        base = y[(hour == h) & (minute >= 15) & (minute < 30)]
        top = y[(hour == h) & (minute >= 33) & (minute < 40)]
        if len(base) and len(top) and base.mean() > 0:
            bursts[int(h)] = bool(top.mean() > 2 * base.mean())
    return bursts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="../shared/data/twitter_stream_2021_08.csv")
    parser.add_argument("--horizon", type=int, default=3)
    args = parser.parse_args()
    ts, y = read_one(args.file)
    n, train, horizon = len(y), int(len(y) * 0.8), args.horizon
    step = int(ts[1] - ts[0])
    hour, minute = ts // 3600, (ts % 3600) // 60
    bursts = bursting_hours(ts, y)

    # 1. What the past says about which odd hours burst.
    odd_hours = sorted(h for h in bursts if (h % 24) % 2 == 1 and h % 24 != 23)  # 23: the daily gap in the data
    flags = np.array([bursts[h] for h in odd_hours])
    follows = np.array([bursts.get(h - 2) for h in odd_hours], dtype=object)
    after_burst = flags[follows == True].mean()  # noqa: E712 (None where the hour before has no data)
    after_quiet = flags[follows == False].mean()  # noqa: E712
    print(f"odd hours: {len(flags)}, bursting {flags.mean():.3f}; after a burst {after_burst:.3f}, "
          f"after a quiet one {after_quiet:.3f}")
    print("share bursting by odd hour of the day (UTC): " + ", ".join(
        f"{d}h {np.mean([bursts[h] for h in odd_hours if h % 24 == d]):.2f}" for d in range(1, 23, 2)))

    # 2. The regression, told more and more about the bursts.
    train_hours = [h for h in odd_hours if h * 3600 < ts[train]]
    share_at = {d: np.mean([bursts[h] for h in train_hours if h % 24 == d] or [0.0]) for d in range(24)}
    odd = ((hour % 24) % 2 == 1).astype(float)
    told = np.array([float(bursts.get(int(h), False)) for h in hour])
    prior = np.array([share_at[int(h % 24)] for h in hour])
    before = np.array([float(bursts.get(int(h) - 2, False)) for h in hour])
    day = 86400 // step
    z = y / np.mean(np.abs(y[:train]))
    first = max(foresight_bound.LAGS, day + 5)

    def inputs(t, k, level):
        cols = [z[t - lag] for lag in range(foresight_bound.LAGS, 0, -1)]
        cols += [z[t - day + j] for j in range(-2, horizon + 2)]
        target = t + k
        for mm in BURST_MINUTES:
            at = (minute[target] == mm) * odd[target]
            cols.append(at.astype(float))
            if level >= 1:
                cols += [at * prior[target], at * before[target]]
            if level >= 2:
                cols += [at * told[target], at * told[target] * z[t - 1]]
        return np.stack(cols + [np.ones(len(t))], 1)

    fit = np.arange(first, train - horizon)
    scored = np.arange(train, n - horizon)
    for level, name in ((0, "(a) minutes of odd hours"), (1, "(b) + causal burst history"),
                        (2, "(c) + told which hours burst")):
        per_step = []
        for k in range(horizon):
            w = foresight_bound.fit_least_absolute(inputs(fit, k, level), z[fit + k])
            per_step.append(foresight_bound.accuracy(np.maximum(inputs(scored, k, level) @ w, 0), z[scored + k]))
        print(f"H = {horizon:2d} {name:30} " + " ".join(f"{a:.4f}" for a in per_step[:3])
              + (f" ... {per_step[-1]:.4f}" if horizon > 3 else "") + f"  mean {np.mean(per_step):.4f}")


if __name__ == "__main__":
    main()
