"""Fixtures for Sentire's Whisper encoder and WhisperForAudioClassification (src/Sentire.Models/HuggingFace/Speech/Whisper.cs).

Run with Debian's torch/torchaudio:  /usr/bin/python3 tools/golden/whisper_fixtures.py
transformers is not installable here, so the modules are written below from the layout of transformers'
models/whisper/modeling_whisper.py (WhisperEncoder, WhisperEncoderLayer, WhisperAttention, WhisperForAudioClassification)
with its parameter names, and the log-mel front end from openai/whisper's audio.py and WhisperFeatureExtractor
(30 s windows zero-padded, n_fft 400, hop 160, periodic Hann, centre reflect padding, last frame dropped, Slaney mel
filters from 0 to 8 kHz, log10 clamped at 1e-10, floored at max - 8, (x + 4) / 4).
Writes (committed; tests never need Python), tiny and random-initialised, under tests/fixtures/whisper/:
  cls-weighted/   config.json + preprocessor_config.json + model.safetensors: WhisperForAudioClassification, 80 mel bins,
                  use_weighted_layer_sum, 4 labels
  cls-128/        the same with 128 mel bins, no weighted sum, as pytorch_model.bin (torch.save zip)
  encoder/        WhisperModel-style checkpoint ("encoder.*" and a stand-in "decoder.*" tensor), 80 bins
  expected.safetensors  for each fixture and each of the three real clips of tests/fixtures/hf-speech/clips.safetensors:
                  "<fixture>.clip<i>.logits" (classifiers), "<fixture>.clip<i>.last_hidden" (first 40 positions),
                  and "mel80.clip0" / "mel128.clip0" (the first 120 frames of the log-mel input)
"""
import collections
import json
import math
import os
import struct
import sys

import torch
import torchaudio

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixture import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "whisper")
CLIPS = os.path.join(ROOT, "tests", "fixtures", "hf-speech", "clips.safetensors")

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_LENGTH = 30
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in a 30 s window
N_FRAMES = N_SAMPLES // HOP_LENGTH      # 3000 frames


def log_mel_spectrogram(audio, n_mels):
    """whisper/audio.py log_mel_spectrogram on audio padded (or cut) to 30 s, as WhisperFeatureExtractor."""
    audio = torch.nn.functional.pad(audio[:N_SAMPLES], (0, max(0, N_SAMPLES - audio.shape[0])))
    window = torch.hann_window(N_FFT)
    stft = torch.stft(audio, N_FFT, HOP_LENGTH, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2                                       # (201, 3000)
    filters = torchaudio.functional.melscale_fbanks(N_FFT // 2 + 1, 0.0, SAMPLE_RATE / 2, n_mels, SAMPLE_RATE,
                                                    norm="slaney", mel_scale="slaney").T  # librosa.filters.mel
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0                                                # (n_mels, 3000)


def sinusoids(length, channels, max_timescale=10000):
    """whisper/model.py sinusoids: sin on the first half of the channels, cos on the second."""
    log_timescale_increment = math.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-log_timescale_increment * torch.arange(channels // 2))
    scaled_time = torch.arange(length)[:, None] * inv_timescales[None, :]
    return torch.cat([torch.sin(scaled_time), torch.cos(scaled_time)], dim=1)


class WhisperAttention(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.scaling = self.head_dim ** -0.5
        self.k_proj = torch.nn.Linear(d, d, bias=False)
        self.v_proj = torch.nn.Linear(d, d)
        self.q_proj = torch.nn.Linear(d, d)
        self.out_proj = torch.nn.Linear(d, d)

    def forward(self, x):                                   # (B, T, D)
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.q_proj(x) * self.scaling), split(self.k_proj(x)), split(self.v_proj(x))
        w = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, t, d))


class WhisperEncoderLayer(torch.nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.self_attn = WhisperAttention(d, heads)
        self.self_attn_layer_norm = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, ffn)
        self.fc2 = torch.nn.Linear(ffn, d)
        self.final_layer_norm = torch.nn.LayerNorm(d)

    def forward(self, h):
        h = h + self.self_attn(self.self_attn_layer_norm(h))
        return h + self.fc2(torch.nn.functional.gelu(self.fc1(self.final_layer_norm(h))))


class WhisperEncoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.conv1 = torch.nn.Conv1d(c["num_mel_bins"], d, kernel_size=3, padding=1)
        self.conv2 = torch.nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.embed_positions = torch.nn.Embedding(c["max_source_positions"], d)
        with torch.no_grad():
            self.embed_positions.weight.copy_(sinusoids(c["max_source_positions"], d))
        self.layers = torch.nn.ModuleList(WhisperEncoderLayer(d, c["encoder_attention_heads"], c["encoder_ffn_dim"]) for _ in range(c["encoder_layers"]))
        self.layer_norm = torch.nn.LayerNorm(d)

    def forward(self, features):                                    # (B, n_mels, 3000)
        x = torch.nn.functional.gelu(self.conv1(features))
        x = torch.nn.functional.gelu(self.conv2(x)).permute(0, 2, 1)  # (B, 1500, D)
        x = x + self.embed_positions.weight[: x.shape[1]]
        states = []
        for layer in self.layers:
            states.append(x)
            x = layer(x)
        x = self.layer_norm(x)
        states.append(x)
        return x, states


class WhisperForAudioClassification(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = WhisperEncoder(c)
        if c["use_weighted_layer_sum"]:
            self.layer_weights = torch.nn.Parameter(torch.ones(c["encoder_layers"] + 1) / (c["encoder_layers"] + 1))
        self.projector = torch.nn.Linear(c["d_model"], c["classifier_proj_size"])
        self.classifier = torch.nn.Linear(c["classifier_proj_size"], len(c["id2label"]))
        self.weighted = c["use_weighted_layer_sum"]

    def forward(self, features):
        last, states = self.encoder(features)
        if self.weighted:
            h = (torch.stack(states, dim=1) * torch.softmax(self.layer_weights, dim=-1).view(-1, 1, 1)).sum(dim=1)
        else:
            h = last
        return self.classifier(self.projector(h).mean(dim=1)), last


def config(n_mels, weighted, architecture):
    return {
        "architectures": [architecture], "model_type": "whisper", "num_mel_bins": n_mels, "d_model": 16,
        "encoder_layers": 2, "encoder_attention_heads": 2, "encoder_ffn_dim": 32, "max_source_positions": 1500,
        "decoder_layers": 2, "decoder_attention_heads": 2, "decoder_ffn_dim": 32, "max_target_positions": 448,
        "activation_function": "gelu", "use_weighted_layer_sum": weighted, "classifier_proj_size": 8,
        "id2label": {"0": "angry", "1": "happy", "2": "neutral", "3": "sad"},
        "label2id": {"angry": 0, "happy": 1, "neutral": 2, "sad": 3}, "vocab_size": 51865,
    }


def preprocessor(n_mels):
    return {"feature_extractor_type": "WhisperFeatureExtractor", "feature_size": n_mels, "sampling_rate": SAMPLE_RATE,
            "hop_length": HOP_LENGTH, "chunk_length": CHUNK_LENGTH, "n_fft": N_FFT, "n_samples": N_SAMPLES,
            "nb_max_frames": N_FRAMES, "padding_value": 0.0, "return_attention_mask": False}


def read_clips():
    with open(CLIPS, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = []
    for i in range(3):
        b, end = header[f"clip{i}"]["data_offsets"]
        out.append(torch.frombuffer(bytearray(data[b:end]), dtype=torch.int16).float() / 32768.0)
    return out


def write_folder(name, cfg, state, as_bin):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for stale in ("model.safetensors", "pytorch_model.bin"):
        if os.path.exists(os.path.join(folder, stale)):
            os.remove(os.path.join(folder, stale))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor(cfg["num_mel_bins"]), f, indent=2)
    state = collections.OrderedDict((k, v.detach().contiguous()) for k, v in state.items())
    if as_bin:
        torch.save(state, os.path.join(folder, "pytorch_model.bin"))
    else:
        write_safetensors(os.path.join(folder, "model.safetensors"), state, {"format": "pt"})


def main():
    clips = read_clips()
    expected = {}
    with torch.no_grad():
        for n_mels in (80, 128):
            expected[f"mel{n_mels}.clip0"] = log_mel_spectrogram(clips[0], n_mels)[:, :120].contiguous()
        for name, n_mels, weighted, as_bin in [("cls-weighted", 80, True, False), ("cls-128", 128, False, True)]:
            torch.manual_seed(31 + n_mels)
            cfg = config(n_mels, weighted, "WhisperForAudioClassification")
            model = WhisperForAudioClassification(cfg).eval()
            if weighted:
                model.layer_weights.copy_(torch.tensor([0.3, -0.2, 0.5]))  # not uniform, so the softmax matters
            write_folder(name, cfg, model.state_dict(), as_bin)
            for i, clip in enumerate(clips):
                logits, last = model(log_mel_spectrogram(clip, n_mels)[None])
                expected[f"{name}.clip{i}.logits"] = logits[0]
                expected[f"{name}.clip{i}.last_hidden"] = last[0, :40].contiguous()
        torch.manual_seed(7)
        cfg = config(80, False, "WhisperModel")
        encoder = WhisperEncoder(cfg).eval()
        state = collections.OrderedDict(("encoder." + k, v) for k, v in encoder.state_dict().items())
        state["decoder.embed_tokens.weight"] = torch.randn(8, 16)  # a WhisperModel checkpoint also holds the decoder
        write_folder("encoder", cfg, state, as_bin=False)
        for i, clip in enumerate(clips):
            last, _ = encoder(log_mel_spectrogram(clip, 80)[None])
            expected[f"encoder.clip{i}.last_hidden"] = last[0, :40].contiguous()
    write_safetensors(os.path.join(OUT, "expected.safetensors"), expected, {"written_by": "tools/golden/whisper_fixtures.py"})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
