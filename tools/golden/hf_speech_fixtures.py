"""Golden fixtures for Sentire's Hugging Face speech encoders (src/Sentire.Models/HuggingFace/Speech).

Run with Debian's torch/torchaudio:  /usr/bin/python3 tools/golden/hf_speech_fixtures.py
Writes (committed; tests never need Python) under tests/fixtures/hf-speech/:
  clips.safetensors            three real clips from ../shared/corpora cut to about 1 s, 16 kHz, as I16 PCM
                               (tensor "clipN"; metadata: corpus ids, lengths)
  <name>/                      a Hugging Face checkpoint folder: config.json, model.safetensors (or shards),
                               preprocessor_config.json
  <name>.expected.safetensors  "clipN.hidden.L" (1, T', D) for every hidden state L = 0..num_hidden_layers, as
                               Hugging Face's output_hidden_states=True returns them (index 0: input of the first
                               layer; the last one after the final layer norm in the stable-layer-norm layout)

The oracles are torchaudio 0.13's own wav2vec 2.0 / HuBERT models (torchaudio.models.wav2vec2_model, the builder
that hubert_* also use), randomly initialised at a small size, with their parameters renamed to Hugging Face's
names as torchaudio/models/wav2vec2/utils/import_huggingface.py maps them (feature_extractor.* unchanged,
encoder.feature_projection.* -> feature_projection.*, encoder.transformer.* -> encoder.*). torchaudio 0.13 has no
WavLM and no data2vec, so those two are compact reference implementations below, written from the papers:
  * data2vec-audio (Baevski et al. 2022, "data2vec", sec. 3.1/5.2): the wav2vec 2.0 layout with a layer-norm feature
    encoder and, instead of one weight-normalised positional convolution, a stack of num_conv_pos_embeddings blocks
    (grouped conv with "same" padding -> LayerNorm without affine -> GELU) whose output is added to its input.
  * WavLM (Chen et al. 2022, "WavLM", sec. 2.2, eq. 4-7): gated relative position bias. T5-style buckets of the
    key-minus-query offset index a (buckets, heads) table held by the first layer and shared by all layers; per
    layer and head, the layer input (split into heads) gives gates g = sigmoid(sum_of_4(x W + b)), (g_a, g_b), and
    the bias is scaled by g_a (g_b c - 1) + 2 (the form of the released implementation, c = gru_rel_pos_const).
Everything is computed in float64 and stored as float32. The wav2vec2-base fixture's weights are rounded to F16
first so that its F16 and sharded copies hold exactly the same values and share one expected file.
The "do_normalize" fixtures normalise each clip as Wav2Vec2FeatureExtractor does: (x - mean) / sqrt(var + 1e-7).
"""
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchaudio.models import wav2vec2_model

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "hf-speech")
CORPORA = os.path.join(ROOT, "..", "shared", "corpora")

CLIPS = [  # (corpus id, start s, length in samples): lengths differ so the padded batch has real padding
    ("ravdess/03-01-05-02-01-01-12", 0.7, 16000),
    ("emovo/rab-m1-b1", 0.5, 14720),
    ("urdu/SM1_F1_A01", 0.2, 15360),
]

CONV = dict(conv_dim=[16] * 7, conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_stride=[5, 2, 2, 2, 2, 2, 2])
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, layer_norm_eps=1e-5)

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int16: "I16"}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        b = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return 8 + len(h) + offset


def read_clip(corpus_id, start, length):
    corpus, stem = corpus_id.split("/")
    path = os.path.join(CORPORA, corpus, "audio", stem + ".flac")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
                         check=True, capture_output=True).stdout
    pcm = np.frombuffer(raw, dtype="<i2")
    s = int(start * 16000)
    if s + length > len(pcm):
        sys.exit(f"{path}: too short for {start} s + {length} samples")
    return torch.from_numpy(pcm[s:s + length].copy())


def hf_normalize(x):
    # Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm, per utterance over its valid samples
    return (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)


def perturb_norms(model, gen):
    # LayerNorm/GroupNorm start at (1, 0); random affine parameters make a swapped weight/bias visible.
    for m in model.modules():
        if isinstance(m, (nn.LayerNorm, nn.GroupNorm)) and m.weight is not None:
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))


def torchaudio_model(cfg, feat_extract_norm, conv_bias, stable, gen):
    torch.manual_seed(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
    model = wav2vec2_model(
        extractor_mode=f"{feat_extract_norm}_norm",
        extractor_conv_layer_config=list(zip(CONV["conv_dim"], CONV["conv_kernel"], CONV["conv_stride"])),
        extractor_conv_bias=conv_bias,
        encoder_embed_dim=cfg["hidden_size"], encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=cfg["num_conv_pos_embeddings"], encoder_pos_conv_groups=cfg["num_conv_pos_embedding_groups"],
        encoder_num_layers=cfg["num_hidden_layers"], encoder_num_heads=cfg["num_attention_heads"],
        encoder_attention_dropout=0.0, encoder_ff_interm_features=cfg["intermediate_size"], encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0, encoder_layer_norm_first=stable, encoder_layer_drop=0.0, aux_num_out=None)
    # torchaudio initialises linear layers with std 0.02: larger weights make every layer matter in the comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                p.normal_(0, 1 / math.sqrt(p.shape[1]), generator=gen)
            elif name.endswith("bias"):
                p.normal_(0, 0.1, generator=gen)
    perturb_norms(model, gen)
    return model.eval()


def hf_names(state):
    out = {}
    for k, v in state.items():
        if k.startswith("encoder.transformer."):
            k = "encoder." + k[len("encoder.transformer."):]
        elif k.startswith("encoder.feature_projection."):
            k = k[len("encoder."):]
        out[k] = v
    return out


def torchaudio_hidden_states(model, wave, stable, feat_proj_layer_norm=True):
    """HF's hidden_states from torchaudio's parts: (B, S) float64 -> list of (B, T', D)."""
    feats, _ = model.feature_extractor(wave, None)
    proj = model.encoder.feature_projection
    x = proj.projection(proj.layer_norm(feats) if feat_proj_layer_norm else feats)
    tr = model.encoder.transformer
    x = tr._preprocess(x)  # x + pos_conv(x), then encoder.layer_norm in the post-norm layout
    hs = [x]
    for layer in tr.layers:
        x = layer(x)
        hs.append(x)
    if stable:
        hs[-1] = tr.layer_norm(hs[-1])
    return hs


# ---------------------------------------------------------------- data2vec-audio reference (Baevski et al. 2022)
class Data2VecPosConvLayer(nn.Module):
    def __init__(self, dim, kernel, groups):
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=groups)
        self.kernel = kernel

    def forward(self, x):  # (B, C, T)
        t = x.shape[-1]
        y = self.conv(x)[..., :t]  # "same" output length: drop the extra frame of an even kernel
        y = F.layer_norm(y.transpose(1, 2), (y.shape[1],)).transpose(1, 2)  # LayerNorm over channels, no affine
        return F.gelu(y)


class Data2VecPosConv(nn.Module):
    """Relative positional embedding of data2vec-audio: a stack of conv blocks; the encoder adds it to its input."""

    def __init__(self, dim, layers, kernel, groups):
        super().__init__()
        self.embed_dim = dim
        self.layers = nn.ModuleList(Data2VecPosConvLayer(dim, kernel, groups) for _ in range(layers))

    def forward(self, x):  # (B, T, C)
        y = x.transpose(1, 2)
        for layer in self.layers:
            y = layer(y)
        return y.transpose(1, 2)


# ---------------------------------------------------------------- WavLM reference (Chen et al. 2022)
def relative_bucket(rel, num_buckets, max_distance):
    """T5 buckets (Raffel et al. 2020) of rel = key - query: half of the buckets for each sign, exact below
    max_exact = num_buckets / 4, logarithmic up to max_distance, computed in float32 as the released code does."""
    half = num_buckets // 2
    bucket = (rel > 0).long() * half
    n = rel.abs()
    max_exact = half // 2
    large = torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (half - max_exact)
    large = torch.clamp((max_exact + large).long(), max=half - 1)
    return bucket + torch.where(n < max_exact, n, large)


class WavLMAttention(nn.Module):
    def __init__(self, dim, heads, num_buckets, max_distance, has_bias):
        super().__init__()
        self.heads, self.dh = heads, dim // heads
        self.q_proj, self.k_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.v_proj, self.out_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.gru_rel_pos_const = nn.Parameter(torch.ones(1, heads, 1, 1))
        self.gru_rel_pos_linear = nn.Linear(self.dh, 8)
        self.num_buckets, self.max_distance = num_buckets, max_distance
        if has_bias:
            self.rel_attn_embed = nn.Embedding(num_buckets, heads)

    def position_bias(self, t):
        pos = torch.arange(t)
        buckets = relative_bucket(pos[None, :] - pos[:, None], self.num_buckets, self.max_distance)
        return self.rel_attn_embed(buckets).permute(2, 0, 1)[None]  # (1, H, T, T)

    def forward(self, x, bias, key_mask):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, self.dh).transpose(1, 2)  # (B, H, T, dh)
        # eq. 5-6: gates from the layer input of each head
        g = torch.sigmoid(self.gru_rel_pos_linear(split(x)).view(b, self.heads, t, 2, 4).sum(-1))
        ga, gb = g[..., 0:1], g[..., 1:2]
        gated = (ga * (gb * self.gru_rel_pos_const - 1.0) + 2.0) * bias  # (B, H, T, T)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dh) + gated
        if key_mask is not None:
            scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        out = torch.softmax(scores, -1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(b, t, d))


class WavLMLayer(nn.Module):
    def __init__(self, cfg, has_bias, stable):
        super().__init__()
        d = cfg["hidden_size"]
        self.attention = WavLMAttention(d, cfg["num_attention_heads"], cfg["num_buckets"], cfg["max_bucket_distance"], has_bias)
        self.layer_norm, self.final_layer_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.feed_forward = nn.Module()
        self.feed_forward.intermediate_dense = nn.Linear(d, cfg["intermediate_size"])
        self.feed_forward.output_dense = nn.Linear(cfg["intermediate_size"], d)
        self.stable = stable

    def ffn(self, x):
        return self.feed_forward.output_dense(F.gelu(self.feed_forward.intermediate_dense(x)))

    def forward(self, x, bias, key_mask):
        if self.stable:
            x = x + self.attention(self.layer_norm(x), bias, key_mask)
            return x + self.ffn(self.final_layer_norm(x))
        x = self.layer_norm(x + self.attention(x, bias, key_mask))
        return self.final_layer_norm(x + self.ffn(x))


def wavlm_model(cfg, gen, stable, feat_extract_norm="group", conv_bias=False):
    base = torchaudio_model(cfg, feat_extract_norm, conv_bias, stable, gen)
    layers = nn.ModuleList(WavLMLayer(cfg, i == 0, stable) for i in range(cfg["num_hidden_layers"]))
    with torch.no_grad():
        for name, p in layers.named_parameters():
            if name.endswith("weight") and p.dim() == 2 and "rel_attn_embed" not in name:
                p.normal_(0, 1 / math.sqrt(p.shape[1]), generator=gen)
            else:
                p.normal_(0, 0.5, generator=gen)
    perturb_norms(layers, gen)
    base.encoder.transformer.layers = layers
    return base.eval()


def wavlm_hidden_states(model, wave, stable):
    feats, _ = model.feature_extractor(wave, None)
    proj = model.encoder.feature_projection
    tr = model.encoder.transformer
    x = tr._preprocess(proj.projection(proj.layer_norm(feats)))
    bias = tr.layers[0].attention.position_bias(x.shape[1])  # layer 0's table, shared by every layer (ungated)
    hs = [x]
    for layer in tr.layers:
        x = layer(x, bias, None)
        hs.append(x)
    if stable:
        hs[-1] = tr.layer_norm(hs[-1])
    return hs


# ---------------------------------------------------------------- fixture writing
def base_config(model_type, feat_extract_norm, conv_bias, stable, architectures, **extra):
    cfg = {"model_type": model_type, "architectures": architectures, "feat_extract_norm": feat_extract_norm,
           "feat_extract_activation": "gelu", "hidden_act": "gelu", "conv_bias": conv_bias,
           "do_stable_layer_norm": stable, "num_feat_extract_layers": len(CONV["conv_dim"]),
           "hidden_dropout": 0.1, "attention_dropout": 0.1, "activation_dropout": 0.0, "feat_proj_dropout": 0.0,
           "layerdrop": 0.1, "mask_time_prob": 0.05, "vocab_size": 32, "transformers_version": "4.46.0"}
    cfg.update(CONV)
    cfg.update(SMALL)
    cfg.update(extra)
    return cfg


def write_checkpoint(name, cfg, state, do_normalize, dtype=torch.float32, shards=1):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump({"do_normalize": do_normalize, "feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": 1,
                   "padding_side": "right", "padding_value": 0.0, "return_attention_mask": do_normalize,
                   "sampling_rate": 16000}, f, indent=2)
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in state.items()}
    size = 0
    if shards == 1:
        size += write_safetensors(os.path.join(folder, "model.safetensors"), tensors, {"format": "pt"})
    else:
        names = sorted(tensors)
        weight_map = {}
        for s in range(shards):
            part = names[s::shards]
            file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            size += write_safetensors(os.path.join(folder, file), {k: tensors[k] for k in part}, {"format": "pt"})
            weight_map.update({k: file for k in part})
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": size}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    return size


def write_expected(name, hidden_states_per_clip, meta):
    t = {}
    for c, hs in enumerate(hidden_states_per_clip):
        for layer, h in enumerate(hs):
            t[f"clip{c}.hidden.{layer}"] = h.detach().float()
    return write_safetensors(os.path.join(OUT, name + ".expected.safetensors"), t, meta)


def model_input(clips, do_normalize):
    out = []
    for pcm in clips:
        x = pcm.double() / 32768.0
        out.append((hf_normalize(x) if do_normalize else x)[None])
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20261122)
    torch.manual_seed(0)
    clips = [read_clip(*c) for c in CLIPS]
    total = write_safetensors(os.path.join(OUT, "clips.safetensors"), {f"clip{i}": c for i, c in enumerate(clips)},
                              {"sources": json.dumps([{"id": c[0], "start_s": c[1], "samples": c[2]} for c in CLIPS])})

    def run(name, cfg, model, state, hidden, do_normalize, extra_keys=None, prefix="", copies=()):
        nonlocal total
        state = {prefix + k: v for k, v in state.items()}
        state.update(extra_keys or {})
        model = model.double()
        with torch.no_grad():
            hs = [hidden(model, x) for x in model_input(clips, do_normalize)]
        total += write_checkpoint(name, cfg, state, do_normalize)
        for copy_name, dtype, shards in copies:
            total += write_checkpoint(copy_name, cfg, state, do_normalize, dtype, shards)
        total += write_expected(name, hs, {"layers": str(len(hs[0])), "frames": json.dumps([h[0].shape[1] for h in hs])})
        print(f"{name}: {len(state)} tensors, frames {[h[0].shape[1] for h in hs]}")

    # 1) wav2vec2-base layout: group norm on conv 0, no conv bias, post-norm; Wav2Vec2Model keys (no prefix), old
    #    weight-norm names; F16-exact weights, with an F16 copy and a two-shard copy of the same checkpoint.
    cfg = base_config("wav2vec2", "group", False, False, ["Wav2Vec2Model"])
    m = torchaudio_model(cfg, "group", False, False, gen)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.half().float())
    st = hf_names(m.state_dict())
    run("wav2vec2-base", cfg, m, st, lambda mm, x: torchaudio_hidden_states(mm, x, False), False,
        extra_keys={"masked_spec_embed": torch.rand(cfg["hidden_size"], generator=gen)},
        copies=[("wav2vec2-base-f16", torch.float16, 1), ("wav2vec2-base-sharded", torch.float32, 2)])

    # 2) wav2vec2-large layout: layer norm after every conv, conv bias, stable layer norm; saved from Wav2Vec2ForCTC
    #    ("wav2vec2." prefix, lm_head), new parametrization names of the weight norm; do_normalize.
    cfg = base_config("wav2vec2", "layer", True, True, ["Wav2Vec2ForCTC"])
    m = torchaudio_model(cfg, "layer", True, True, gen)
    st = hf_names(m.state_dict())
    st["encoder.pos_conv_embed.conv.parametrizations.weight.original0"] = st.pop("encoder.pos_conv_embed.conv.weight_g")
    st["encoder.pos_conv_embed.conv.parametrizations.weight.original1"] = st.pop("encoder.pos_conv_embed.conv.weight_v")
    run("wav2vec2-large", cfg, m, st, lambda mm, x: torchaudio_hidden_states(mm, x, True), True, prefix="wav2vec2.",
        extra_keys={"lm_head.weight": torch.randn(32, cfg["hidden_size"], generator=gen), "lm_head.bias": torch.zeros(32)})

    # 3) HuBERT: base layout without the feature projection's layer norm (feat_proj_layer_norm = false), saved from
    #    HubertForSequenceClassification ("hubert." prefix, projector, classifier, layer_weights).
    cfg = base_config("hubert", "group", False, False, ["HubertForSequenceClassification"], feat_proj_layer_norm=False,
                      use_weighted_layer_sum=True, classifier_proj_size=8)
    m = torchaudio_model(cfg, "group", False, False, gen)
    st = {k: v for k, v in hf_names(m.state_dict()).items() if not k.startswith("feature_projection.layer_norm.")}
    run("hubert", cfg, m, st, lambda mm, x: torchaudio_hidden_states(mm, x, False, feat_proj_layer_norm=False), False,
        prefix="hubert.", extra_keys={"projector.weight": torch.randn(8, 32, generator=gen), "projector.bias": torch.zeros(8),
                                      "classifier.weight": torch.randn(4, 8, generator=gen), "classifier.bias": torch.zeros(4),
                                      "layer_weights": torch.ones(3) / 3})

    # 4) data2vec-audio: layer-norm feature encoder with conv bias, post-norm encoder, positional conv stack.
    cfg = base_config("data2vec-audio", "layer", True, False, ["Data2VecAudioModel"], num_conv_pos_embeddings=3,
                      conv_pos_kernel_size=5)
    m = torchaudio_model(dict(cfg, num_conv_pos_embeddings=16), "layer", True, False, gen)
    pos = Data2VecPosConv(cfg["hidden_size"], cfg["num_conv_pos_embeddings"], cfg["conv_pos_kernel_size"],
                          cfg["num_conv_pos_embedding_groups"])
    with torch.no_grad():
        for p in pos.parameters():
            p.normal_(0, 0.3, generator=gen)
    m.encoder.transformer.pos_conv_embed = pos
    st = hf_names(m.state_dict())
    run("data2vec-audio", cfg, m, st, lambda mm, x: torchaudio_hidden_states(mm, x, False), True)

    # 5) WavLM (base layout: group norm, post-norm) with few buckets so that the logarithmic buckets are used.
    cfg = base_config("wavlm", "group", False, False, ["WavLMModel"], num_buckets=32, max_bucket_distance=64)
    m = wavlm_model(cfg, gen, stable=False)
    st = hf_names(m.state_dict())
    run("wavlm", cfg, m, st, lambda mm, x: wavlm_hidden_states(mm, x, False), False)

    # 6) WavLM large layout (layer-norm convolutions with bias, stable layer norm), saved from WavLMForCTC; do_normalize.
    cfg = base_config("wavlm", "layer", True, True, ["WavLMForCTC"], num_buckets=32, max_bucket_distance=64)
    m = wavlm_model(cfg, gen, stable=True, feat_extract_norm="layer", conv_bias=True)
    st = hf_names(m.state_dict())
    run("wavlm-large", cfg, m, st, lambda mm, x: wavlm_hidden_states(mm, x, True), True, prefix="wavlm.",
        extra_keys={"lm_head.weight": torch.randn(32, cfg["hidden_size"], generator=gen), "lm_head.bias": torch.zeros(32)})

    print(f"total {total} bytes")
    if total > 2 * 1024 * 1024:
        sys.exit("hf-speech fixtures exceed the 2 MB budget")


if __name__ == "__main__":
    main()
