#!/usr/bin/python3
"""Golden outputs of the EfficientAT mn04_as teacher (src/Sentire.Models/AudioTagging/EfficientAt.cs) on the committed
sample clips, written with PyTorch 1.13 and torchaudio from the published description (../shared/teachers/efficientat-mn04/README.md,
Schmid et al. ICASSP 2023, MobileNetV3-Large of Howard et al. 2019) and the shared checkpoint.

Run from the repository root with Debian's python (the one with torch), with ../shared present:

    /usr/bin/python3 tools/golden/efficientat_fixtures.py

Writes tests/fixtures/efficientat/mn04_as_samples.safetensors: per clip <stem>, the 32 kHz waveform's length
(<stem>.samples), the normalised log-mel's first 6 frames (<stem>.mel_head, (128, 6)), the embedding (<stem>.embedding,
384) and the AudioSet logits (<stem>.logits, 527); metadata: the clips and their top-5 AudioSet classes. Only these
outputs are committed, never the weights.

Waveform: the FLAC decoded and resampled 16 -> 32 kHz by ffmpeg (`-ar 32000`, libswresample defaults), which the
project's Resampler reproduces; the C# test feeds its own decode + resample.
"""
import csv
import glob
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_fixtures import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TEACHER = os.path.join(ROOT, "..", "shared", "teachers", "efficientat-mn04")
OUT = os.path.join(ROOT, "tests", "fixtures", "efficientat", "mn04_as_samples.safetensors")


def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


# MobileNetV3-Large: input, kernel, expanded, output, SE, hard-swish, stride
LARGE = [(16, 3, 16, 16, False, False, 1), (16, 3, 64, 24, False, False, 2), (24, 3, 72, 24, False, False, 1),
         (24, 5, 72, 40, True, False, 2), (40, 5, 120, 40, True, False, 1), (40, 5, 120, 40, True, False, 1),
         (40, 3, 240, 80, False, True, 2), (80, 3, 200, 80, False, True, 1), (80, 3, 184, 80, False, True, 1),
         (80, 3, 184, 80, False, True, 1), (80, 3, 480, 112, True, True, 1), (112, 3, 672, 112, True, True, 1),
         (112, 5, 672, 160, True, True, 2), (160, 5, 960, 160, True, True, 1), (160, 5, 960, 160, True, True, 1)]
WIDTH = 0.4
EPS = 1e-3


def cna(sd, prefix, x, stride, groups, act):
    """conv (no bias, 'same' padding) -> batch norm (running statistics) -> activation"""
    w = sd[prefix + ".0.weight"]
    x = F.conv2d(x, w, None, stride, (w.shape[-1] - 1) // 2, 1, groups)
    x = F.batch_norm(x, sd[prefix + ".1.running_mean"], sd[prefix + ".1.running_var"], sd[prefix + ".1.weight"],
                     sd[prefix + ".1.bias"], False, 0.0, EPS)
    return {"hs": F.hardswish, "re": F.relu, None: lambda t: t}[act](x)


def network(sd, x):
    x = cna(sd, "features.0", x, 2, 1, "hs")
    for i, (cin, k, exp, cout, se, hs, s) in enumerate(LARGE, start=1):
        cin, exp, cout = make_divisible(cin * WIDTH), make_divisible(exp * WIDTH), make_divisible(cout * WIDTH)
        act = "hs" if hs else "re"
        inp, j = x, 0
        p = f"features.{i}.block"
        if exp != cin:
            x = cna(sd, f"{p}.{j}", x, 1, 1, act); j += 1
        x = cna(sd, f"{p}.{j}", x, s, exp, act); j += 1
        if se:
            q = f"{p}.{j}.conc_se_layers.0"
            g = x.mean((2, 3))
            g = torch.sigmoid(F.linear(F.relu(F.linear(g, sd[q + ".fc1.weight"], sd[q + ".fc1.bias"])), sd[q + ".fc2.weight"], sd[q + ".fc2.bias"]))
            x = x * g[:, :, None, None]; j += 1
        x = cna(sd, f"{p}.{j}", x, 1, 1, None)
        if s == 1 and cin == cout:
            x = x + inp
    x = cna(sd, "features.16", x, 1, 1, "hs")
    emb = x.mean((2, 3))
    logits = F.linear(F.hardswish(F.linear(emb, sd["classifier.2.weight"], sd["classifier.2.bias"])), sd["classifier.5.weight"], sd["classifier.5.bias"])
    return emb, logits


def front_end(wave):
    """AugmentMelSTFT in eval mode: pre-emphasis, |STFT|^2, Kaldi mel banks 0..15 kHz, ln(. + 1e-5), (. + 4.5) / 5"""
    x = F.conv1d(wave[None, None, :], torch.tensor([[[-0.97, 1.0]]]))[0, 0]
    spec = torch.stft(x, 1024, hop_length=320, win_length=800, window=torch.hann_window(800, periodic=False), center=True,
                      pad_mode="reflect", normalized=False, return_complex=True)
    power = spec.real ** 2 + spec.imag ** 2
    banks, _ = torchaudio.compliance.kaldi.get_mel_banks(128, 1024, 32000.0, 0.0, 15000.0, 100.0, -500.0, 1.0)
    banks = F.pad(banks, (0, 1))
    mel = torch.matmul(banks, power)
    return ((mel + 1e-5).log() + 4.5) / 5.0


def decode_32k(path):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ac", "1", "-ar", "32000", "-f", "f32le", "-"],
                         check=True, capture_output=True).stdout
    return torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())


def main():
    ckpt = os.path.join(TEACHER, "mn04_as_mAP_432.pt")
    if not os.path.exists(ckpt):
        sys.exit(f"{ckpt} not found: the teacher lives in ../shared")
    sd = {k: v.to(torch.float64) for k, v in torch.load(ckpt, map_location="cpu").items() if not k.endswith("num_batches_tracked")}
    with open(os.path.join(TEACHER, "audioset_class_labels_indices.csv"), newline="") as f:
        names = [row["display_name"] for row in csv.DictReader(f)]
    tensors, meta = {}, {}
    for path in sorted(glob.glob(os.path.join(ROOT, "samples", "*.flac"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        wave = decode_32k(path)
        mel = front_end(wave)                                    # float32, as EfficientAT computes it
        with torch.no_grad():
            emb, logits = network(sd, mel.to(torch.float64)[None, None])
        tensors[f"{stem}.samples"] = torch.tensor([float(len(wave))])
        tensors[f"{stem}.mel_head"] = mel[:, :6]
        tensors[f"{stem}.embedding"] = emb[0]
        tensors[f"{stem}.logits"] = logits[0]
        top = logits[0].topk(5).indices.tolist()
        meta[stem] = json.dumps([names[i] for i in top])
        print(stem, len(wave), mel.shape, [names[i] for i in top])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    print(write_safetensors(OUT, tensors, meta), "bytes")


if __name__ == "__main__":
    main()
