#!/usr/bin/python3
"""Golden fixtures for the Sentire.Tensors engine (docs/engine-api.md), written with PyTorch 1.13.

Run from the repository root with Debian's python (the one with torch):

    /usr/bin/python3 tools/golden/engine_fixtures.py

Writes tests/fixtures/engine/<family>.safetensors, one file per op family, plus one file per model
block (encoder_block, decoder_block, conv_feature_encoder). Everything is seeded, so a rerun writes
the same bytes.

Layout of an op-family file, per case `<case>`:
  <case>.in0, <case>.in1, ...   differentiable inputs (float32)
  <case>.<name>                 other inputs (masks, ids, targets, cos/sin tables); ids/targets as I64
  <case>.out (.out1, ...)       outputs;  <case>.idx for integer outputs (argmax, topk, sort)
  <case>.gout                   a random upstream gradient for .out
  <case>.grad0, .grad1, ...     d(sum(out * gout)) / d(in_i)
and `__metadata__[<case>]` is a JSON object with the op name and its arguments.

Layout of a block file: the parameters under their Hugging Face state-dict names, and under `test.`:
test.input (and test.mask / test.ids), test.out, test.gout, test.grad.input, test.grad.<parameter name>.

References are computed in float64 from float32-representable inputs and stored as float32, so the
fixtures hold the exact answer rounded once; the C# tests compare their float32 results against them.
safetensors is written by hand (8-byte little-endian header length, JSON header, raw little-endian data),
see https://github.com/huggingface/safetensors#format.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "engine")
torch.manual_seed(20261121)
D = torch.float64


# ---------------------------------------------------------------------------------------------
# safetensors writer
# ---------------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": {k: (v if isinstance(v, str) else json.dumps(v, sort_keys=True)) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype in (torch.int64, torch.int32):
            t = t.to(torch.int64)
            dtype = "I64"
            raw = struct.pack("<%dq" % t.numel(), *t.flatten().tolist())
        else:
            t = t.to(torch.float32)
            dtype = "F32"
            raw = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)  # align the data section to 8 bytes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return 8 + len(head) + offset


def rand(*shape, low=None, high=None):
    """float32-representable float64 values: randn, or uniform in [low, high)."""
    if low is None:
        return torch.randn(*shape, dtype=torch.float32).to(D)
    return (torch.rand(*shape, dtype=torch.float32) * (high - low) + low).to(D)


class Family:
    """Collects the cases of one op family and writes them to <name>.safetensors."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.meta = {}

    def case(self, case, fn, inputs, meta, extras=None, grad=True):
        assert case not in self.meta, case
        inputs = [x.detach().clone().requires_grad_(grad) for x in inputs]
        extras = extras or {}
        out = fn(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        for i, x in enumerate(inputs):
            self.tensors[f"{case}.in{i}"] = x
        for k, v in extras.items():
            self.tensors[f"{case}.{k}"] = v
        for i, o in enumerate(outs):
            self.tensors[f"{case}.out" + ("" if i == 0 else str(i))] = o
        if grad:
            gouts = [torch.randn(o.shape, dtype=torch.float32).to(D) for o in outs]
            grads = torch.autograd.grad(outs, inputs, gouts, allow_unused=True)
            for i, g in enumerate(gouts):
                self.tensors[f"{case}.gout" + ("" if i == 0 else str(i))] = g
            for i, g in enumerate(grads):
                self.tensors[f"{case}.grad{i}"] = g if g is not None else torch.zeros_like(inputs[i])
        self.meta[case] = meta

    def no_grad_case(self, case, inputs, outputs, meta):
        """Ops without a backward (decoding helpers): inputs and outputs only; integer outputs are I64."""
        for i, x in enumerate(inputs):
            self.tensors[f"{case}.in{i}"] = x
        for k, v in outputs.items():
            self.tensors[f"{case}.{k}"] = v
        self.meta[case] = meta

    def write(self):
        size = write_safetensors(os.path.join(OUT_DIR, self.name + ".safetensors"), self.tensors, self.meta)
        print(f"{self.name}.safetensors: {len(self.meta)} cases, {size} bytes")
        return size


# ---------------------------------------------------------------------------------------------
# op families
# ---------------------------------------------------------------------------------------------

def unary():
    f = Family("unary")
    x = rand(3, 4)
    pos = rand(3, 4, low=0.2, high=3.0)
    f.case("neg", lambda a: -a, [x], {"op": "neg"})
    f.case("pow2", lambda a: a.pow(2.0), [x], {"op": "pow", "exponent": 2.0})
    f.case("pow3", lambda a: a.pow(3.0), [x], {"op": "pow", "exponent": 3.0})
    f.case("pow_half", lambda a: a.pow(0.5), [pos], {"op": "pow", "exponent": 0.5})
    f.case("pow_neg1_5", lambda a: a.pow(-1.5), [pos], {"op": "pow", "exponent": -1.5})
    f.case("exp", torch.exp, [x], {"op": "exp"})
    f.case("log", torch.log, [pos], {"op": "log"})
    f.case("sqrt", torch.sqrt, [pos], {"op": "sqrt"})
    f.case("rsqrt", torch.rsqrt, [pos], {"op": "rsqrt"})
    f.case("abs", torch.abs, [x], {"op": "abs"})
    f.case("square", torch.square, [x], {"op": "square"})
    f.case("clamp_both", lambda a: a.clamp(-0.5, 0.7), [x], {"op": "clamp", "min": -0.5, "max": 0.7})
    f.case("clamp_min", lambda a: a.clamp(min=-0.3), [x], {"op": "clamp", "min": -0.3})
    f.case("clamp_max", lambda a: a.clamp(max=0.4), [x], {"op": "clamp", "max": 0.4})
    f.case("add_scalar", lambda a: a + 1.5, [x], {"op": "add_scalar", "value": 1.5})
    f.case("sub_scalar", lambda a: a - 0.75, [x], {"op": "sub_scalar", "value": 0.75})
    f.case("mul_scalar", lambda a: a * -2.5, [x], {"op": "mul_scalar", "value": -2.5})
    f.case("div_scalar", lambda a: a / 4.0, [x], {"op": "div_scalar", "value": 4.0})
    f.case("rsub_scalar", lambda a: 3.0 - a, [x], {"op": "rsub_scalar", "value": 3.0})
    return f


def binary():
    f = Family("binary")
    shapes = {
        "same": ((3, 4), (3, 4)),
        "row": ((3, 4), (4,)),
        "col": ((3, 4), (3, 1)),
        "outer": ((3, 1, 5), (4, 5)),
        "both": ((2, 1, 4), (1, 3, 1)),
        "scalar": ((2, 3), (1,)),
        "rank0_left": ((1,), (2, 3)),
    }
    for op, fn in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)):
        for tag, (sa, sb) in shapes.items():
            a = rand(*sa)
            # divisors kept away from zero, with both signs
            b = rand(*sb, low=0.5, high=2.0) * torch.sign(rand(*sb)) if op == "div" else rand(*sb)
            f.case(f"{op}_{tag}", fn, [a, b], {"op": op})
    return f


def shape():
    f = Family("shape")
    x = rand(2, 3, 4)
    f.case("reshape", lambda a: a.reshape(4, 6), [x], {"op": "reshape", "shape": [4, 6]})
    f.case("reshape_infer", lambda a: a.reshape(-1, 2, 3), [x], {"op": "reshape", "shape": [-1, 2, 3]})
    f.case("flatten_all", lambda a: a.flatten(), [x], {"op": "flatten", "start": 0, "end": -1})
    f.case("flatten_1", lambda a: a.flatten(1), [x], {"op": "flatten", "start": 1, "end": -1})
    f.case("flatten_0_1", lambda a: a.flatten(0, 1), [x], {"op": "flatten", "start": 0, "end": 1})
    f.case("unsqueeze_0", lambda a: a.unsqueeze(0), [x], {"op": "unsqueeze", "dim": 0})
    f.case("unsqueeze_neg1", lambda a: a.unsqueeze(-1), [x], {"op": "unsqueeze", "dim": -1})
    f.case("unsqueeze_2", lambda a: a.unsqueeze(2), [x], {"op": "unsqueeze", "dim": 2})
    y = rand(3, 1, 4)
    f.case("squeeze_1", lambda a: a.squeeze(1), [y], {"op": "squeeze", "dim": 1})
    f.case("squeeze_neg2", lambda a: a.squeeze(-2), [y], {"op": "squeeze", "dim": -2})
    f.case("transpose_0_1", lambda a: a.transpose(0, 1), [x], {"op": "transpose", "d0": 0, "d1": 1})
    f.case("transpose_neg", lambda a: a.transpose(-1, -2), [x], {"op": "transpose", "d0": -1, "d1": -2})
    f.case("transpose_0_2", lambda a: a.transpose(0, 2), [x], {"op": "transpose", "d0": 0, "d1": 2})
    z = rand(2, 3, 4, 5)
    f.case("permute", lambda a: a.permute(2, 0, 3, 1), [z], {"op": "permute", "dims": [2, 0, 3, 1]})
    f.case("permute_bhtd", lambda a: a.permute(0, 2, 1, 3), [z], {"op": "permute", "dims": [0, 2, 1, 3]})
    f.case("narrow_1", lambda a: a.narrow(1, 1, 2), [x], {"op": "narrow", "dim": 1, "start": 1, "length": 2})
    f.case("narrow_neg1", lambda a: a.narrow(-1, 0, 3), [x], {"op": "narrow", "dim": -1, "start": 0, "length": 3})
    f.case("slice_2", lambda a: a[:, :, 1:4], [x], {"op": "slice", "dim": 2, "start": 1, "end": 4})
    f.case("slice_0", lambda a: a[1:2], [x], {"op": "slice", "dim": 0, "start": 1, "end": 2})
    a3, b3, c3 = rand(2, 1, 4), rand(2, 3, 4), rand(2, 2, 4)
    f.case("concat_1", lambda a, b, c: torch.cat([a, b, c], 1), [a3, b3, c3], {"op": "concat", "dim": 1})
    f.case("concat_neg1", lambda a, b: torch.cat([a, b], -1), [rand(2, 3), rand(2, 5)], {"op": "concat", "dim": -1})
    f.case("concat_0", lambda a, b: torch.cat([a, b], 0), [rand(1, 3), rand(2, 3)], {"op": "concat", "dim": 0})
    s1, s2 = rand(3, 4), rand(3, 4)
    f.case("stack_0", lambda a, b: torch.stack([a, b], 0), [s1, s2], {"op": "stack", "dim": 0})
    f.case("stack_1", lambda a, b: torch.stack([a, b], 1), [s1, s2], {"op": "stack", "dim": 1})
    f.case("stack_neg1", lambda a, b: torch.stack([a, b], -1), [s1, s2], {"op": "stack", "dim": -1})
    e = rand(3, 1, 4)
    f.case("expand", lambda a: a.expand(2, 3, 5, 4), [e], {"op": "expand", "shape": [2, 3, 5, 4]})
    f.case("expand_same_rank", lambda a: a.expand(3, 6, 4), [e], {"op": "expand", "shape": [3, 6, 4]})
    r = rand(2, 3)
    f.case("repeat", lambda a: a.repeat(2, 3), [r], {"op": "repeat", "repeats": [2, 3]})
    f.case("repeat_new_dim", lambda a: a.repeat(2, 1, 2), [r], {"op": "repeat", "repeats": [2, 1, 2]})
    return f


def index():
    f = Family("index")
    x = rand(4, 5)
    f.case("index_select_0", lambda a: a.index_select(0, torch.tensor([2, 0, 2, 3])), [x],
           {"op": "index_select", "dim": 0, "indices": [2, 0, 2, 3]})
    f.case("index_select_neg1", lambda a: a.index_select(-1, torch.tensor([4, 1, 1])), [x],
           {"op": "index_select", "dim": -1, "indices": [4, 1, 1]})
    w = rand(7, 4)
    ids = torch.tensor([[1, 3, 3], [6, 0, 1]])
    f.case("embedding", lambda a: F.embedding(ids, a), [w], {"op": "embedding", "ids_shape": [2, 3]}, extras={"ids": ids})
    y = rand(2, 3, 4)
    mask_full = (torch.rand(2, 3, 4) < 0.4).to(D)
    mask_bc = (torch.rand(2, 1, 4) < 0.5).to(D)
    f.case("masked_fill_full", lambda a: a.masked_fill(mask_full.bool(), -7.0), [y],
           {"op": "masked_fill", "value": -7.0}, extras={"mask": mask_full})
    f.case("masked_fill_bcast", lambda a: a.masked_fill(mask_bc.bool(), 0.0), [y],
           {"op": "masked_fill", "value": 0.0}, extras={"mask": mask_bc})
    cond = (torch.rand(2, 3, 4) < 0.5).to(D)
    f.case("where", lambda a, b: torch.where(cond.bool(), a, b), [y, rand(2, 3, 4)], {"op": "where"}, extras={"cond": cond})
    cond_bc = (torch.rand(3, 1) < 0.5).to(D)
    f.case("where_bcast", lambda a, b: torch.where(cond_bc.bool(), a, b), [rand(3, 4), rand(4)], {"op": "where"},
           extras={"cond": cond_bc})
    f.case("pad_last", lambda a: F.pad(a, (1, 2)), [y], {"op": "pad", "pads": [1, 2], "value": 0.0})
    f.case("pad_two_dims", lambda a: F.pad(a, (0, 1, 2, 1), value=-1.5), [y], {"op": "pad", "pads": [0, 1, 2, 1], "value": -1.5})
    f.case("pad_three_dims", lambda a: F.pad(a, (1, 0, 0, 2, 1, 1)), [y], {"op": "pad", "pads": [1, 0, 0, 2, 1, 1], "value": 0.0})
    sig = rand(2, 3, 6)
    f.case("pad_reflect", lambda a: F.pad(a, (2, 3), mode="reflect"), [sig], {"op": "pad_reflect", "pads": [2, 3]})
    # decoding helpers (no grad)
    v = rand(3, 6)
    f.no_grad_case("argmax_1", [v], {"idx": v.argmax(1)}, {"op": "argmax", "dim": 1})
    f.no_grad_case("argmax_0", [v], {"idx": v.argmax(0)}, {"op": "argmax", "dim": 0})
    tv, ti = v.topk(3, dim=-1)
    f.no_grad_case("topk_3", [v], {"out": tv, "idx": ti}, {"op": "topk", "k": 3, "dim": -1})
    tv0, ti0 = v.topk(2, dim=0)
    f.no_grad_case("topk_dim0", [v], {"out": tv0, "idx": ti0}, {"op": "topk", "k": 2, "dim": 0})
    sv, si = v.sort(dim=1)
    f.no_grad_case("sort_asc", [v], {"out": sv, "idx": si}, {"op": "sort", "dim": 1, "descending": False})
    sv, si = v.sort(dim=-1, descending=True)
    f.no_grad_case("sort_desc", [v], {"out": sv, "idx": si}, {"op": "sort", "dim": -1, "descending": True})
    f.no_grad_case("cumsum_1", [v], {"out": v.cumsum(1)}, {"op": "cumsum", "dim": 1})
    f.no_grad_case("cumsum_0", [v], {"out": v.cumsum(0)}, {"op": "cumsum", "dim": 0})
    return f


def reduce():
    f = Family("reduce")
    x = rand(2, 3, 4)
    f.case("sum_all", lambda a: a.sum(), [x], {"op": "sum"})
    f.case("sum_1", lambda a: a.sum(1), [x], {"op": "sum", "dims": [1], "keepdim": False})
    f.case("sum_neg1_keep", lambda a: a.sum(-1, keepdim=True), [x], {"op": "sum", "dims": [-1], "keepdim": True})
    f.case("sum_0_2", lambda a: a.sum([0, 2]), [x], {"op": "sum", "dims": [0, 2], "keepdim": False})
    f.case("sum_neg_keep", lambda a: a.sum([-1, -2], keepdim=True), [x], {"op": "sum", "dims": [-1, -2], "keepdim": True})
    f.case("mean_all", lambda a: a.mean(), [x], {"op": "mean"})
    f.case("mean_0", lambda a: a.mean(0), [x], {"op": "mean", "dims": [0], "keepdim": False})
    f.case("mean_neg1_keep", lambda a: a.mean(-1, keepdim=True), [x], {"op": "mean", "dims": [-1], "keepdim": True})
    f.case("mean_1_2", lambda a: a.mean([1, 2]), [x], {"op": "mean", "dims": [1, 2], "keepdim": False})
    f.case("max_1", lambda a: a.max(1).values, [x], {"op": "max", "dim": 1, "keepdim": False})
    f.case("max_neg1_keep", lambda a: a.max(-1, keepdim=True).values, [x], {"op": "max", "dim": -1, "keepdim": True})
    f.case("logsumexp_1", lambda a: a.logsumexp(1), [x * 3], {"op": "logsumexp", "dim": 1, "keepdim": False})
    f.case("logsumexp_neg1_keep", lambda a: a.logsumexp(-1, keepdim=True), [x * 3], {"op": "logsumexp", "dim": -1, "keepdim": True})
    big = rand(2, 5) * 40 + 80  # large values: a naive exp would overflow float32
    f.case("logsumexp_large", lambda a: a.logsumexp(1), [big], {"op": "logsumexp", "dim": 1, "keepdim": False})
    f.case("var_1", lambda a: a.var(1), [x], {"op": "var", "dim": 1, "unbiased": True, "keepdim": False})
    f.case("var_neg1_biased_keep", lambda a: a.var(-1, unbiased=False, keepdim=True), [x],
           {"op": "var", "dim": -1, "unbiased": False, "keepdim": True})
    return f


def activation():
    f = Family("activation")
    x = rand(3, 4, 5) * 2
    f.case("relu", F.relu, [x], {"op": "relu"})
    f.case("gelu", F.gelu, [x], {"op": "gelu"})
    f.case("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), [x], {"op": "gelu_tanh"})
    f.case("silu", F.silu, [x], {"op": "silu"})
    f.case("sigmoid", torch.sigmoid, [x], {"op": "sigmoid"})
    f.case("tanh", torch.tanh, [x], {"op": "tanh"})
    f.case("softplus", F.softplus, [x], {"op": "softplus", "beta": 1.0, "threshold": 20.0})
    f.case("softplus_beta2_thr1", lambda a: F.softplus(a, beta=2.0, threshold=1.0), [x],
           {"op": "softplus", "beta": 2.0, "threshold": 1.0})
    f.case("softmax_neg1", lambda a: a.softmax(-1), [x], {"op": "softmax", "dim": -1})
    f.case("softmax_1", lambda a: a.softmax(1), [x], {"op": "softmax", "dim": 1})
    f.case("softmax_0", lambda a: a.softmax(0), [x], {"op": "softmax", "dim": 0})
    f.case("softmax_large", lambda a: a.softmax(-1), [x * 30 + 50], {"op": "softmax", "dim": -1})
    f.case("log_softmax_neg1", lambda a: a.log_softmax(-1), [x], {"op": "log_softmax", "dim": -1})
    f.case("log_softmax_1", lambda a: a.log_softmax(1), [x], {"op": "log_softmax", "dim": 1})
    return f


def rms_norm_ref(x, weight, eps):
    # RMSNorm (Zhang & Sennrich 2019, eq. 4): y = x / sqrt(mean(x^2) + eps) * g, over the last dim.
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y * weight if weight is not None else y


def norm():
    f = Family("norm")
    x = rand(2, 3, 5) * 2 + 0.5
    w5, b5 = rand(5) * 0.2 + 1, rand(5) * 0.2
    f.case("layer_norm_last", lambda a, w, b: F.layer_norm(a, [5], w, b, 1e-5), [x, w5, b5],
           {"op": "layer_norm", "normalized_shape": [5], "eps": 1e-5})
    w35, b35 = rand(3, 5) * 0.2 + 1, rand(3, 5) * 0.2
    f.case("layer_norm_two", lambda a, w, b: F.layer_norm(a, [3, 5], w, b, 1e-6), [x, w35, b35],
           {"op": "layer_norm", "normalized_shape": [3, 5], "eps": 1e-6})
    f.case("layer_norm_plain", lambda a: F.layer_norm(a, [5], None, None, 1e-5), [x],
           {"op": "layer_norm", "normalized_shape": [5], "eps": 1e-5})
    f.case("rms_norm", lambda a, w: rms_norm_ref(a, w, 1e-6), [x, w5], {"op": "rms_norm", "eps": 1e-6})
    f.case("rms_norm_plain", lambda a: rms_norm_ref(a, None, 1e-5), [x], {"op": "rms_norm", "eps": 1e-5})
    g = rand(2, 6, 7) * 1.5 + 0.3
    w6, b6 = rand(6) * 0.2 + 1, rand(6) * 0.2
    f.case("group_norm_3", lambda a, w, b: F.group_norm(a, 3, w, b, 1e-5), [g, w6, b6], {"op": "group_norm", "groups": 3, "eps": 1e-5})
    f.case("group_norm_per_channel", lambda a, w, b: F.group_norm(a, 6, w, b, 1e-5), [g, w6, b6],
           {"op": "group_norm", "groups": 6, "eps": 1e-5})
    f.case("group_norm_1", lambda a, w, b: F.group_norm(a, 1, w, b, 1e-5), [g, w6, b6], {"op": "group_norm", "groups": 1, "eps": 1e-5})
    f.case("group_norm_plain", lambda a: F.group_norm(a, 2, None, None, 1e-5), [g], {"op": "group_norm", "groups": 2, "eps": 1e-5})
    g4 = rand(2, 4, 3, 2)
    w4, b4 = rand(4) * 0.2 + 1, rand(4) * 0.2
    f.case("group_norm_4d", lambda a, w, b: F.group_norm(a, 2, w, b, 1e-5), [g4, w4, b4], {"op": "group_norm", "groups": 2, "eps": 1e-5})
    return f


def loss():
    f = Family("loss")
    logits = rand(6, 5) * 2
    t = torch.tensor([0, 3, 4, 1, 1, 2])
    t_ign = torch.tensor([0, -100, 4, 1, -100, 2])
    t_ign0 = torch.tensor([0, 3, 0, 1, 4, 2])
    f.case("cross_entropy", lambda a: F.cross_entropy(a, t), [logits], {"op": "cross_entropy"}, extras={"targets": t})
    f.case("cross_entropy_ignore", lambda a: F.cross_entropy(a, t_ign), [logits],
           {"op": "cross_entropy", "ignore_index": -100}, extras={"targets": t_ign})
    f.case("cross_entropy_ignore_0", lambda a: F.cross_entropy(a, t_ign0, ignore_index=0), [logits],
           {"op": "cross_entropy", "ignore_index": 0}, extras={"targets": t_ign0})
    f.case("cross_entropy_smooth", lambda a: F.cross_entropy(a, t, label_smoothing=0.1), [logits],
           {"op": "cross_entropy", "label_smoothing": 0.1}, extras={"targets": t})
    f.case("cross_entropy_smooth_ignore", lambda a: F.cross_entropy(a, t_ign, label_smoothing=0.2), [logits],
           {"op": "cross_entropy", "ignore_index": -100, "label_smoothing": 0.2}, extras={"targets": t_ign})
    f.case("cross_entropy_large", lambda a: F.cross_entropy(a, t), [logits * 40 + 60], {"op": "cross_entropy"}, extras={"targets": t})
    logp = rand(4, 6).log_softmax(-1)
    target = rand(4, 6).softmax(-1)
    target_zero = target.clone()
    target_zero[1, 2] = 0.0  # 0 * log 0 counts as 0
    for red in ("batchmean", "sum", "mean"):
        f.case(f"kl_div_{red}", lambda a: F.kl_div(a, target, reduction=red), [logp], {"op": "kl_div", "reduction": red},
               extras={"target": target})
    f.case("kl_div_zero_target", lambda a: F.kl_div(a, target_zero, reduction="batchmean"), [logp],
           {"op": "kl_div", "reduction": "batchmean"}, extras={"target": target_zero})
    f.case("mse", F.mse_loss, [rand(3, 4), rand(3, 4)], {"op": "mse"})
    a, b = rand(3, 4, 5), rand(3, 4, 5)
    f.case("cosine_similarity_neg1", lambda x, y: F.cosine_similarity(x, y, dim=-1, eps=1e-8), [a, b],
           {"op": "cosine_similarity", "dim": -1, "eps": 1e-8})
    f.case("cosine_similarity_1", lambda x, y: F.cosine_similarity(x, y, dim=1, eps=1e-8), [a, b],
           {"op": "cosine_similarity", "dim": 1, "eps": 1e-8})
    f.case("normalize_neg1", lambda x: F.normalize(x, p=2.0, dim=-1, eps=1e-12), [a], {"op": "normalize", "p": 2.0, "dim": -1, "eps": 1e-12})
    f.case("normalize_1", lambda x: F.normalize(x, p=2.0, dim=1, eps=1e-12), [a], {"op": "normalize", "p": 2.0, "dim": 1, "eps": 1e-12})
    return f


def matmul():
    f = Family("matmul")

    def mm(ta, tb):
        return lambda a, b: torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b)

    f.case("mm", mm(False, False), [rand(3, 4), rand(4, 5)], {"op": "matmul", "transA": False, "transB": False})
    f.case("mm_transA", mm(True, False), [rand(4, 3), rand(4, 5)], {"op": "matmul", "transA": True, "transB": False})
    f.case("mm_transB", mm(False, True), [rand(3, 4), rand(5, 4)], {"op": "matmul", "transA": False, "transB": True})
    f.case("mm_transAB", mm(True, True), [rand(4, 3), rand(5, 4)], {"op": "matmul", "transA": True, "transB": True})
    f.case("bmm", mm(False, False), [rand(2, 3, 4), rand(2, 4, 5)], {"op": "matmul", "transA": False, "transB": False})
    f.case("bmm_transB", mm(False, True), [rand(2, 3, 4), rand(2, 5, 4)], {"op": "matmul", "transA": False, "transB": True})
    f.case("bmm_transA", mm(True, False), [rand(2, 2, 4, 3), rand(2, 2, 4, 5)], {"op": "matmul", "transA": True, "transB": False})
    f.case("bmm_bcast_rhs2d", mm(False, False), [rand(2, 3, 4), rand(4, 5)], {"op": "matmul", "transA": False, "transB": False})
    f.case("bmm_bcast_batch", mm(False, False), [rand(2, 1, 3, 4), rand(3, 4, 5)], {"op": "matmul", "transA": False, "transB": False})
    f.case("bmm_bcast_lhs", mm(False, True), [rand(1, 3, 4), rand(2, 5, 4)], {"op": "matmul", "transA": False, "transB": True})
    f.case("linear_bias", lambda x, w, b: F.linear(x, w, b), [rand(2, 3, 4), rand(5, 4), rand(5)], {"op": "linear", "bias": True})
    f.case("linear_nobias", lambda x, w: F.linear(x, w), [rand(3, 4), rand(5, 4)], {"op": "linear", "bias": False})
    f.case("linear_4d", lambda x, w, b: F.linear(x, w, b), [rand(2, 2, 3, 4), rand(6, 4), rand(6)], {"op": "linear", "bias": True})
    return f


def conv():
    f = Family("conv")

    def c(case, n, cin, length, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
        inputs = [rand(n, cin, length), rand(cout, cin // groups, k) * 0.5] + ([rand(cout)] if bias else [])
        f.case(case, lambda x, w, *b: F.conv1d(x, w, b[0] if b else None, stride, padding, dilation, groups), inputs,
               {"op": "conv1d", "stride": stride, "padding": padding, "dilation": dilation, "groups": groups, "bias": bias})

    c("basic", 2, 3, 10, 4, 3)
    c("stride2_pad1", 2, 3, 11, 4, 3, stride=2, padding=1)
    c("dilation2", 2, 3, 12, 4, 3, dilation=2, padding=2)
    c("groups3_depthwise", 2, 6, 9, 6, 3, padding=1, groups=3)
    c("groups2", 1, 4, 9, 6, 2, groups=2)
    c("nobias_stride5", 2, 1, 23, 4, 10, stride=5, bias=False)
    c("kernel1", 2, 5, 7, 3, 1)
    c("pos_conv_like", 1, 8, 13, 8, 4, padding=2, groups=4)  # wav2vec2 positional conv: even kernel, same padding
    return f


def conv2d():
    """2-D convolution and the other ops of a MobileNetV3 block (Howard et al. 2019): batch norm, hard-swish,
    hard-sigmoid, global average pooling and squeeze-excitation. Seeded on its own, so adding it left the other
    families' random draws as they were."""
    f = Family("conv2d")
    with torch.random.fork_rng():
        torch.manual_seed(20261206)

        def c(case, n, cin, h, w, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
            kh, kw = (k, k) if isinstance(k, int) else k
            st = stride if isinstance(stride, (tuple, list)) else (stride, stride)
            pd = padding if isinstance(padding, (tuple, list)) else (padding, padding)
            dl = dilation if isinstance(dilation, (tuple, list)) else (dilation, dilation)
            inputs = [rand(n, cin, h, w), rand(cout, cin // groups, kh, kw) * 0.5] + ([rand(cout)] if bias else [])
            f.case(case, lambda x, wt, *b: F.conv2d(x, wt, b[0] if b else None, st, pd, dl, groups), inputs,
                   {"op": "conv2d", "stride": list(st), "padding": list(pd), "dilation": list(dl), "groups": groups, "bias": bias})

        c("basic", 2, 3, 6, 7, 4, 3)
        c("stride2_pad1", 2, 1, 9, 8, 4, 3, stride=2, padding=1, bias=False)   # a MobileNet stem
        c("rect_kernel_asym", 1, 2, 7, 9, 3, (2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1))
        c("pointwise", 2, 5, 4, 6, 3, 1, bias=False)
        c("groups2", 1, 4, 6, 5, 6, 3, padding=1, groups=2)
        c("depthwise3", 2, 4, 7, 8, 4, 3, padding=1, groups=4, bias=False)
        c("depthwise5_stride2", 2, 3, 9, 11, 3, 5, stride=2, padding=2, groups=3)
        c("depthwise_dilated", 1, 2, 8, 8, 2, 3, padding=2, dilation=2, groups=2)
        c("depthwise_multiplier2", 1, 2, 5, 6, 4, 3, padding=1, groups=2)     # two output channels per group: the GEMM path

        x = rand(3, 4, 5, 6) * 1.5 + 0.3
        w4, b4 = rand(4) * 0.2 + 1, rand(4) * 0.2
        rm, rv = rand(4) * 0.3, rand(4, low=0.5, high=2.0)
        f.case("batch_norm_eval", lambda a, w, b: F.batch_norm(a, rm.clone(), rv.clone(), w, b, False, 0.01, 1e-3), [x, w4, b4],
               {"op": "batch_norm", "training": False, "momentum": 0.01, "eps": 1e-3}, extras={"running_mean": rm, "running_var": rv})
        rm_t, rv_t = rm.clone(), rv.clone()
        f.case("batch_norm_train", lambda a, w, b: F.batch_norm(a, rm_t, rv_t, w, b, True, 0.1, 1e-5), [x, w4, b4],
               {"op": "batch_norm", "training": True, "momentum": 0.1, "eps": 1e-5}, extras={"running_mean": rm, "running_var": rv})
        f.tensors["batch_norm_train.running_mean_after"] = rm_t
        f.tensors["batch_norm_train.running_var_after"] = rv_t
        x3 = rand(2, 3, 7) * 2
        f.case("batch_norm_eval_1d_plain", lambda a: F.batch_norm(a, rm[:3].clone(), rv[:3].clone(), None, None, False, 0.1, 1e-5), [x3],
               {"op": "batch_norm", "training": False, "momentum": 0.1, "eps": 1e-5},
               extras={"running_mean": rm[:3].clone(), "running_var": rv[:3].clone()})

        a = rand(2, 3, 4, 5) * 3
        a[0, 0, 0, :] = torch.tensor([-3.0, 3.0, -4.0, 4.0, 0.0], dtype=D)   # the kinks, where torch picks a side
        f.case("hardswish", F.hardswish, [a], {"op": "hardswish"})
        f.case("hardsigmoid", F.hardsigmoid, [a], {"op": "hardsigmoid"})
        f.case("global_avg_pool", lambda t: F.adaptive_avg_pool2d(t, 1), [a], {"op": "global_avg_pool"})

        def se(t, w1, b1, w2, b2):
            # squeeze-excitation over channels (Hu et al. 2018): s = sigmoid(fc2(relu(fc1(mean_hw(t))))), t * s
            s = t.mean((2, 3))
            s = torch.sigmoid(F.linear(F.relu(F.linear(s, w1, b1)), w2, b2))
            return t * s[:, :, None, None]

        f.case("squeeze_excitation", se, [rand(2, 8, 3, 4), rand(4, 8) * 0.5, rand(4) * 0.1, rand(8, 4) * 0.5, rand(8) * 0.1],
               {"op": "squeeze_excitation"})
    return f


def sdpa_ref(q, k, v, mask=None, additive=False, causal=False, scale=None):
    # Scaled dot-product attention (Vaswani et al. 2017, eq. 1): softmax(Q K^T / sqrt(d) + M) V.
    # Grouped-query attention (Ainslie et al. 2023): each group of H/Hkv query heads shares one K/V head.
    h, hkv = q.shape[1], k.shape[1]
    if h != hkv:
        k = k.repeat_interleave(h // hkv, dim=1)
        v = v.repeat_interleave(h // hkv, dim=1)
    s = (q @ k.transpose(-1, -2)) * (scale if scale is not None else 1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        s = s + mask if additive else s.masked_fill(mask == 0, float("-inf"))
    if causal:
        tq, tk = s.shape[-2], s.shape[-1]
        s = s.masked_fill(torch.ones(tq, tk, dtype=torch.bool).triu(1), float("-inf"))
    return s.softmax(-1) @ v


def rotary_tables(dim, max_pos, theta):
    # RoPE (Su et al. 2021) in the Hugging Face LLaMA layout: inv_freq_i = theta^(-2i/d), the angle table
    # duplicated over both halves, applied as x * cos + rotate_half(x) * sin.
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=D) / dim))
    freqs = torch.outer(torch.arange(max_pos, dtype=D), inv_freq)
    emb = torch.cat([freqs, freqs], -1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat([-x2, x1], -1)


def apply_rotary(x, cos, sin):
    return x * cos + rotate_half(x) * sin


def attention():
    f = Family("attention")
    b, h, tq, tk, d = 2, 4, 5, 6, 8
    q, k, v = rand(b, h, tq, d), rand(b, h, tk, d), rand(b, h, tk, d)
    f.case("plain", lambda q, k, v: sdpa_ref(q, k, v), [q, k, v], {"op": "sdpa"})
    pad = torch.ones(b, 1, 1, tk, dtype=D)
    pad[0, ..., 4:] = 0
    pad[1, ..., 5:] = 0
    f.case("key_padding", lambda q, k, v: sdpa_ref(q, k, v, pad), [q, k, v], {"op": "sdpa", "additive": False}, extras={"mask": pad})
    full = (torch.rand(b, h, tq, tk) < 0.7).to(D)
    full[..., 0] = 1  # keep one key in each row
    f.case("bool_full", lambda q, k, v: sdpa_ref(q, k, v, full), [q, k, v], {"op": "sdpa", "additive": False}, extras={"mask": full})
    add = rand(1, 1, tq, tk) * 0.5
    add[..., 2] = -1e9
    f.case("additive", lambda q, k, v: sdpa_ref(q, k, v, add, additive=True), [q, k, v], {"op": "sdpa", "additive": True},
           extras={"mask": add})
    qs, ks, vs = rand(b, h, tk, d), rand(b, h, tk, d), rand(b, h, tk, d)
    f.case("causal", lambda q, k, v: sdpa_ref(q, k, v, causal=True), [qs, ks, vs], {"op": "sdpa", "causal": True})
    f.case("scale", lambda q, k, v: sdpa_ref(q, k, v, scale=0.5), [q, k, v], {"op": "sdpa", "scale": 0.5})
    kg, vg = rand(b, 2, tk, d), rand(b, 2, tk, d)
    f.case("gqa", lambda q, k, v: sdpa_ref(q, k, v), [q, kg, vg], {"op": "sdpa"})
    f.case("gqa_causal", lambda q, k, v: sdpa_ref(q, k, v, causal=True), [qs, kg, vg], {"op": "sdpa", "causal": True})
    f.case("gqa_padding", lambda q, k, v: sdpa_ref(q, k, v, pad), [q, kg, vg], {"op": "sdpa", "additive": False}, extras={"mask": pad})
    q1 = rand(b, h, 1, d)  # one query row (decoding step)
    f.case("single_query", lambda q, k, v: sdpa_ref(q, k, v, pad), [q1, k, v], {"op": "sdpa", "additive": False}, extras={"mask": pad})
    cos, sin = rotary_tables(8, 16, 10000.0)
    f.no_grad_case("rotary_tables", [], {"cos": cos, "sin": sin}, {"op": "rotary_tables", "dim": 8, "max_pos": 16, "theta": 10000.0})
    cos5, sin5 = cos[:5], sin[:5]
    f.case("rotary", lambda x: apply_rotary(x, cos5, sin5), [rand(2, 3, 5, 8)], {"op": "rotary"}, extras={"cos": cos5, "sin": sin5})
    cos16, sin16 = rotary_tables(16, 4, 500000.0)
    f.case("rotary_theta", lambda x: apply_rotary(x, cos16, sin16), [rand(1, 2, 4, 16)], {"op": "rotary", "theta": 500000.0},
           extras={"cos": cos16, "sin": sin16})
    return f


# ---------------------------------------------------------------------------------------------
# blocks
# ---------------------------------------------------------------------------------------------

def linear_params(p, name, fan_in, fan_out, bias=True):
    bound = 1.0 / math.sqrt(fan_in)
    p[name + ".weight"] = rand(fan_out, fan_in, low=-bound, high=bound)
    if bias:
        p[name + ".bias"] = rand(fan_out, low=-bound, high=bound)


def norm_params(p, name, dim, bias=True):
    p[name + ".weight"] = rand(dim) * 0.1 + 1.0
    if bias:
        p[name + ".bias"] = rand(dim) * 0.1


def lin(p, name, x):
    return F.linear(x, p[name + ".weight"], p.get(name + ".bias"))


def write_block(name, params, inputs, forward):
    """inputs: name -> tensor (float ones named 'input' get a gradient). Stores params, io, and all gradients."""
    params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    x = inputs["input"].detach().clone().requires_grad_(inputs["input"].is_floating_point())
    out = forward(params, x, inputs)
    gout = torch.randn(out.shape, dtype=torch.float32).to(D)
    wrt = list(params.values()) + ([x] if x.requires_grad else [])
    grads = torch.autograd.grad(out, wrt, gout)
    t = dict(params)
    for k, v in inputs.items():
        t["test." + k] = v
    t["test.out"] = out
    t["test.gout"] = gout
    for k, g in zip(list(params) + (["input"] if x.requires_grad else []), grads):
        t["test.grad." + k] = g
    size = write_safetensors(os.path.join(OUT_DIR, name + ".safetensors"), t, {"block": name})
    print(f"{name}.safetensors: {len(params)} parameters, out {list(out.shape)}, {size} bytes")
    return size


ENC = {"layers": 2, "d": 32, "heads": 4, "ff": 64, "eps": 1e-5, "batch": 2, "time": 7}


def encoder_block():
    # Post-norm transformer encoder layer as in wav2vec 2.0 (Baevski et al. 2020) / BERT (Devlin et al. 2019),
    # Hugging Face Wav2Vec2EncoderLayer names:
    #   h = LayerNorm(x + OutProj(MHA(x, key_padding_mask)))          (Vaswani et al. 2017, sec. 3.2.2, 5.4)
    #   y = FinalLayerNorm(h + OutputDense(GELU(IntermediateDense(h))))
    c = ENC
    p = {}
    for i in range(c["layers"]):
        pre = f"layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            linear_params(p, pre + "attention." + proj, c["d"], c["d"])
        norm_params(p, pre + "layer_norm", c["d"])
        linear_params(p, pre + "feed_forward.intermediate_dense", c["d"], c["ff"])
        linear_params(p, pre + "feed_forward.output_dense", c["ff"], c["d"])
        norm_params(p, pre + "final_layer_norm", c["d"])
    x = rand(c["batch"], c["time"], c["d"])
    mask = torch.ones(c["batch"], c["time"], dtype=D)
    mask[1, 5:] = 0  # second sequence is 5 frames long

    def forward(p, x, inputs):
        b, t, d = x.shape
        hd = d // c["heads"]
        keep = inputs["mask"][:, None, None, :]
        h = x
        for i in range(c["layers"]):
            pre = f"layers.{i}."

            def heads(y):
                return y.view(b, t, c["heads"], hd).transpose(1, 2)

            q = heads(lin(p, pre + "attention.q_proj", h))
            k = heads(lin(p, pre + "attention.k_proj", h))
            v = heads(lin(p, pre + "attention.v_proj", h))
            a = sdpa_ref(q, k, v, keep).transpose(1, 2).reshape(b, t, d)
            h = F.layer_norm(h + lin(p, pre + "attention.out_proj", a), [d], p[pre + "layer_norm.weight"], p[pre + "layer_norm.bias"], c["eps"])
            ff = lin(p, pre + "feed_forward.output_dense", F.gelu(lin(p, pre + "feed_forward.intermediate_dense", h)))
            h = F.layer_norm(h + ff, [d], p[pre + "final_layer_norm.weight"], p[pre + "final_layer_norm.bias"], c["eps"])
        return h

    return write_block("encoder_block", p, {"input": x, "mask": mask}, forward)


DEC = {"layers": 2, "d": 32, "heads": 4, "kv_heads": 2, "ff": 48, "eps": 1e-6, "theta": 10000.0, "vocab": 11, "batch": 2, "time": 6}


def decoder_block():
    # Pre-norm decoder as in LLaMA (Touvron et al. 2023), Hugging Face LlamaModel names:
    #   h = x + OProj(Attn(RoPE(QProj(RMSNorm(x))), RoPE(KProj(..)), VProj(..), causal))   (RoPE: Su et al. 2021;
    #   grouped-query K/V: Ainslie et al. 2023; RMSNorm: Zhang & Sennrich 2019)
    #   y = h + DownProj(SiLU(GateProj(RMSNorm(h))) * UpProj(RMSNorm(h)))                    (SwiGLU: Shazeer 2020)
    # followed by a final RMSNorm; input is token ids through embed_tokens.
    c = DEC
    p = {"embed_tokens.weight": rand(c["vocab"], c["d"])}
    hd = c["d"] // c["heads"]
    for i in range(c["layers"]):
        pre = f"layers.{i}."
        linear_params(p, pre + "self_attn.q_proj", c["d"], c["heads"] * hd, bias=False)
        linear_params(p, pre + "self_attn.k_proj", c["d"], c["kv_heads"] * hd, bias=False)
        linear_params(p, pre + "self_attn.v_proj", c["d"], c["kv_heads"] * hd, bias=False)
        linear_params(p, pre + "self_attn.o_proj", c["heads"] * hd, c["d"], bias=False)
        linear_params(p, pre + "mlp.gate_proj", c["d"], c["ff"], bias=False)
        linear_params(p, pre + "mlp.up_proj", c["d"], c["ff"], bias=False)
        linear_params(p, pre + "mlp.down_proj", c["ff"], c["d"], bias=False)
        norm_params(p, pre + "input_layernorm", c["d"], bias=False)
        norm_params(p, pre + "post_attention_layernorm", c["d"], bias=False)
    norm_params(p, "norm", c["d"], bias=False)
    ids = torch.tensor([[1, 5, 2, 9, 9, 0], [10, 3, 3, 7, 4, 6]])
    cos, sin = rotary_tables(hd, c["time"], c["theta"])

    def forward(p, _x, inputs):
        h = F.embedding(inputs["input"], p["embed_tokens.weight"])
        b, t, d = h.shape
        for i in range(c["layers"]):
            pre = f"layers.{i}."
            n = rms_norm_ref(h, p[pre + "input_layernorm.weight"], c["eps"])
            q = lin(p, pre + "self_attn.q_proj", n).view(b, t, c["heads"], hd).transpose(1, 2)
            k = lin(p, pre + "self_attn.k_proj", n).view(b, t, c["kv_heads"], hd).transpose(1, 2)
            v = lin(p, pre + "self_attn.v_proj", n).view(b, t, c["kv_heads"], hd).transpose(1, 2)
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
            a = sdpa_ref(q, k, v, causal=True).transpose(1, 2).reshape(b, t, c["heads"] * hd)
            h = h + lin(p, pre + "self_attn.o_proj", a)
            n = rms_norm_ref(h, p[pre + "post_attention_layernorm.weight"], c["eps"])
            h = h + lin(p, pre + "mlp.down_proj", F.silu(lin(p, pre + "mlp.gate_proj", n)) * lin(p, pre + "mlp.up_proj", n))
        return rms_norm_ref(h, p["norm.weight"], c["eps"])

    return write_block("decoder_block", p, {"input": ids}, forward)


CONV = {"channels": 16, "kernels": [10, 3, 3], "strides": [5, 2, 2], "batch": 2, "samples": 400}


def conv_feature_encoder():
    # wav2vec 2.0 feature encoder (Baevski et al. 2020, sec. 2; Hugging Face Wav2Vec2FeatureEncoder with
    # feat_extract_norm="group"): conv (no bias) -> GroupNorm(C groups, C channels) -> GELU on the first layer,
    # conv -> GELU on the others; input (N, 1, samples).
    c = CONV
    p = {}
    cin = 1
    for i, k in enumerate(c["kernels"]):
        pre = f"feature_extractor.conv_layers.{i}."
        bound = 1.0 / math.sqrt(cin * k)
        p[pre + "conv.weight"] = rand(c["channels"], cin, k, low=-bound, high=bound) * 3
        if i == 0:
            norm_params(p, pre + "layer_norm", c["channels"])
        cin = c["channels"]
    x = rand(c["batch"], 1, c["samples"]) * 0.3

    def forward(p, x, _inputs):
        h = x
        for i, s in enumerate(c["strides"]):
            pre = f"feature_extractor.conv_layers.{i}."
            h = F.conv1d(h, p[pre + "conv.weight"], None, s)
            if i == 0:
                h = F.group_norm(h, c["channels"], p[pre + "layer_norm.weight"], p[pre + "layer_norm.bias"], 1e-5)
            h = F.gelu(h)
        return h

    return write_block("conv_feature_encoder", p, {"input": x}, forward)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for fam in (unary, binary, shape, index, reduce, activation, norm, loss, matmul, conv, attention):
        total += fam().write()
    for block in (encoder_block, decoder_block, conv_feature_encoder):
        total += block()
    total += conv2d().write()
    print(f"total {total} bytes")
    if total > 3 * 1024 * 1024:
        sys.exit("fixtures exceed the 3 MB budget")


if __name__ == "__main__":
    main()
