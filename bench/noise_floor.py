#!/usr/bin/env python3
"""How accurate a forecast of each point could be if it could also see the future (docs/FORECASTING.md).

For every series, each point of the last 20% is "forecast" by the median of its neighbours within +-W steps, the
point itself left out: an interpolation that knows what came after. It is not a strict bound on every forecaster,
but it says how much of a series is noise at its own step: where even this estimate stays under a target, a
forecast that sees only the past will not reach it. Accuracy is 1 - WAPE, per series, as `cloudopt backtest`
reports it; the script prints the mean and the median over the series of each file.

    python3 bench/noise_floor.py ../shared/data/*.csv
"""
import json
import statistics
import sys

from hindsight_bound import series_of  # the same CSV reading (bench/ is on the path when run as a script)

WIDTHS = (2, 5, 10)


def centered_median_accuracy(values, width, test_fraction=0.2):
    n = len(values)
    first = int(n * (1 - test_fraction))
    error = total = 0.0
    for i in range(first, n):
        around = values[max(0, i - width):i] + values[i + 1:i + width + 1]
        estimate = statistics.median(around)
        error += abs(estimate - values[i])
        total += abs(values[i])
    return 1 - error / total if total > 0 else 0.0


def main(paths):
    for path in paths:
        all_series = series_of(path)
        row = {"file": path.rsplit("/", 1)[-1], "series": len(all_series)}
        for width in WIDTHS:
            scores = [centered_median_accuracy(v, width) for v in all_series.values()]
            row[f"+-{width}"] = {"mean": round(statistics.mean(scores), 4), "median": round(statistics.median(scores), 4)}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
