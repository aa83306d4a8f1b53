"""Golden fixture for emotion2vec / emotion2vec+ (src/Sentire.Models/FunAsr/Emotion2Vec.cs).

Run with Debian's torch:  /usr/bin/python3 tools/golden/emotion2vec_fixtures.py
Writes (committed; tests never need Python) under tests/fixtures/emotion2vec/:
  emotion2vec-tiny/            a folder laid out as the authors publish it (FunASR / ModelScope / Hugging Face
                               emotion2vec/emotion2vec_plus_*): config.yaml (model: Emotion2vec, model_conf with the
                               data2vec 2.0 fields), tokens.txt (the nine labels), model.pt (torch.save of
                               {"model": state_dict}, as FunASR stores its checkpoints)
  emotion2vec-tiny-safetensors/  the same weights as model.safetensors (a converted folder; keys without "model.")
  emotion2vec-tiny.expected.json  the 9 logits (before the softmax) of each demo clip (samples/*.flac)

The reference is written here, at a tiny size, from the published definition (Ma et al., "emotion2vec:
Self-Supervised Pre-Training for Speech Emotion Representation", 2023; FunASR funasr/models/emotion2vec: model.py,
audio.py, base.py, modules.py), with the checkpoint's parameter names:
  x  = F.layer_norm(wave, wave.shape)                                         cfg.normalize: whole-utterance norm, eps 1e-5
  z  = local_encoder(x)    fairseq conv stack, mode layer_norm, no conv bias   conv_layers.i.0 (conv), .2.1 (LayerNorm)
  h  = project_features(z) LayerNorm(C) -> Linear(C, D)                        project_features.1, .2
  h  = h + relative_positional_encoder(h)  conv_pos_depth x (grouped conv k = max(3, width // depth), same padding,
                                           LayerNorm without affine, GELU)      relative_positional_encoder.{1..depth}.0
  b  = ALiBi bias -|i - j| m_h (Press et al. 2022 slopes) times clamp_min(alibi_scale, 0)
  h  = [extra_tokens; h], b padded with zeros for the extra tokens
  h  = context_encoder: LayerNorm, prenet_depth post-norm AltBlocks (bias b)
  h  = depth post-norm AltBlocks (bias b), extra tokens removed
  y  = proj(mean_t h)                                                         9 logits
AltBlock, post-norm: x = norm1(x + attn(x)); x = norm2(x + mlp(x)); attn: fused qkv, softmax(q k^T / sqrt(dh) + b) v, proj.
"""
import json
import math
import os
import subprocess

import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_speech_fixtures as enc  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "emotion2vec")
SAMPLES = sorted(f for f in os.listdir(os.path.join(ROOT, "samples")) if f.endswith(".flac"))
TOKENS = ["生气/angry", "厌恶/disgusted", "恐惧/fearful", "开心/happy", "中立/neutral", "其他/other", "难过/sad",
          "吃惊/surprised", "<unk>"]

D, HEADS, DEPTH, PRENET, EXTRA = 48, 6, 2, 1, 3          # 6 heads: ALiBi slopes of a non-power-of-two head count
CONV_SPEC = "[(16, 10, 5)] + [(16, 3, 2)] * 4 + [(16,2,2)] + [(16,2,2)]"
POS_WIDTH, POS_DEPTH, POS_GROUPS = 10, 2, 4


class TransposeLast(nn.Module):
    def forward(self, x):
        return x.transpose(-2, -1)


class ConvLayer(nn.Sequential):
    def __init__(self, cin, cout, k, s):
        super().__init__(nn.Conv1d(cin, cout, k, stride=s, bias=False), nn.Dropout(0.0),
                         nn.Sequential(TransposeLast(), nn.LayerNorm(cout), TransposeLast()), nn.GELU())


class LocalEncoder(nn.Module):
    def __init__(self, spec):
        super().__init__()
        layers, cin = [], 1
        for cout, k, s in spec:
            layers.append(ConvLayer(cin, cout, k, s))
            cin = cout
        self.conv_layers = nn.ModuleList(layers)

    def forward(self, x):  # (B, S) -> (B, C, T)
        x = x[:, None]
        for layer in self.conv_layers:
            x = layer(x)
        return x


class PosBlock(nn.Sequential):
    def __init__(self, k):
        super().__init__(nn.Conv1d(D, D, k, padding=k // 2, groups=POS_GROUPS))
        self.k = k

    def forward(self, x):  # (B, D, T)
        y = self[0](x)
        if self.k % 2 == 0:
            y = y[..., :-1]  # SamePad
        y = F.layer_norm(y.transpose(1, 2), (D,)).transpose(1, 2)
        return F.gelu(y)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x, bias):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q * (c // HEADS) ** -0.5) @ k.transpose(-2, -1) + bias
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class AltBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.attn, self.norm2, self.mlp = nn.LayerNorm(D), Attention(), nn.LayerNorm(D), Mlp()

    def forward(self, x, bias):  # layer_norm_first = false
        x = self.norm1(x + self.attn(x, bias))
        return self.norm2(x + self.mlp(x))


class ContextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(AltBlock() for _ in range(PRENET))
        self.norm = nn.LayerNorm(D)


class AudioEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        spec = eval(CONV_SPEC)
        self.local_encoder = LocalEncoder(spec)
        self.project_features = nn.Sequential(TransposeLast(), nn.LayerNorm(spec[-1][0]), nn.Linear(spec[-1][0], D))
        k = max(3, POS_WIDTH // POS_DEPTH)
        self.relative_positional_encoder = nn.Sequential(TransposeLast(), *[PosBlock(k) for _ in range(POS_DEPTH)], TransposeLast())
        self.context_encoder = ContextEncoder()
        self.extra_tokens = nn.Parameter(torch.zeros(1, EXTRA, D))
        self.alibi_scale = nn.Parameter(torch.ones(1, 1, HEADS, 1, 1))


def alibi_slopes(n):
    def power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][:n - closest]


class Emotion2vec(nn.Module):
    def __init__(self):
        super().__init__()
        self.modality_encoders = nn.ModuleDict({"AUDIO": AudioEncoder()})
        self.blocks = nn.ModuleList(AltBlock() for _ in range(DEPTH))
        self.proj = nn.Linear(D, len(TOKENS))

    def forward(self, wave):  # (1, S) float64 in [-1, 1)
        enc = self.modality_encoders["AUDIO"]
        x = F.layer_norm(wave, wave.shape)
        h = enc.project_features(enc.local_encoder(x))                      # (1, T, D)
        h = h + enc.relative_positional_encoder(h)
        t = h.shape[1]
        pos = torch.arange(t)
        slopes = torch.tensor(alibi_slopes(HEADS), dtype=torch.float32)
        bias = (slopes[:, None, None] * (-(pos[None, :] - pos[:, None]).abs()).float()[None])[None]   # (1, H, T, T) float32
        bias = (bias * enc.alibi_scale.clamp_min(0).squeeze(0).float()).double()
        h = torch.cat([enc.extra_tokens.expand(1, -1, -1), h], 1)
        bias = F.pad(bias, (EXTRA, 0, EXTRA, 0))
        h = enc.context_encoder.norm(h)
        for blk in enc.context_encoder.blocks:
            h = blk(h, bias)
        for blk in self.blocks:
            h = blk(h, bias)
        h = h[:, EXTRA:]
        return self.proj(h.mean(1))[0]


def read_sample(name):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(ROOT, "samples", name), "-f", "s16le", "-ac", "1",
                          "-ar", "16000", "-"], check=True, capture_output=True).stdout
    return torch.frombuffer(bytearray(raw), dtype=torch.int16).double() / 32768.0


CONFIG_YAML = f"""# FunASR configuration of an emotion2vec checkpoint (tiny random fixture; real checkpoints: depth 8 + prenet 4,
# embed_dim 768, 12 heads for emotion2vec_plus_base)
model: Emotion2vec
model_conf:
    loss_beta: 0.0
    loss_scale: null
    depth: {DEPTH}
    start_drop_path_rate: 0.0
    end_drop_path_rate: 0.0
    num_heads: {HEADS}
    norm_eps: 1e-05
    norm_affine: true
    encoder_dropout: 0.1
    post_mlp_drop: 0.1
    attention_dropout: 0.1
    activation_dropout: 0.0
    dropout_input: 0.0
    layerdrop: 0.05
    embed_dim: {D}
    mlp_ratio: 4.0
    layer_norm_first: false
    average_top_k_layers: {DEPTH}
    end_of_block_targets: false
    clone_batch: 8
    extractor_mode: layer_norm
    supported_modality: AUDIO
    normalize: true
    modalities:
        audio:
            type: AUDIO
            prenet_depth: {PRENET}
            prenet_layerdrop: 0.05
            prenet_dropout: 0.1
            num_extra_tokens: {EXTRA}
            init_extra_token_zero: true
            use_alibi_encoder: true
            alibi_scale: 1.0
            learned_alibi: false
            alibi_max_pos: null
            learned_alibi_scale: true
            learned_alibi_scale_per_head: true
            learned_alibi_scale_per_layer: false
            num_alibi_heads: {HEADS}
            model_depth: {DEPTH}
            extractor_mode: layer_norm
            feature_encoder_spec: '{CONV_SPEC}'
            conv_pos_width: {POS_WIDTH}
            conv_pos_groups: {POS_GROUPS}
            conv_pos_depth: {POS_DEPTH}
            conv_pos_pre_ln: false
tokenizer: CharTokenizer
tokenizer_conf:
    unk_symbol: <unk>
    split_with_space: true
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20261207)
    m = Emotion2vec()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("alibi_scale"):
                p.copy_(0.5 + torch.rand(p.shape, generator=gen))
            elif "norm" in name or name.endswith("layer_norm.weight") or ".2.1." in name or "project_features.1" in name:
                p.copy_((1 if name.endswith("weight") else 0) + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() >= 2 and not name.endswith("extra_tokens"):
                fan_in = p[0].numel()
                p.normal_(0, 1 / math.sqrt(fan_in), generator=gen)
            else:
                p.normal_(0, 0.3, generator=gen)
    m = m.double().eval()
    state = {k: v.detach().float().contiguous() for k, v in m.state_dict().items()}
    # The pre-training decoder travels in released checkpoints and is not used for recognition.
    state["modality_encoders.AUDIO.decoder.proj.weight"] = torch.randn(D, 8, generator=gen)
    state["modality_encoders.AUDIO.decoder.proj.bias"] = torch.zeros(D)

    folder = os.path.join(OUT, "emotion2vec-tiny")
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))
    with open(os.path.join(folder, "config.yaml"), "w", encoding="utf-8") as f:
        f.write(CONFIG_YAML)
    with open(os.path.join(folder, "tokens.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(TOKENS) + "\n")
    torch.save({"model": state}, os.path.join(folder, "model.pt"))
    size = os.path.getsize(os.path.join(folder, "model.pt"))
    assert size < 1024 * 1024, size
    # The same weights as model.safetensors (keys without the "model." wrapper): the other format a folder may hold.
    st_folder = folder + "-safetensors"
    os.makedirs(st_folder, exist_ok=True)
    for f in os.listdir(st_folder):
        os.remove(os.path.join(st_folder, f))
    for f in ("config.yaml", "tokens.txt"):
        with open(os.path.join(folder, f), encoding="utf-8") as src, open(os.path.join(st_folder, f), "w", encoding="utf-8") as dst:
            dst.write(src.read())
    enc.write_safetensors(os.path.join(st_folder, "model.safetensors"), state, {"format": "pt"})

    outputs = []
    with torch.no_grad():
        for s in SAMPLES:
            outputs.append([float(v) for v in m(read_sample(s)[None])])
    with open(os.path.join(OUT, "emotion2vec-tiny.expected.json"), "w") as f:
        json.dump({"clips": SAMPLES, "labels": ["unknown" if t == "<unk>" else t.split("/")[-1] for t in TOKENS], "outputs": outputs}, f, indent=1)
    print(f"model.pt {size} bytes, {len(state)} tensors, outputs[0] {outputs[0]}")


if __name__ == "__main__":
    main()
