#!/usr/bin/env bash
# cloudopt's LSTM against torch.nn.LSTM with the same shape (window 48, hidden 64, one layer, batch 64, Adam) on
# the same 2 cores: training and inference windows/s, fit memory, a 10,000-series forecast, and backtest accuracy
# on the same series. Results: docs/PERFORMANCE.md and docs/FORECASTING.md.
#   bench/lstm_vs_torch.sh [build/release] [accuracy CSV] [series]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
data=${2:-tests/data/alibaba2018_cpu.csv}
series=${3:-3}
bin=$build/bench/lstm_throughput
for i in 1 2 3; do "$bin" train; "$bin" infer; "$bin" infer --fused 0; done  # --fused 0: the Eigen path
"$bin" memory --points 100000
"$bin" fleet --series 10000
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  for i in 1 2 3; do /usr/bin/python3 bench/lstm_vs_torch/torch_lstm.py speed --threads 2; done
  /usr/bin/python3 bench/lstm_vs_torch/torch_lstm.py accuracy --data "$data" --horizon 3 --epochs 10 --series "$series"
else
  echo '{"side":"torch","skipped":"python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)"}'
fi
"$build/cloudopt" backtest --data "$data" --horizon 3 --models lstm --epochs 10 --json
