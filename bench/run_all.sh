#!/usr/bin/env bash
# Runs every benchmark against the Release build. Results go to stdout; docs/PERFORMANCE.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
./bench/http_bench.sh build/release
./bench/lstm_vs_torch.sh build/release
./build/release/bench/anomaly_throughput --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
