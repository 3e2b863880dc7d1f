#!/usr/bin/python3
"""The PyTorch reference for cloudopt's LSTM: the same network, data preparation and training protocol, in
torch.nn.LSTM, so that bench/lstm_vs_torch.sh can compare accuracy and speed side by side.

  torch_lstm.py speed [--threads 2]                          training and inference windows/s, one JSON line each
  torch_lstm.py accuracy --data F.csv --horizon H [--epochs 10] [--series N]
                                                             the backtest accuracy (1 - WAPE) per series, as
                                                             `cloudopt backtest --models lstm` computes it

Mirrors src/forecast/lstm_model.cpp and lstm_trainer.cpp: inputs are the standardized value plus sin/cos of
hour of day and day of week; the head emits the change from the last value for every horizon step; L1 loss,
Adam (lr 1e-3), clipping at global norm 1.0, batch 64, the last 10% of the training windows for early stopping
(patience 5, best weights kept), window 48, hidden 64, one layer.
"""
import argparse
import csv
import json
import math
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

WINDOW, HIDDEN, BATCH = 48, 64, 64


class Net(torch.nn.Module):
    def __init__(self, outputs, hidden=HIDDEN, layers=1):
        super().__init__()
        self.lstm = torch.nn.LSTM(5, hidden, num_layers=layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, outputs)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


def features(values, start, step, offset, scale):
    n = len(values)
    ts = start + np.arange(n, dtype=np.int64) * step
    day = (ts % 86400) / 86400.0
    week = (ts % 604800) / 604800.0
    scaled = ((np.asarray(values, dtype=np.float64) - offset) / scale).astype(np.float32)
    f = np.stack([scaled, np.sin(2 * math.pi * day), np.cos(2 * math.pi * day),
                  np.sin(2 * math.pi * week), np.cos(2 * math.pi * week)], axis=1).astype(np.float32)
    return f, scaled


def windows(f, origins):
    idx = np.asarray(origins)[:, None] - WINDOW + np.arange(WINDOW)[None, :]
    return torch.from_numpy(f[np.maximum(idx, 0)])


def targets(scaled, origins, horizon):
    o = np.asarray(origins)
    t = scaled[o[:, None] + np.arange(horizon)[None, :]] - scaled[o - 1][:, None]
    return torch.from_numpy(t.astype(np.float32))


def predict(net, f, scaled, origins):
    out = []
    with torch.no_grad():
        for i in range(0, len(origins), 1024):
            o = origins[i:i + 1024]
            out.append(net(windows(f, o)).numpy() + scaled[np.asarray(o) - 1][:, None])
    return np.concatenate(out) if out else np.zeros((0, net.head.out_features))


def fit(train, start, step, horizon, epochs, seed=42):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mean = float(np.mean(train))
    sd = float(np.std(train))
    scale = sd if sd > 1e-9 * (abs(mean) + 1) else 1.0
    f, scaled = features(train, start, step, mean, scale)
    origins = list(range(WINDOW, len(train) - horizon + 1))
    n_val = int(math.floor(len(origins) * 0.1))
    n_train = len(origins) - n_val
    gap = min(n_train, horizon - 1) if n_val > 0 else 0
    tr, va = np.asarray(origins[:n_train - gap]), origins[n_train:]
    net = Net(horizon)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    best, best_state, since = float("inf"), None, 0
    for _ in range(epochs):
        net.train()
        order = rng.permutation(tr)
        for i in range(0, len(order), BATCH):
            o = order[i:i + BATCH]
            loss = torch.nn.functional.l1_loss(net(windows(f, o)), targets(scaled, o, horizon))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
        net.eval()
        pred = predict(net, f, scaled, va)
        actual = scaled[np.asarray(va)[:, None] + np.arange(horizon)[None, :]]
        err = np.abs(pred - actual).sum() * scale / max(1e-12, np.abs(actual * scale + mean).sum())
        if err < best:
            best, best_state, since = err, {k: v.clone() for k, v in net.state_dict().items()}, 0
        else:
            since += 1
            if since >= 5:
                break
    net.load_state_dict(best_state)
    return net, mean, scale


def read_csv(path):
    series = OrderedDict()
    with open(path) as fh:
        for row in csv.reader(fh):
            if not row or row[0] == "timestamp":
                continue
            sid, ts, v = (row[1], int(row[0]), float(row[2])) if len(row) == 3 else ("series", int(row[0]), float(row[1]))
            series.setdefault(sid, []).append((ts, v))
    return series


def accuracy(args):
    out = {}
    started = time.time()
    for k, (sid, rows) in enumerate(read_csv(args.data).items()):
        if args.series and k >= args.series:
            break
        rows.sort()
        start, step = rows[0][0], rows[1][0] - rows[0][0]
        values = np.array([v for _, v in rows])
        n = len(values)
        n_train = int(math.floor(n * (1 - 0.2)))
        net, mean, scale = fit(values[:n_train], start, step, args.horizon, args.epochs)
        f, scaled = features(values, start, step, mean, scale)
        origins = list(range(n_train, n))
        pred = predict(net, f, scaled, origins) * scale + mean
        abs_err = abs_act = 0.0
        for i, t in enumerate(origins):
            for h in range(args.horizon):
                if t + h >= n:
                    break
                abs_err += abs(pred[i, h] - values[t + h])
                abs_act += abs(values[t + h])
        out[sid] = round(1 - abs_err / abs_act, 4) if abs_act > 0 else 0.0
    acc = sum(out.values()) / len(out)
    print(json.dumps({"side": "torch", "measure": "accuracy", "horizon": args.horizon, "epochs": args.epochs,
                      "accuracy": round(acc, 4), "per_series": out, "seconds": round(time.time() - started, 1)}))


def speed(args):
    n = 20000 + WINDOW + 12
    i = np.arange(n)
    y = 50 + 20 * np.sin(2 * math.pi * i / 288.0) + np.random.default_rng(7).normal(0, 3, n)
    f, scaled = features(y, 0, 300, 50.0, 15.0)
    origins = np.arange(WINDOW, WINDOW + 20000)
    net = Net(12)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    t0 = time.time()
    seen = 0
    for _ in range(1):
        for b in range(0, len(origins), BATCH):
            o = origins[b:b + BATCH]
            loss = torch.nn.functional.l1_loss(net(windows(f, o)), targets(scaled, o, 12))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            seen += len(o)
    train_rate = seen / (time.time() - t0)
    print(json.dumps({"side": "torch", "measure": "train", "windows_per_second": round(train_rate),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))
    x = windows(f, origins)
    rates = []
    with torch.no_grad():
        net.eval()
        for _ in range(3):
            t0 = time.time()
            for b in range(0, len(origins), 256):
                net(x[b:b + 256])
            rates.append(len(origins) / (time.time() - t0))
    print(json.dumps({"side": "torch", "measure": "infer", "windows_per_second": round(sorted(rates)[1]),
                      "threads": torch.get_num_threads()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["speed", "accuracy"])
    p.add_argument("--data")
    p.add_argument("--horizon", type=int, default=3)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--series", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.mode == "speed":
        speed(args)
    else:
        if not args.data:
            sys.exit("torch_lstm.py accuracy: --data is required")
        accuracy(args)


if __name__ == "__main__":
    main()
