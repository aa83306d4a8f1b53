#!/usr/bin/python3
"""PyTorch side of the `decoder` benchmark (bench/Sentire.Bench/DecoderBench.cs runs it in the same run).

Loads the checkpoint folder the C# side wrote (config.json + model.safetensors, BF16 weights widened to float32 as the
C# float32 model holds them) into a compact LLaMA/Qwen2 decoder written from the architecture (RMSNorm, RoPE in the
rotate_half layout, grouped-query causal attention, SwiGLU; q/k/v biases for qwen2; tied embeddings), then times
greedy generation of --new tokens after a prompt of random token ids (the same seed-free ids the C# side passes),
with a key/value cache and without one (re-running the whole sequence each step). Prints one JSON line:
{"cache_s": [...], "nocache_s": [...], "cache_cpu_s": [...], ..., "cache_tokens": [...]} (wall and process CPU seconds per
run, greedy tokens of the last run).

    /usr/bin/python3 tools/bench/llama_torch.py FOLDER --prompt 1,2,3 --new 16 --iters 3 --warmup 1 --threads 2
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = np.frombuffer(data[b:end], dtype={"F32": "<f4", "BF16": "<u2", "F16": "<f2"}[e["dtype"]])
        if e["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = torch.from_numpy(raw.astype(np.float32).reshape(e["shape"]))
    return out


class Decoder:
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            c = json.load(f)
        self.c = c
        self.p = read_safetensors(os.path.join(folder, "model.safetensors"))
        self.H, self.Hkv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim", c["hidden_size"] // self.H)
        self.eps = c["rms_norm_eps"]
        self.L = c["num_hidden_layers"]
        inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, self.hd, 2).float() / self.hd))
        ang = torch.arange(4096).float()[:, None] * inv[None, :]
        emb = torch.cat([ang, ang], dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.head = self.p["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else self.p["lm_head.weight"]

    def lin(self, name, x):
        return F.linear(x, self.p[name + ".weight"], self.p.get(name + ".bias"))

    def norm(self, x, name):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.p[name + ".weight"]

    @staticmethod
    def rot(x, cos, sin):
        h = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., h:], x[..., :h]], dim=-1) * sin

    def forward(self, ids, cache):
        """ids (1, T) -> last-position logits (1, V); cache: list of (k, v) per layer or None."""
        x = F.embedding(ids, self.p["model.embed_tokens.weight"])
        b, t, _ = x.shape
        past = 0 if cache is None or cache[0] is None else cache[0][0].shape[2]
        cos, sin = self.cos[past:past + t], self.sin[past:past + t]
        causal = torch.full((t, past + t), float("-inf")).triu(past + 1)
        for i in range(self.L):
            pre = f"model.layers.{i}."
            n = self.norm(x, pre + "input_layernorm")
            q = self.lin(pre + "self_attn.q_proj", n).view(b, t, self.H, self.hd).transpose(1, 2)
            k = self.lin(pre + "self_attn.k_proj", n).view(b, t, self.Hkv, self.hd).transpose(1, 2)
            v = self.lin(pre + "self_attn.v_proj", n).view(b, t, self.Hkv, self.hd).transpose(1, 2)
            q, k = self.rot(q, cos, sin), self.rot(k, cos, sin)
            if cache is not None:
                if cache[i] is not None:
                    k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
                cache[i] = (k, v)
            k, v = k.repeat_interleave(self.H // self.Hkv, 1), v.repeat_interleave(self.H // self.Hkv, 1)
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + causal, -1) @ v
            x = x + self.lin(pre + "self_attn.o_proj", a.transpose(1, 2).reshape(b, t, -1))
            n = self.norm(x, pre + "post_attention_layernorm")
            x = x + self.lin(pre + "mlp.down_proj", F.silu(self.lin(pre + "mlp.gate_proj", n)) * self.lin(pre + "mlp.up_proj", n))
        return F.linear(self.norm(x[:, -1], "model.norm"), self.head)

    def generate(self, prompt, new, use_cache):
        ids = torch.tensor([prompt])
        cache = [None] * self.L if use_cache else None
        out = []
        logits = self.forward(ids, cache)
        for step in range(new):
            tok = int(logits.argmax(-1))
            out.append(tok)
            if step == new - 1:
                break
            if use_cache:
                logits = self.forward(torch.tensor([[tok]]), cache)
            else:
                ids = torch.cat([ids, torch.tensor([[tok]])], 1)
                logits = self.forward(ids, None)
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--new", type=int, default=16)
    ap.add_argument("--nocache-new", type=int, default=8)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = Decoder(a.folder)
    prompt = [int(s) for s in a.prompt.split(",")]
    result = {}
    with torch.inference_mode():
        for key, new, cache in (("cache_s", a.new, True), ("nocache_s", a.nocache_new, False)):
            times, cpu = [], []
            for i in range(a.warmup + a.iters):
                t0, c0 = time.perf_counter(), time.process_time()
                tokens = model.generate(prompt, new, cache)
                if i >= a.warmup:
                    times.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
            result[key] = times
            result[key.replace("_s", "_cpu_s")] = cpu
            result[key.replace("_s", "_tokens")] = tokens
    print(json.dumps(result))


if __name__ == "__main__":
    main()
