"""Golden fixtures for the emotion heads on Hugging Face speech encoders (src/Sentire.Models/HuggingFace/Speech/
SpeechClassifier.cs).

Run with Debian's torch/torchaudio:  /usr/bin/python3 tools/golden/hf_emotion_heads_fixtures.py
Writes (committed; tests never need Python) under tests/fixtures/hf-emotion/:
  <name>/                      a checkpoint folder as its authors publish it: config.json (architectures, id2label,
                               the head's fields), preprocessor_config.json, model.safetensors or pytorch_model.bin
                               (torch.save zip) or pytorch_model-0000N-of-0000M.bin + pytorch_model.bin.index.json
  <name>.expected.json         the head's outputs on each committed demo clip (samples/*.flac, 16 kHz mono):
                               {"clips": [file names], "outputs": [[...], ...]} - logits of a classifier (before the
                               softmax) or the dimensions of a regression head, in the order of config.json's id2label

The encoders are the oracles of tools/golden/hf_speech_fixtures.py (torchaudio 0.13's wav2vec 2.0 renamed to Hugging
Face's keys, and its data2vec-audio and WavLM references), at the same tiny sizes. The heads are written here from
their published definitions:
  * *ForSequenceClassification (transformers' modeling_wav2vec2/hubert/wavlm/data2vec_audio; SUPERB, Yang et al.
    2021): h = sum_l softmax(layer_weights)_l h_l when use_weighted_layer_sum, else the last hidden state;
    projector: Linear(hidden_size, classifier_proj_size) per frame; mean over frames; classifier:
    Linear(classifier_proj_size, num_labels).
  * the "dense + tanh + out_proj" head (Wav2Vec2ClassificationHead of the community speech-classification notebooks,
    audEERING's RegressionHead): pool the last hidden state over frames (pooling_mode mean, sum or max; mean when the
    config names none), then out_proj(tanh(dense(x))), dense: Linear(hidden_size, hidden_size).
Everything runs in float64; weights are stored as float32 (or float16 / bfloat16 where the fixture says so, rounded
first so that every copy holds the same values and the reference computes with exactly the stored 16-bit weights).
"""
import json
import math
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_speech_fixtures as enc  # noqa: E402

ROOT = enc.ROOT
OUT = os.path.join(ROOT, "tests", "fixtures", "hf-emotion")
SAMPLES = sorted(f for f in os.listdir(os.path.join(ROOT, "samples")) if f.endswith(".flac"))

SUPERB_LABELS = ["neu", "hap", "ang", "sad"]
SPEECH_LABELS = ["angry", "calm", "disgust", "fearful", "happy", "neutral", "sad", "surprised"]
DIMENSIONS = ["arousal", "dominance", "valence"]


def read_sample(name):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(ROOT, "samples", name), "-f", "s16le", "-ac", "1",
                          "-ar", "16000", "-"], check=True, capture_output=True).stdout
    return torch.frombuffer(bytearray(raw), dtype=torch.int16).double() / 32768.0


def linear(gen, out_features, in_features):
    return {"weight": torch.randn(out_features, in_features, generator=gen) / math.sqrt(in_features),
            "bias": 0.1 * torch.randn(out_features, generator=gen)}


def apply(p, x):
    return x @ p["weight"].double().T + p["bias"].double()


def seq_cls_head(gen, cfg, labels):
    """Weights of *ForSequenceClassification (keys layer_weights, projector.*, classifier.*)."""
    head = {}
    if cfg.get("use_weighted_layer_sum"):
        head["layer_weights"] = torch.randn(cfg["num_hidden_layers"] + 1, generator=gen)
    for k, v in linear(gen, cfg["classifier_proj_size"], cfg["hidden_size"]).items():
        head["projector." + k] = v
    for k, v in linear(gen, len(labels), cfg["classifier_proj_size"]).items():
        head["classifier." + k] = v
    return head


def seq_cls_forward(head, hs):
    if "layer_weights" in head:
        w = torch.softmax(head["layer_weights"].double(), -1)
        h = sum(w[i] * hs[i] for i in range(len(hs)))
    else:
        h = hs[-1]
    h = apply({"weight": head["projector.weight"], "bias": head["projector.bias"]}, h)    # (1, T', P)
    pooled = h.mean(1)                                                                     # no padding: plain mean
    return apply({"weight": head["classifier.weight"], "bias": head["classifier.bias"]}, pooled)[0]


def dense_tanh_head(gen, cfg, labels):
    head = {}
    for k, v in linear(gen, cfg["hidden_size"], cfg["hidden_size"]).items():
        head["classifier.dense." + k] = v
    for k, v in linear(gen, len(labels), cfg["hidden_size"]).items():
        head["classifier.out_proj." + k] = v
    return head


def dense_tanh_forward(head, hs, pooling):
    h = hs[-1]
    pooled = {"mean": lambda: h.mean(1), "sum": lambda: h.sum(1), "max": lambda: h.max(1)[0]}[pooling]()
    x = torch.tanh(apply({"weight": head["classifier.dense.weight"], "bias": head["classifier.dense.bias"]}, pooled))
    return apply({"weight": head["classifier.out_proj.weight"], "bias": head["classifier.out_proj.bias"]}, x)[0]


def save_bin(folder, tensors, shards):
    """pytorch_model.bin (torch.save's zip format), or shards with pytorch_model.bin.index.json."""
    if shards == 1:
        torch.save(tensors, os.path.join(folder, "pytorch_model.bin"))
        return os.path.getsize(os.path.join(folder, "pytorch_model.bin"))
    names, weight_map, size = sorted(tensors), {}, 0
    for s in range(shards):
        part = names[s::shards]
        file = f"pytorch_model-{s + 1:05d}-of-{shards:05d}.bin"
        torch.save({k: tensors[k] for k in part}, os.path.join(folder, file))
        size += os.path.getsize(os.path.join(folder, file))
        weight_map.update({k: file for k in part})
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(t.numel() * t.element_size() for t in tensors.values())},
                   "weight_map": weight_map}, f, indent=2, sort_keys=True)
    return size


def write_folder(name, cfg, state, do_normalize, return_attention_mask, fmt="safetensors", dtype=torch.float32, shards=1):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump({"do_normalize": do_normalize, "feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": 1,
                   "padding_side": "right", "padding_value": 0.0, "return_attention_mask": return_attention_mask,
                   "sampling_rate": 16000}, f, indent=2)
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in state.items()}
    if fmt == "safetensors":
        size = enc.write_safetensors(os.path.join(folder, "model.safetensors"), tensors, {"format": "pt"})
    else:
        size = save_bin(folder, tensors, shards)
    if size > 1024 * 1024:
        sys.exit(f"{name}: {size} bytes, over the 1 MB fixture budget")
    return size


def labelled(cfg, labels, **extra):
    cfg = dict(cfg, id2label={str(i): l for i, l in enumerate(labels)}, label2id={l: i for i, l in enumerate(labels)})
    cfg.update(extra)
    return cfg


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20261206)
    torch.manual_seed(0)
    clips = [read_sample(s) for s in SAMPLES]
    total = 0

    def run(name, cfg, model, hidden, encoder_state, head, forward, do_normalize, return_attention_mask, prefix,
            copies=(), round_to=None, dtype=torch.float32, fmt="safetensors", shards=1):
        """Writes <name>/ (+ copies) and <name>.expected.json: forward(head, hidden states) per clip. round_to rounds every
        weight to a 16-bit dtype first, so that the float64 reference computes with exactly the values a 16-bit copy holds."""
        nonlocal total
        if round_to is not None:
            with torch.no_grad():
                for p in model.parameters():
                    p.copy_(p.to(round_to).float())
            encoder_state = {k: v.to(round_to).float() for k, v in encoder_state.items()}
            head = {k: v.to(round_to).float() for k, v in head.items()}
        state = {prefix + k: v for k, v in encoder_state.items()}
        state.update(head)
        model = model.double()
        outputs = []
        with torch.no_grad():
            for x in clips:
                x = enc.hf_normalize(x) if do_normalize else x
                outputs.append([float(v) for v in forward(head, hidden(model, x[None]))])
        total += write_folder(name, cfg, state, do_normalize, return_attention_mask, fmt, dtype, shards)
        for copy_name, fmt, dtype, shards in copies:
            total += write_folder(copy_name, cfg, state, do_normalize, return_attention_mask, fmt, dtype, shards)
        with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
            json.dump({"clips": SAMPLES, "labels": [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))],
                       "outputs": outputs}, f, indent=1)
        print(f"{name}: {len(state)} tensors, outputs[0] {outputs[0]}")

    seq_forward = seq_cls_forward

    # 1) Wav2Vec2ForSequenceClassification, base layout (group norm, post-norm), last hidden state, SUPERB's 4 labels;
    #    F16-exact weights with an F16 safetensors copy and a pytorch_model.bin copy.
    cfg = labelled(enc.base_config("wav2vec2", "group", False, False, ["Wav2Vec2ForSequenceClassification"],
                                   use_weighted_layer_sum=False, classifier_proj_size=8), SUPERB_LABELS)
    m = enc.torchaudio_model(cfg, "group", False, False, gen)
    run("wav2vec2-seq-cls", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, False), enc.hf_names(m.state_dict()),
        seq_cls_head(gen, cfg, SUPERB_LABELS), seq_forward, True, False, "wav2vec2.", round_to=torch.float16,
        copies=[("wav2vec2-seq-cls-f16", "safetensors", torch.float16, 1), ("wav2vec2-seq-cls-bin", "bin", torch.float32, 1)])

    # 2) HubertForSequenceClassification with use_weighted_layer_sum (random layer_weights), feature projection norm.
    cfg = labelled(enc.base_config("hubert", "group", False, False, ["HubertForSequenceClassification"],
                                   use_weighted_layer_sum=True, classifier_proj_size=8, feat_proj_layer_norm=True), SUPERB_LABELS)
    m = enc.torchaudio_model(cfg, "group", False, False, gen)
    run("hubert-seq-cls-weighted", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, False),
        enc.hf_names(m.state_dict()), seq_cls_head(gen, cfg, SUPERB_LABELS), seq_forward, False, False, "hubert.")

    # 3) WavLMForSequenceClassification, large layout (layer-norm convolutions with bias, stable layer norm), weighted.
    cfg = labelled(enc.base_config("wavlm", "layer", True, True, ["WavLMForSequenceClassification"], num_buckets=32,
                                   max_bucket_distance=64, use_weighted_layer_sum=True, classifier_proj_size=8), SUPERB_LABELS)
    m = enc.wavlm_model(cfg, gen, stable=True, feat_extract_norm="layer", conv_bias=True)
    run("wavlm-large-seq-cls-weighted", cfg, m, lambda mm, x: enc.wavlm_hidden_states(mm, x, True),
        enc.hf_names(m.state_dict()), seq_cls_head(gen, cfg, SUPERB_LABELS), seq_forward, True, True, "wavlm.")

    # 4) Data2VecAudioForSequenceClassification (positional conv stack), last hidden state.
    cfg = labelled(enc.base_config("data2vec-audio", "layer", True, False, ["Data2VecAudioForSequenceClassification"],
                                   num_conv_pos_embeddings=3, conv_pos_kernel_size=5, use_weighted_layer_sum=False,
                                   classifier_proj_size=8), SUPERB_LABELS)
    m = enc.torchaudio_model(dict(cfg, num_conv_pos_embeddings=16), "layer", True, False, gen)
    pos = enc.Data2VecPosConv(cfg["hidden_size"], cfg["num_conv_pos_embeddings"], cfg["conv_pos_kernel_size"],
                              cfg["num_conv_pos_embedding_groups"])
    with torch.no_grad():
        for p in pos.parameters():
            p.normal_(0, 0.3, generator=gen)
    m.encoder.transformer.pos_conv_embed = pos
    run("data2vec-audio-seq-cls", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, False),
        enc.hf_names(m.state_dict()), seq_cls_head(gen, cfg, SUPERB_LABELS), seq_forward, True, True, "data2vec_audio.")

    # 5) The dense + tanh + out_proj classifier (Wav2Vec2ForSpeechClassification of the community notebooks,
    #    pooling_mode "mean"), base layout, 8 RAVDESS labels.
    cfg = labelled(enc.base_config("wav2vec2", "group", False, False, ["Wav2Vec2ForSpeechClassification"]), SPEECH_LABELS,
                   pooling_mode="mean", problem_type="single_label_classification", final_dropout=0.1)
    m = enc.torchaudio_model(cfg, "group", False, False, gen)
    run("wav2vec2-dense-cls", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, False), enc.hf_names(m.state_dict()),
        dense_tanh_head(gen, cfg, SPEECH_LABELS), lambda h, hs: dense_tanh_forward(h, hs, "mean"), True, False, "wav2vec2.")

    # 6) The same head with pooling_mode "max" on HuBERT (HubertForSpeechClassification).
    cfg = labelled(enc.base_config("hubert", "group", False, False, ["HubertForSpeechClassification"]), SPEECH_LABELS[:4],
                   pooling_mode="max", final_dropout=0.1)
    m = enc.torchaudio_model(cfg, "group", False, False, gen)
    run("hubert-dense-cls-max", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, False), enc.hf_names(m.state_dict()),
        dense_tanh_head(gen, cfg, SPEECH_LABELS[:4]), lambda h, hs: dense_tanh_forward(h, hs, "max"), False, False, "hubert.")

    # 7) audEERING's dimensional model (wav2vec2-large-robust pruned: layer-norm convolutions with bias, stable layer
    #    norm; EmotionModel = Wav2Vec2Model + RegressionHead over the mean of the last hidden state; outputs arousal,
    #    dominance, valence, no softmax); do_normalize with an attention mask. A sharded pytorch_model.bin copy.
    cfg = labelled(enc.base_config("wav2vec2", "layer", True, True, ["Wav2Vec2ForSpeechClassification"]), DIMENSIONS,
                   final_dropout=0.1, vocab_size=None)
    m = enc.torchaudio_model(cfg, "layer", True, True, gen)
    st = enc.hf_names(m.state_dict())
    st["masked_spec_embed"] = torch.rand(cfg["hidden_size"], generator=gen)  # in every Wav2Vec2Model checkpoint; unused here
    run("audeering-dim", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, True), st,
        dense_tanh_head(gen, cfg, DIMENSIONS), lambda h, hs: dense_tanh_forward(h, hs, "mean"), True, True, "wav2vec2.",
        copies=[("audeering-dim-sharded-bin", "bin", torch.float32, 2)])

    # 8) The audEERING layout (stable layer norm, dense + tanh, dimensions) stored in bfloat16 as pytorch_model.bin:
    #    weights rounded to bfloat16, the reference computed in float64 from the rounded values (a model loaded with
    #    its matrices kept in 16 bits must reproduce it; the F16 case is wav2vec2-seq-cls-f16 above).
    cfg = labelled(enc.base_config("wav2vec2", "layer", True, True, ["Wav2Vec2ForSpeechClassification"]), DIMENSIONS,
                   final_dropout=0.1, vocab_size=None, torch_dtype="bfloat16")
    m = enc.torchaudio_model(cfg, "layer", True, True, gen)
    run("audeering-dim-bf16-bin", cfg, m, lambda mm, x: enc.torchaudio_hidden_states(mm, x, True), enc.hf_names(m.state_dict()),
        dense_tanh_head(gen, cfg, DIMENSIONS), lambda h, hs: dense_tanh_forward(h, hs, "mean"), True, True, "wav2vec2.",
        round_to=torch.bfloat16, dtype=torch.bfloat16, fmt="bin")

    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
