"""Golden fixtures for Sentire.Tensors serialization, nn modules and optimisers.

Run with Debian's torch:  /usr/bin/python3 tools/golden/safetensors_fixture.py
Writes (committed; tests never need Python):
  tests/fixtures/engine/pytorch_written.safetensors  every dtype, hand-built with torch's bytes; for each
                                                     tensor X also "X.as_f32" = X.float() from torch
  tests/fixtures/engine/optim_reference.safetensors  torch.optim.AdamW / SGD steps and clip_grad_norm_
  tests/fixtures/engine/nn_reference.safetensors     torch.nn modules: state dict ("model.*") and
                                                     inputs/outputs ("io.*")
The `safetensors` package is not installed here, so the format is built by hand from the spec:
u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}},
then the raw little-endian bytes. This writer deliberately does not pad the header and keeps insertion order,
so the C# reader is also exercised on unaligned data.
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "engine")

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int8: "I8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def raw_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what matter
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def dtype_fixture():
    inf = float("inf")
    t = {}
    t["bool"] = torch.tensor([True, False, True])  # 3 bytes first: everything after is unaligned
    t["f32"] = torch.tensor([[1.5, -2.25, 3.0], [1e-3, -0.0, 1e30]], dtype=torch.float32)
    t["f16"] = torch.tensor([1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, 0.1, inf, -inf], dtype=torch.float16)
    t["bf16"] = torch.tensor([1.0, 3.140625, -0.1, 1e38, 9.183549615799121e-41, inf, -inf, 1.0 / 3.0], dtype=torch.bfloat16)
    t["f64"] = torch.tensor([1.0 / 3.0, -2.5, 1e-40, 1e300], dtype=torch.float64)
    t["i8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    t["i16"] = torch.tensor([-32768, 7, 32767], dtype=torch.int16)
    t["i32"] = torch.tensor([[-2147483648, 16777217], [5, -6]], dtype=torch.int32)
    t["i64"] = torch.tensor([-(2 ** 40), 3, 2 ** 53], dtype=torch.int64)
    t["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    t["scalar"] = torch.tensor(7.25, dtype=torch.float32)
    t["empty"] = torch.zeros(0, 3, dtype=torch.float32)
    out = dict(t)
    for name, v in t.items():
        out[name + ".as_f32"] = v.float()
    write_safetensors(os.path.join(OUT, "pytorch_written.safetensors"), out,
                      {"format": "pt", "written_by": "tools/golden/safetensors_fixture.py"})


def optim_fixture():
    g = torch.Generator().manual_seed(1234)
    p0 = torch.randn(3, 4, generator=g)
    p1 = torch.randn(4, generator=g)
    steps = 3
    grads = [(torch.randn(3, 4, generator=g), torch.randn(4, generator=g)) for _ in range(steps)]
    out = {"init.p0": p0.clone(), "init.p1": p1.clone()}
    for k, (g0, g1) in enumerate(grads):
        out[f"grad{k}.p0"], out[f"grad{k}.p1"] = g0, g1

    def run(name, make):
        a, b = p0.clone().requires_grad_(), p1.clone().requires_grad_()
        opt = make(a, b)
        for k, (g0, g1) in enumerate(grads):
            a.grad, b.grad = g0.clone(), g1.clone()
            opt.step()
            out[f"{name}.step{k}.p0"], out[f"{name}.step{k}.p1"] = a.detach().clone(), b.detach().clone()
        return opt, a, b

    # AdamW with two groups: p0 decays, p1 (1-D) does not.
    opt, a, b = run("adamw", lambda a, b: torch.optim.AdamW(
        [{"params": [a], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
        lr=0.01, betas=(0.9, 0.999), eps=1e-8))
    out["adamw.exp_avg.p0"] = opt.state[a]["exp_avg"].clone()
    out["adamw.exp_avg_sq.p1"] = opt.state[b]["exp_avg_sq"].clone()
    run("sgd", lambda a, b: torch.optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.01))
    run("sgd_nesterov", lambda a, b: torch.optim.SGD([a, b], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01))
    run("sgd_plain", lambda a, b: torch.optim.SGD([a, b], lr=0.1))

    a, b = p0.clone().requires_grad_(), p1.clone().requires_grad_()
    a.grad, b.grad = grads[0][0].clone(), grads[0][1].clone()
    out["clip.norm"] = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0).reshape(1)
    out["clip.g_p0"], out["clip.g_p1"] = a.grad.clone(), b.grad.clone()
    write_safetensors(os.path.join(OUT, "optim_reference.safetensors"), out,
                      {"adamw": "lr=0.01 betas=(0.9,0.999) eps=1e-8 groups: p0 wd=0.1, p1 wd=0",
                       "sgd": "lr=0.1 momentum=0.9 weight_decay=0.01; sgd_nesterov adds nesterov; sgd_plain lr=0.1 only",
                       "clip": "clip_grad_norm_ of grad0 with max_norm=1"})


class Block(torch.nn.Module):
    """Nested names as real checkpoints have them: proj.*, norm.*, layers.N.*"""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 3)
        self.norm = torch.nn.LayerNorm(3)
        self.layers = torch.nn.ModuleList([torch.nn.Linear(3, 3, bias=(i == 0)) for i in range(2)])
        self.conv = torch.nn.Conv1d(4, 6, kernel_size=3, stride=2, padding=1, dilation=1, groups=2)
        self.group_norm = torch.nn.GroupNorm(2, 6)
        self.embed = torch.nn.Embedding(5, 3)
        self.rms_weight = torch.nn.Parameter(torch.ones(3))  # RMSNorm is not in torch 1.13: written out below


def nn_fixture():
    torch.manual_seed(7)
    m = Block()
    with torch.no_grad():  # non-trivial affine parameters
        for p in [m.norm.weight, m.norm.bias, m.group_norm.weight, m.group_norm.bias, m.rms_weight]:
            p.add_(0.1 * torch.randn(p.shape))
    out = {f"model.{k}": v.detach().clone() for k, v in m.state_dict().items()}
    x = torch.randn(2, 5, 4)
    h = m.proj(x)
    out["io.x"] = x
    out["io.proj"] = h
    out["io.norm"] = m.norm(h)
    out["io.layers"] = m.layers[1](m.layers[0](h))
    xc = torch.randn(2, 4, 9)
    out["io.conv_x"] = xc
    out["io.conv"] = m.conv(xc)
    out["io.group_norm"] = m.group_norm(out["io.conv"])
    ids = torch.tensor([[0, 4, 2], [1, 1, 3]])
    out["io.ids"] = ids.float()
    out["io.embed"] = m.embed(ids)
    eps = 1e-6  # LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * weight
    out["io.rms"] = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps) * m.rms_weight
    out = {k: v.detach().contiguous() for k, v in out.items()}
    write_safetensors(os.path.join(OUT, "nn_reference.safetensors"), out, {"rms_eps": str(eps)})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    dtype_fixture()
    optim_fixture()
    nn_fixture()
    print("wrote", sorted(os.listdir(OUT)))
