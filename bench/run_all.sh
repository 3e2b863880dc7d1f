#!/usr/bin/env bash
# Runs every benchmark against the Release build. Results go to stdout; docs/PERFORMANCE.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
./bench/http_bench.sh build/release
./bench/lstm_vs_torch.sh build/release
./build/release/bench/anomaly_throughput --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
# PostgreSQL and replicas (issue 31 item 4); each starts its own PostgreSQL (postgresql-15). The fleet takes about
# 15 minutes per replica count.
./bench/pg_ingest_bench.sh build/release
./bench/pg_api_bench.sh build/release
REPLICAS=1 ./bench/pg_fleet_bench.sh build/release
REPLICAS=2 ./bench/pg_fleet_bench.sh build/release
