#!/usr/bin/env bash
# Issue 3's accuracy criterion for one file and horizon, in one run: `auto` against the best reference model,
# where the references are naive, seasonal naive and Holt-Winters (cloudopt backtest) and the PyTorch LSTM of the
# same shape and training (bench/lstm_vs_torch/torch_lstm.py, 10 epochs, every series). cloudopt's own LSTM is
# shown beside PyTorch's for comparison; it is not a reference.
#   bench/reference_targets.sh DATA.csv HORIZON [build/release]
# Needs python3-torch, python3-numpy and libopenblas0-pthread from Debian. PyTorch trains about 15 times slower
# than cloudopt: bitbrains' 25 series took PyTorch 11 minutes on one core at H = 3.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: bench/reference_targets.sh DATA.csv HORIZON [build/release]}
horizon=${2:?usage: bench/reference_targets.sh DATA.csv HORIZON [build/release]}
build=${3:-build/release}
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "python3-torch is not installed: apt-get install python3-torch python3-numpy libopenblas0-pthread" >&2
  exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 bench/lstm_vs_torch/torch_lstm.py accuracy --data "$data" --horizon "$horizon" --epochs 10 \
  --threads 2 > "$out/torch.json"
"$build/cloudopt" backtest --data "$data" --horizon "$horizon" \
  --models naive,seasonal_naive,holt_winters,lstm,auto --epochs 10 --json > "$out/cloudopt.json"
/usr/bin/python3 - "$out/torch.json" "$out/cloudopt.json" <<'EOF'
import json, sys
torch = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))
acc = dict(ours["accuracy"], torch_lstm=torch["accuracy"])
references = ["naive", "seasonal_naive", "holt_winters", "torch_lstm"]
best = max(references, key=lambda m: acc[m])
# Issue 3: at least 0.02 above the best reference, or at least equal where that reference is above 0.97.
target = acc[best] if acc[best] > 0.97 else acc[best] + 0.02
print(json.dumps({"series": ours["series"], "horizon": ours["horizon"], "accuracy": acc, "best_reference": best,
                  "target": round(target, 4), "auto": acc["auto"], "met": acc["auto"] >= target - 5e-5,
                  "seconds": dict(ours["seconds"], torch_lstm=torch["seconds"])}))
EOF
