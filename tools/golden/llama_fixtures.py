#!/usr/bin/python3
"""Golden fixtures for the LLaMA-family decoder (src/Sentire.Models/Decoders): tests/fixtures/llama/.

A compact reference decoder written from the published architecture, not from any library:
  LLaMA (Touvron et al. 2023, "LLaMA: Open and Efficient Foundation Language Models", sec. 2.2):
    pre-normalisation with RMSNorm (Zhang & Sennrich 2019):  RMSNorm(x) = x / sqrt(mean(x^2) + eps) * g
    SwiGLU feed-forward (Shazeer 2020):                      FFN(x) = W_down (SiLU(W_gate x) * (W_up x))
    rotary embeddings (Su et al. 2021), rotate_half layout:  RoPE(x)_p = x cos(p theta) + rotate_half(x) sin(p theta),
                                                             theta_i = base^(-2i/D)
  per layer:  h = x + W_o Attn(RoPE(W_q n), RoPE(W_k n), W_v n),  n = RMSNorm(x)
              y = h + FFN(RMSNorm(h));  logits = W_head RMSNorm(y_L)   (W_head = embedding table when tied)
  Attn: softmax(q k^T / sqrt(D) + causal/padding mask) v, grouped-query (Ainslie et al. 2023): query head h reads
  key/value head h // (H / Hkv). Qwen2 (Bai et al. 2023) adds biases to q/k/v. Left padding: position ids count
  real tokens only (cumsum(mask) - 1) and padded keys are hidden.
  RoPE scaling as Hugging Face transformers defines it: linear (inv_freq / factor), dynamic NTK (base *=
  (factor L / L0 - (factor - 1))^(D / (D - 2)) when L > L0), llama3 (wavelength bands).

Three random models (2 layers, hidden 64, 4 heads, 2 key/value heads), each a Hugging Face folder (config.json +
safetensors with the transformers key names):
  llama_tied/    llama, tied embeddings, sharded in two files with model.safetensors.index.json, F32, and an old-style
                 rotary_emb.inv_freq buffer the loader must ignore
  qwen2_bf16/    qwen2 (q/k/v biases), untied lm_head, rope_theta 1e6, BF16 weights, eos_token_id a list
  llama3_rope/   llama with rope_scaling llama3, head_dim 24 (not hidden / heads), attention_bias (o_proj bias too)
and <name>.expected.safetensors: ids (B, T) I64 left-padded with 0, mask (B, T), logits (B, T, V) of the padded batch
(real positions; padded ones zero), greedy (B, N) I64: N greedy tokens from the padded batch (no EOS stop), computed
by re-running the whole sequence each step. rope.safetensors holds inv_freq for linear, dynamic and llama3 scaling.
The reference runs in float64 on weights that are exactly representable in the stored dtype; RoPE tables are built in
float32 as transformers does. Seeded: a rerun writes the same bytes.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "llama")
D64 = torch.float64


def write_safetensors(path, tensors, metadata=None):
    """safetensors by hand (https://github.com/huggingface/safetensors#format): u64 header length, JSON, raw data."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.int64:
            dtype, raw = "I64", t.numpy().astype("<i8").tobytes()
        elif t.dtype == torch.bfloat16:
            dtype, raw = "BF16", t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            dtype, raw = "F32", t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------------------------------------
# RoPE frequencies (float32, as transformers' ROPE_INIT_FUNCTIONS)
# ---------------------------------------------------------------------------------------------

def inv_freq(cfg, seq_len):
    dim = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    base = cfg.get("rope_theta", 10000.0)
    s = cfg.get("rope_scaling")
    kind = None if s is None else s.get("rope_type", s.get("type"))
    if kind == "dynamic" and seq_len > cfg["max_position_embeddings"]:
        base = base * ((s["factor"] * seq_len / cfg["max_position_embeddings"]) - (s["factor"] - 1)) ** (dim / (dim - 2))
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if kind == "linear":
        inv = inv / s["factor"]
    if kind == "llama3":
        factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rope_tables(cfg, positions):
    """cos, sin (B, T, D) for integer positions (B, T), angles as float32 products."""
    inv = inv_freq(cfg, int(positions.max()) + 1)
    angles = positions.float()[..., None] * inv[None, None, :]
    emb = torch.cat([angles, angles], dim=-1)
    return emb.cos().to(D64), emb.sin().to(D64)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


# ---------------------------------------------------------------------------------------------
# the reference decoder (float64)
# ---------------------------------------------------------------------------------------------

def rms_norm(x, g, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def linear(p, name, x):
    y = x @ p[name + ".weight"].T
    return y + p[name + ".bias"] if name + ".bias" in p else y


def forward(cfg, p, ids, mask):
    b, t = ids.shape
    H, Hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", cfg["hidden_size"] // H)
    eps = cfg["rms_norm_eps"]
    positions = (mask.long().cumsum(-1) - 1).clamp(min=0)
    cos, sin = rope_tables(cfg, positions)
    cos, sin = cos[:, None], sin[:, None]
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool))[None, None] & mask.bool()[:, None, None, :]
    h = F.embedding(ids, p["model.embed_tokens.weight"])
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        n = rms_norm(h, p[pre + "input_layernorm.weight"], eps)
        q = linear(p, pre + "self_attn.q_proj", n).view(b, t, H, hd).transpose(1, 2)
        k = linear(p, pre + "self_attn.k_proj", n).view(b, t, Hkv, hd).transpose(1, 2)
        v = linear(p, pre + "self_attn.v_proj", n).view(b, t, Hkv, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // Hkv, dim=1), v.repeat_interleave(H // Hkv, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1).nan_to_num(0.0)   # a padded query sees nothing: zeros
        a = (probs @ v).transpose(1, 2).reshape(b, t, H * hd)
        h = h + linear(p, pre + "self_attn.o_proj", a)
        n = rms_norm(h, p[pre + "post_attention_layernorm.weight"], eps)
        h = h + linear(p, pre + "mlp.down_proj", F.silu(linear(p, pre + "mlp.gate_proj", n)) * linear(p, pre + "mlp.up_proj", n))
    h = rms_norm(h, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else p["lm_head.weight"]
    return h @ head.T


def random_params(cfg, gen, stored):
    d, ff, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H, Hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", d // H)
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    o_bias = cfg["model_type"] != "qwen2" and cfg.get("attention_bias", False)
    p = {}

    def mat(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    p["model.embed_tokens.weight"] = mat(V, d, std=0.3)
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        for name, (o, n_in, bias) in {"self_attn.q_proj": (H * hd, d, qkv_bias), "self_attn.k_proj": (Hkv * hd, d, qkv_bias),
                                      "self_attn.v_proj": (Hkv * hd, d, qkv_bias), "self_attn.o_proj": (d, H * hd, o_bias),
                                      "mlp.gate_proj": (ff, d, False), "mlp.up_proj": (ff, d, False), "mlp.down_proj": (d, ff, False)}.items():
            p[pre + name + ".weight"] = mat(o, n_in, std=1.0 / math.sqrt(n_in))
            if bias:
                p[pre + name + ".bias"] = mat(o, std=0.1)
        p[pre + "input_layernorm.weight"] = 1 + mat(d, std=0.1)
        p[pre + "post_attention_layernorm.weight"] = 1 + mat(d, std=0.1)
    p["model.norm.weight"] = 1 + mat(d, std=0.1)
    if not cfg.get("tie_word_embeddings"):
        p["lm_head.weight"] = mat(V, d, std=1.0 / math.sqrt(d))
    # what the file will hold, and the float64 values the reference computes with
    stored_p = {k: v.to(torch.bfloat16) if stored == "BF16" else v for k, v in p.items()}
    return stored_p, {k: v.to(D64) for k, v in stored_p.items()}


BASE = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "max_position_embeddings": 64, "bos_token_id": 1, "eos_token_id": 2,
        "pad_token_id": 0, "torch_dtype": "float32"}
MODELS = {
    "llama_tied": dict(BASE, model_type="llama", architectures=["LlamaForCausalLM"], rope_theta=10000.0, tie_word_embeddings=True),
    "qwen2_bf16": dict(BASE, model_type="qwen2", architectures=["Qwen2ForCausalLM"], rope_theta=1000000.0, tie_word_embeddings=False,
                       eos_token_id=[2, 3], torch_dtype="bfloat16", use_sliding_window=False, sliding_window=32),
    "llama3_rope": dict(BASE, model_type="llama", architectures=["LlamaForCausalLM"], rope_theta=500000.0, tie_word_embeddings=False,
                        head_dim=24, attention_bias=True,
                        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 16}),
}
IDS = [[5, 17, 33, 8, 61, 12, 40], [0, 0, 9, 22, 71, 3, 55], [0, 0, 0, 0, 44, 90, 27]]
NEW_TOKENS = 6


def greedy(cfg, p, ids, mask, n):
    out, margins = [], []
    for _ in range(n):
        logits = forward(cfg, p, ids, mask)[:, -1]
        top = logits.topk(2, dim=-1).values
        margins.append(float((top[:, 0] - top[:, 1]).min()))
        nxt = logits.argmax(-1)
        out.append(nxt)
        ids = torch.cat([ids, nxt[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones(mask.shape[0], 1, dtype=mask.dtype)], dim=1)
    return torch.stack(out, dim=1), min(margins)


def write_model(name, cfg, seed):
    stored = "BF16" if cfg["torch_dtype"] == "bfloat16" else "F32"
    gen = torch.Generator().manual_seed(seed)
    stored_p, p = random_params(cfg, gen, stored)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    if name == "llama_tied":
        # two shards and an index, as save_pretrained writes past max_shard_size; plus a legacy rotary buffer
        stored_p["model.layers.0.self_attn.rotary_emb.inv_freq"] = inv_freq(cfg, 1)
        keys = sorted(stored_p)
        shards = {"model-00001-of-00002.safetensors": keys[: len(keys) // 2], "model-00002-of-00002.safetensors": keys[len(keys) // 2:]}
        weight_map = {}
        for file, names in shards.items():
            write_safetensors(os.path.join(folder, file), {k: stored_p[k] for k in names}, {"format": "pt"})
            weight_map.update({k: file for k in names})
        total = sum(v.numel() * v.element_size() for v in stored_p.values())
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
            f.write("\n")
    else:
        write_safetensors(os.path.join(folder, "model.safetensors"), stored_p, {"format": "pt"})

    ids = torch.tensor(IDS)
    mask = (torch.arange(ids.shape[1])[None, :] >= torch.tensor([0, 2, 4])[:, None]).to(D64)
    logits = forward(cfg, p, ids, mask) * mask[..., None]
    tokens, margin = greedy(cfg, p, ids, mask, NEW_TOKENS)
    write_safetensors(os.path.join(OUT, name + ".expected.safetensors"),
                      {"ids": ids, "mask": mask.float(), "logits": logits.float(), "greedy": tokens},
                      {"greedy_min_margin": repr(margin)})
    print(f"{name}: greedy {tokens.tolist()}, smallest top-2 logit margin {margin:.4f}")


def write_rope():
    cfg = {"hidden_size": 64, "num_attention_heads": 4, "rope_theta": 10000.0, "max_position_embeddings": 64}
    cases = {
        "linear": dict(cfg, rope_scaling={"rope_type": "linear", "factor": 2.0}),
        "dynamic": dict(cfg, rope_scaling={"rope_type": "dynamic", "factor": 2.0}),
        "llama3": dict(cfg, rope_theta=500000.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                               "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
    }
    tensors = {"linear": inv_freq(cases["linear"], 10), "dynamic.short": inv_freq(cases["dynamic"], 40),
               "dynamic.long": inv_freq(cases["dynamic"], 100), "llama3": inv_freq(cases["llama3"], 10)}
    write_safetensors(os.path.join(OUT, "rope.safetensors"), tensors,
                      {k: json.dumps(v["rope_scaling"], sort_keys=True) + " theta " + repr(v["rope_theta"]) for k, v in cases.items()})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for i, (name, cfg) in enumerate(MODELS.items()):
        write_model(name, cfg, 20261122 + i)
    write_rope()
