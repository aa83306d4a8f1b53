#!/usr/bin/python3
"""Golden fixture for Sentire.Models' TinyStudent (tests/fixtures/student/tiny_student.safetensors), from PyTorch.

Run from the repository root with Debian's python (torch 1.13):
    /usr/bin/python3 tools/golden/student_fixtures.py
The same network as src/Sentire.Models/Student/TinyStudent.cs written with torch.nn (default sizes, seeded random
weights and input statistics), its state dict under "model.*" with the C# names, and "io.*": a log-mel batch
(2, 57, 80) with lengths [57, 40], the outputs of the padded batch, and of the second item alone (40 frames).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixture import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "student")
N_MELS, CHANNELS, STEM_KERNEL, STEM_STRIDE, BLOCK_KERNEL, DILATIONS, CATEGORIES, DIMS = 80, 96, 3, 2, 5, [1, 2, 4, 1, 2], 8, 3


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.depthwise = nn.Conv1d(CHANNELS, CHANNELS, BLOCK_KERNEL, padding=d * (BLOCK_KERNEL // 2), dilation=d, groups=CHANNELS)
        self.pointwise = nn.Conv1d(CHANNELS, CHANNELS, 1)

    def forward(self, x):
        return x + F.relu(self.pointwise(F.relu(self.depthwise(x))))


class TinyStudent(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("feature_mean", torch.randn(N_MELS))
        self.register_buffer("feature_std", torch.rand(N_MELS) + 0.5)
        self.stem = nn.Conv1d(N_MELS, CHANNELS, STEM_KERNEL, stride=STEM_STRIDE, padding=STEM_KERNEL // 2)
        self.blocks = nn.ModuleList([Block(d) for d in DILATIONS])
        self.category_head = nn.Linear(CHANNELS, CATEGORIES)
        self.dimension_head = nn.Linear(CHANNELS, DIMS)

    def forward(self, mel, lengths):
        b, t, _ = mel.shape
        x = (mel - self.feature_mean) / self.feature_std
        x = x * (torch.arange(t)[None, :] < lengths[:, None]).float()[:, :, None]
        h = F.relu(self.stem(x.transpose(1, 2)))
        out = (lengths + 2 * (STEM_KERNEL // 2) - STEM_KERNEL) // STEM_STRIDE + 1
        m = (torch.arange(h.shape[2])[None, :] < out[:, None]).float()[:, None, :]
        h = h * m
        for block in self.blocks:
            h = block(h) * m
        z = h.sum(2) / m.sum(2)
        return self.category_head(z), torch.sigmoid(self.dimension_head(z))


def main():
    torch.manual_seed(7)
    model = TinyStudent().eval()
    mel = torch.randn(2, 57, N_MELS) * 2 - 5
    lengths = torch.tensor([57, 40])
    with torch.no_grad():
        logits, dims = model(mel, lengths)
        logits_one, dims_one = model(mel[1:, :40], torch.tensor([40]))
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors.update({"io.mel": mel, "io.logits": logits, "io.dimensions": dims, "io.logits_second_alone": logits_one, "io.dimensions_second_alone": dims_one})
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "tiny_student.safetensors"), tensors, {"source": "tools/golden/student_fixtures.py", "torch": torch.__version__})
    print("parameters", sum(p.numel() for p in model.parameters()))


if __name__ == "__main__":
    main()
