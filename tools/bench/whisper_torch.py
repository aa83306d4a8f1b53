#!/usr/bin/python3
"""PyTorch side of the `whisper` benchmark (bench/Sentire.Bench/WhisperBench.cs runs it in the same run).

Builds a Whisper encoder at whisper-base's sizes (80 mel bins, d_model 512, 6 layers, 8 heads, FF 2048, 1500
positions; 20.6 M parameters) from the torch modules of tools/golden/whisper_fixtures.py (modeling_whisper.py's
layout and names) with seeded random weights, writes it to DIR as a Hugging Face WhisperModel folder (config.json,
model.safetensors with "encoder.*" keys) so that Sentire loads exactly the same weights, plus DIR/input.safetensors
("input": 30 s of audio, "last_hidden": the encoder's output). Then times log-mel + encoder on the 30 s window under
torch.inference_mode() with --threads threads and prints one JSON line: {"median_ms", "cpu_ms", "runs_ms",
"rss_loaded_mb", "rss_peak_mb", ...} (resident set before the timed runs and its peak during them).

    /usr/bin/python3 tools/bench/whisper_torch.py DIR [--iters 5] [--warmup 1] [--threads 2]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
from wav2vec2_torch import RssSampler, rss_mb, write_safetensors  # noqa: E402
from whisper_fixtures import WhisperEncoder, log_mel_spectrogram  # noqa: E402

BASE = {"model_type": "whisper", "architectures": ["WhisperModel"], "num_mel_bins": 80, "d_model": 512,
        "encoder_layers": 6, "encoder_attention_heads": 8, "encoder_ffn_dim": 2048, "max_source_positions": 1500,
        "decoder_layers": 6, "decoder_attention_heads": 8, "decoder_ffn_dim": 2048, "activation_function": "gelu"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    encoder = WhisperEncoder(BASE).eval()

    os.makedirs(a.dir, exist_ok=True)
    write_safetensors(os.path.join(a.dir, "model.safetensors"), {"encoder." + k: v for k, v in encoder.state_dict().items()})
    with open(os.path.join(a.dir, "config.json"), "w") as f:
        json.dump(BASE, f, indent=2)

    x = 0.1 * torch.randn(30 * 16000)  # 30 s of noise: the benchmark times arithmetic, not content
    with torch.inference_mode():
        last, _ = encoder(log_mel_spectrogram(x, 80)[None])
    write_safetensors(os.path.join(a.dir, "input.safetensors"), {"input": x, "last_hidden": last[0]})
    del last

    loaded = rss_mb()
    runs, cpu = [], []
    with RssSampler() as sampler:
        for i in range(a.warmup + a.iters):
            t0, c0 = time.perf_counter(), time.process_time()
            with torch.inference_mode():
                encoder(log_mel_spectrogram(x, 80)[None])
            if i >= a.warmup:
                runs.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"median_ms": statistics.median(runs), "cpu_ms": statistics.median(cpu), "runs_ms": runs,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "rss_loaded_mb": loaded,
                      "rss_peak_mb": sampler.peak, "parameters": sum(p.numel() for p in encoder.parameters())}))


if __name__ == "__main__":
    main()
