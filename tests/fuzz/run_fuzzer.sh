#!/usr/bin/env bash
# Runs one libFuzzer target for a while on a scratch copy of its seeds (the seeds in the repo stay as they are).
# usage: run_fuzzer.sh FUZZER SEED_DIR SECONDS [ARTIFACT_DIR]
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3 artifacts=${4:-$(pwd)}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$seeds"/* "$corpus"/
mkdir -p "$artifacts"
# -rss_limit_mb: ASan's shadow memory counts; -timeout: a single input taking 10 s is a hang worth reporting.
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$corpus"
