#!/usr/bin/python3
"""Cut the bundled demo traces from ../shared/data (see data/README.md for provenance).

Each output is 14 days at 5-minute steps, in the load unit the demo resource forecasts.
Run from the repository root: /usr/bin/python3 data/demo/make_demo_data.py ../shared/data
"""
import collections
import csv
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
STEP = 300
DAYS = 14
POINTS = DAYS * 86400 // STEP


def read(name, series):
    rows = [(int(r["timestamp"]), float(r["value"])) for r in csv.DictReader(open(f"{SRC}/{name}")) if r["series"] == series]
    rows.sort()
    return rows


def to_5min_mean(rows):
    buckets = collections.OrderedDict()
    for ts, v in rows:
        buckets.setdefault(ts - ts % STEP, []).append(v)
    return [(ts, sum(v) / len(v)) for ts, v in buckets.items()]


def write(out, series, rows, scale):
    rows = rows[:POINTS]
    assert len(rows) == POINTS, (out, len(rows))
    with open(out, "w") as f:
        f.write("timestamp,series,value\n")
        for ts, v in rows:
            f.write(f"{ts},{series},{v * scale:.4f}\n")


# NASA requests per minute -> requests per second, x20 to look like a busier web tier.
write("web_frontend.csv", "web-frontend", to_5min_mean(read("nasa_http.csv", "nasa_jul")), 20 / 60)
# Azure 2019 summed CPU (%*cores) -> cores, scaled down 1000x to a 60-core API tier.
write("api_gateway.csv", "api-gateway", read("azure_vm2019_cluster.csv", "az19_cpu"), 1 / 100 / 1000)
# Bitbrains VM CPU MHz -> cores at 2.6 GHz, x10 as a pool of such workers.
write("batch_workers.csv", "batch-workers", read("bitbrains_rnd.csv", "bb_270"), 10 / 2600)
write("checkout.csv", "checkout", read("bitbrains_rnd.csv", "bb_411"), 10 / 2600)
