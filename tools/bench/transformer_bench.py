#!/usr/bin/python3
"""PyTorch side of the `transformer` benchmark (bench/Sentire.Bench/TransformerBench.cs runs it in the same run).

A 6-layer post-norm transformer encoder (torch.nn.TransformerEncoderLayer: d_model 384, 6 heads, FF 1536,
GELU, dropout 0, batch_first) on a batch of 8 sequences of 200 frames. Measures the median wall time of
  - one training step: forward, MSE loss against a fixed target, backward, AdamW step;
  - one inference forward under torch.inference_mode() in eval mode.
Prints one JSON line: {"train_ms": ..., "infer_ms": ..., ...}; *_cpu_ms are medians of process CPU time
(all threads), less disturbed than wall time on a busy machine.

    /usr/bin/python3 tools/bench/transformer_bench.py [--layers 6] [--batch 8] [--time 200] [--iters 10]
"""
import argparse
import json
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--time", type=int, default=200)
    ap.add_argument("--dmodel", type=int, default=384)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--ff", type=int, default=1536)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(a.dmodel, a.heads, a.ff, dropout=0.0, activation="gelu", batch_first=True)
    model = torch.nn.TransformerEncoder(layer, a.layers, enable_nested_tensor=False)
    x = torch.randn(a.batch, a.time, a.dmodel)
    target = torch.randn(a.batch, a.time, a.dmodel)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        with torch.inference_mode():
            return model(x).sum().item()

    def median_ms(fn):
        for _ in range(a.warmup):
            fn()
        times, cpu = [], []
        for _ in range(a.iters):
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        return statistics.median(times), times, statistics.median(cpu)

    model.train()
    train_ms, train_all, train_cpu = median_ms(train_step)
    model.eval()
    infer_ms, infer_all, infer_cpu = median_ms(infer)
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "train_ms": round(train_ms, 2), "infer_ms": round(infer_ms, 2),
        "train_cpu_ms": round(train_cpu, 2), "infer_cpu_ms": round(infer_cpu, 2),
        "train_all_ms": [round(t, 1) for t in train_all], "infer_all_ms": [round(t, 1) for t in infer_all],
    }))


if __name__ == "__main__":
    main()
