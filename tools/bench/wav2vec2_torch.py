#!/usr/bin/python3
"""PyTorch side of the `wav2vec2` benchmark (bench/Sentire.Bench/Wav2Vec2Bench.cs runs it in the same run).

Builds torchaudio 0.13's wav2vec 2.0 base network (torchaudio.models.wav2vec2_model with wav2vec2-base's sizes: group
norm feature encoder of 7 convolutions, 768 wide, 12 post-norm layers, 12 heads, FF 3072, positional conv 128/16)
with seeded random weights, and writes it to DIR as a Hugging Face checkpoint folder (config.json,
model.safetensors with Hugging Face's names, preprocessor_config.json) so that Sentire loads exactly the same
weights, plus DIR/input.safetensors ("input": 10 s of audio, "hidden.L": every hidden state torchaudio computes).
Then times the forward that returns every hidden state (Hugging Face's output_hidden_states) under
torch.inference_mode() with --threads threads, and prints one JSON line: {"median_ms", "cpu_ms", "runs_ms",
"rss_loaded_mb", "rss_peak_mb", ...}: the resident set before the timed runs and its peak during them (sampled every 5 ms
from /proc/self/statm, as the C# side does).
--size large builds wav2vec2-large's layout instead (wav2vec2-large-lv60 / -robust: layer-norm feature encoder with
conv bias, 1024 wide, 24 pre-norm layers, 16 heads, FF 4096; 315 M parameters).
--dtype f16 / bf16 rounds every weight to that type and stores the checkpoint in it (as published half-precision
checkpoints are); torch keeps computing in float32 with the rounded values (its CPU kernels have no float16 GEMM in
1.13), so its hidden states are the reference for a model computing with the 16-bit weights.

    /usr/bin/python3 tools/bench/wav2vec2_torch.py DIR [--size base|large] [--dtype f32|f16|bf16] [--seconds 10] [--iters 5] [--warmup 1] [--threads 2]
"""
import argparse
import json
import os
import statistics
import threading
import struct
import time

import torch
from torchaudio.models import wav2vec2_model

CONV = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


DTYPES = {"f32": (torch.float32, "F32"), "f16": (torch.float16, "F16"), "bf16": (torch.bfloat16, "BF16")}


def write_safetensors(path, tensors, dtype="f32"):
    header, blobs, offset = {}, [], 0
    torch_dtype, name_of_dtype = DTYPES[dtype]
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch_dtype).contiguous()
        b = (t.view(torch.int16) if torch_dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": name_of_dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def hidden_states(model, x):
    feats, _ = model.feature_extractor(x, None)
    h = model.encoder.transformer._preprocess(model.encoder.feature_projection(feats))
    out = [h]
    for layer in model.encoder.transformer.layers:
        h = layer(h)
        out.append(h)
    if not model.encoder.transformer.layer_norm_first:  # torchaudio's Transformer flag is the inverse of the encoder's:
        out[-1] = model.encoder.transformer.layer_norm(h)  # pre-norm layers end with the encoder's layer norm
    return out


SIZES = {  # embed, layers, heads, FF, pre-norm, feature encoder norm
    "base": dict(d=768, layers=12, heads=12, ff=3072, first=False, mode="group_norm"),
    "large": dict(d=1024, layers=24, heads=16, ff=4096, first=True, mode="layer_norm"),
}


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


class RssSampler:
    """The peak of rss_mb() while a block runs, sampled every 5 ms on a thread."""

    def __enter__(self):
        self.peak, self.done = rss_mb(), False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        while not self.done:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.done = True
        self.thread.join()
        self.peak = max(self.peak, rss_mb())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", choices=sorted(SIZES), default="base")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    s = SIZES[a.size]
    model = wav2vec2_model(
        extractor_mode=s["mode"], extractor_conv_layer_config=CONV, extractor_conv_bias=s["mode"] == "layer_norm",
        encoder_embed_dim=s["d"], encoder_projection_dropout=0.0, encoder_pos_conv_kernel=128, encoder_pos_conv_groups=16,
        encoder_num_layers=s["layers"], encoder_num_heads=s["heads"], encoder_attention_dropout=0.0,
        encoder_ff_interm_features=s["ff"], encoder_ff_interm_dropout=0.0, encoder_dropout=0.0,
        encoder_layer_norm_first=s["first"], encoder_layer_drop=0.0, aux_num_out=None).eval()
    with torch.no_grad():  # torchaudio's std 0.02 init leaves the layers near identity; use fan-in scaled weights
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, p.shape[1] ** -0.5)
        for p in model.parameters():
            p.copy_(p.to(DTYPES[a.dtype][0]).float())   # a no-op for f32

    os.makedirs(a.dir, exist_ok=True)
    state = {}
    for k, v in model.state_dict().items():
        if k.startswith("encoder.transformer."):
            k = "encoder." + k[len("encoder.transformer."):]
        elif k.startswith("encoder.feature_projection."):
            k = k[len("encoder."):]
        state[k] = v
    write_safetensors(os.path.join(a.dir, "model.safetensors"), state, a.dtype)
    large = s["mode"] == "layer_norm"
    config = {"model_type": "wav2vec2", "architectures": ["Wav2Vec2Model"], "feat_extract_norm": "layer" if large else "group",
              "conv_bias": large, "conv_dim": [c[0] for c in CONV], "conv_kernel": [c[1] for c in CONV], "conv_stride": [c[2] for c in CONV],
              "hidden_size": s["d"], "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "intermediate_size": s["ff"],
              "num_conv_pos_embeddings": 128, "num_conv_pos_embedding_groups": 16, "do_stable_layer_norm": s["first"],
              "layer_norm_eps": 1e-5, "hidden_act": "gelu", "feat_extract_activation": "gelu"}
    with open(os.path.join(a.dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(a.dir, "preprocessor_config.json"), "w") as f:
        json.dump({"do_normalize": True, "feature_size": 1, "sampling_rate": 16000, "padding_value": 0.0}, f, indent=2)

    # 10 s of speech-like noise: the benchmark times arithmetic, not content. Normalised as do_normalize says.
    x = 0.1 * torch.randn(1, int(a.seconds * 16000))
    xn = (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)
    with torch.inference_mode():
        hs = hidden_states(model, xn)
    write_safetensors(os.path.join(a.dir, "input.safetensors"),
                      {"input": x, **{f"hidden.{i}": h for i, h in enumerate(hs)}})
    frames = hs[-1].shape[1]

    del hs
    loaded = rss_mb()
    runs, cpu = [], []
    with RssSampler() as sampler:
        for i in range(a.warmup + a.iters):
            t0, c0 = time.perf_counter(), time.process_time()
            with torch.inference_mode():
                xn = (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)
                hidden_states(model, xn)
            if i >= a.warmup:
                runs.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"median_ms": statistics.median(runs), "cpu_ms": statistics.median(cpu), "runs_ms": runs,
                      "threads": torch.get_num_threads(), "frames": frames, "torch": torch.__version__,
                      "rss_loaded_mb": loaded, "rss_peak_mb": sampler.peak,
                      "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
