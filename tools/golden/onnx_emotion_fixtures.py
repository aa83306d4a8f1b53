"""Fixtures for the ONNX emotion-model family (src/Sentire.Models/Published/OnnxEmotionModel.cs).

Run with Debian's torch:  /usr/bin/python3 tools/golden/onnx_emotion_fixtures.py
Writes (committed; tests never need Python) under tests/fixtures/onnx-emotion/:
  categorical/model.onnx + sentire.json   a tiny random raw-waveform model exported by torch.onnx.export (opset 17,
                                          dynamic batch and length); sentire.json reads output "logits" as 4 labels
  dimensional/model.onnx + sentire.json   the same graph; sentire.json reads output "dims" as arousal, dominance,
                                          valence (audEERING's order)
  audonnx/model.onnx + model.yaml         the same graph published the audonnx way (no sentire.json): model.yaml is
                                          what audonnx.Model.to_yaml writes (audeering/audonnx, audonnx/core/model.py):
                                          the class tag, path, labels of the "dims" output, transform null (the raw
                                          signal goes in as it is)
  whisper-log-mel/model.onnx + sentire.json  a tiny classifier over Whisper's log-mel input (1, 80, 3000) (input kind
                                          "whisper_log_mel": WhisperFeatureExtractor's features of one 30 s window)
  expected.safetensors                    torch's outputs on the three real clips of tests/fixtures/hf-speech/clips.safetensors
                                          after the per-utterance normalisation sentire.json asks for:
                                          (x - mean) / sqrt(var + 1e-7), as Hugging Face's do_normalize ("clipN.logits",
                                          "clipN.dims"); the audonnx copy's "dims" on the raw clips ("clipN.audonnx_dims");
                                          the log-mel classifier's logits on audio.py's log-mel of each clip
                                          (whisper_fixtures.log_mel_spectrogram; "clipN.whisper_logits")
"""
import json
import os
import shutil
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixture import write_safetensors  # noqa: E402
from whisper_fixtures import log_mel_spectrogram  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "onnx-emotion")
CLIPS = os.path.join(ROOT, "tests", "fixtures", "hf-speech", "clips.safetensors")
LABELS = ["angry", "happy", "neutral", "sad"]
DIMENSIONS = ["arousal", "dominance", "valence"]


class TinySer(torch.nn.Module):
    """Raw waveform -> strided convolutions -> mean over time -> categorical logits and sigmoid dimensions."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(1, 8, kernel_size=64, stride=32)
        self.conv2 = torch.nn.Conv1d(8, 16, kernel_size=5, stride=2)
        self.norm = torch.nn.LayerNorm(16)
        self.logits = torch.nn.Linear(16, len(LABELS))
        self.dims = torch.nn.Linear(16, len(DIMENSIONS))

    def forward(self, signal):                                     # (B, T)
        h = torch.nn.functional.gelu(self.conv1(signal[:, None]))  # (B, 8, T1)
        h = torch.nn.functional.gelu(self.conv2(h))                 # (B, 16, T2)
        h = self.norm(h.mean(dim=2))                                # (B, 16)
        return self.logits(h), torch.sigmoid(self.dims(h))


class TinyMelSer(torch.nn.Module):
    """Whisper log-mel features (B, 80, 3000) -> strided convolution -> mean over time -> categorical logits."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(80, 8, kernel_size=3, stride=2)
        self.logits = torch.nn.Linear(8, len(LABELS))

    def forward(self, input_features):                                       # (B, 80, 3000)
        h = torch.nn.functional.gelu(self.conv(input_features)).mean(dim=2)  # (B, 8)
        return self.logits(h)


AUDONNX_YAML = """$audonnx.core.model.Model==0.7.0:
  path: model.onnx
  labels:
    dims:
    - arousal
    - dominance
    - valence
  transform: null
"""


def read_clips():
    with open(CLIPS, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    clips = []
    for i in range(3):
        e = header[f"clip{i}"]
        b, end = e["data_offsets"]
        clips.append(torch.frombuffer(bytearray(data[b:end]), dtype=torch.int16).float() / 32768.0)
    return clips


def main():
    torch.manual_seed(23)
    model = TinySer().eval()
    categorical = os.path.join(OUT, "categorical")
    dimensional = os.path.join(OUT, "dimensional")
    os.makedirs(categorical, exist_ok=True)
    os.makedirs(dimensional, exist_ok=True)
    onnx_path = os.path.join(categorical, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 16000), onnx_path, opset_version=17,
                      input_names=["signal"], output_names=["logits", "dims"],
                      dynamic_axes={"signal": {0: "batch", 1: "samples"}, "logits": {0: "batch"}, "dims": {0: "batch"}})
    shutil.copyfile(onnx_path, os.path.join(dimensional, "model.onnx"))
    inp = {"name": "signal", "kind": "waveform", "sample_rate": 16000, "normalize": "utterance"}
    with open(os.path.join(categorical, "sentire.json"), "w") as f:
        json.dump({"input": inp, "output": {"name": "logits", "values": "logits", "labels": LABELS}}, f, indent=2)
    with open(os.path.join(dimensional, "sentire.json"), "w") as f:
        json.dump({"input": inp, "output": {"name": "dims", "dimensions": DIMENSIONS}}, f, indent=2)

    audonnx = os.path.join(OUT, "audonnx")
    os.makedirs(audonnx, exist_ok=True)
    shutil.copyfile(onnx_path, os.path.join(audonnx, "model.onnx"))
    with open(os.path.join(audonnx, "model.yaml"), "w") as f:
        f.write(AUDONNX_YAML)

    mel_model = TinyMelSer().eval()
    whisper = os.path.join(OUT, "whisper-log-mel")
    os.makedirs(whisper, exist_ok=True)
    torch.onnx.export(mel_model, torch.zeros(1, 80, 3000), os.path.join(whisper, "model.onnx"), opset_version=17,
                      input_names=["input_features"], output_names=["logits"],
                      dynamic_axes={"input_features": {0: "batch"}, "logits": {0: "batch"}})
    with open(os.path.join(whisper, "sentire.json"), "w") as f:
        json.dump({"input": {"name": "input_features", "kind": "whisper_log_mel", "n_mels": 80},
                   "output": {"name": "logits", "labels": LABELS}}, f, indent=2)

    expected = {}
    with torch.no_grad():
        for i, raw in enumerate(read_clips()):
            x = (raw - raw.mean()) / torch.sqrt(raw.var(unbiased=False) + 1e-7)
            logits, dims = model(x[None])
            expected[f"clip{i}.logits"] = logits[0]
            expected[f"clip{i}.dims"] = dims[0]
            expected[f"clip{i}.audonnx_dims"] = model(raw[None])[1][0]
            expected[f"clip{i}.whisper_logits"] = mel_model(log_mel_spectrogram(raw, 80)[None])[0]
    write_safetensors(os.path.join(OUT, "expected.safetensors"), expected,
                      {"written_by": "tools/golden/onnx_emotion_fixtures.py"})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
