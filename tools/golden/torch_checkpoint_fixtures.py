"""Fixtures for Sentire's torch.save reader (Sentire.Tensors.Serialization.TorchCheckpointFile).

Run with Debian's torch:  /usr/bin/python3 tools/golden/torch_checkpoint_fixtures.py
Writes (committed; tests never need Python), all tiny and random-initialised, under tests/fixtures/torch/:
  tiny-f32.pt, tiny-f16.pt, tiny-bf16.pt   state dict of a small Linear + BatchNorm1d (num_batches_tracked stays int64)
  tiny-protocol4.pt, tiny-protocol5.pt      the f32 state dict pickled with protocol 4 / 5 (FRAME, MEMOIZE, STACK_GLOBAL...)
  views.pt                                  non-contiguous views: a transpose, a storage offset, a column stride,
                                            two tensors sharing one storage, a 0-d scalar and an empty tensor
  nested.pt                                 {"model": state dict, "epoch": 3, "optimizer_name": "adamw", "lr": 0.001,
                                            "flags": [True, None], "layers": [t0, t1]} (nested names flatten with ".")
  parameters.pt                             a dict of nn.Parameter (torch._utils._rebuild_parameter)
  sharded-bin/                              pytorch_model-0000N-of-00002.bin + pytorch_model.bin.index.json
  single-bin/pytorch_model.bin              the f32 state dict under the Hugging Face file name
  expected.safetensors                      every tensor above as float32 ("<file>/<name>"), for comparison
  malicious/*.pt                            pickles that must be refused without running anything:
                                            os.system, builtins.eval, subprocess.Popen (protocol 4 STACK_GLOBAL),
                                            a whole pickled nn.Module, a tensor rebuilt through a forbidden global
  wav2vec2-base-bin/                        tests/fixtures/hf-speech/wav2vec2-base re-saved as pytorch_model.bin with
                                            "wav2vec2." key prefixes (as a *ForSequenceClassification saves them)
  teacher-golden.json                       a few values of ../shared/teachers/efficientat-mn04/mn04_as_mAP_432.pt
                                            (SENTIRE_SHARED overrides ../shared; count, total size, per-tensor sums and first values of 4 tensors; never the weights)
"""
import collections
import io
import json
import os
import shutil
import struct
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixture import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "torch")
SHARED = os.environ.get("SENTIRE_SHARED", os.path.join(ROOT, "..", "shared"))
TEACHER = os.path.join(SHARED, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt")


def tiny_state_dict():
    torch.manual_seed(17)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    model.train()
    for _ in range(3):  # moves running stats and num_batches_tracked off their initial values
        model(torch.randn(5, 3))
    return model.state_dict()


def cast(state, dtype):
    return collections.OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in state.items())


class Evil:
    """Pickles as a call of `target(*args)`: what a malicious checkpoint does."""

    def __init__(self, target, args):
        self.target, self.args = target, args

    def __reduce__(self):
        return (self.target, self.args)


class HookedTensor(torch.Tensor):
    """A tensor subclass: torch pickles it through torch._tensor._rebuild_from_type_v2 and this module's class."""


def save(obj, path, protocol=2):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(obj, path, pickle_protocol=protocol)


def read_safetensors(path):
    """The reader counterpart of write_safetensors (F32/F16/BF16 are all the speech fixtures use)."""
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = collections.OrderedDict()
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=dtypes[e["dtype"]]).reshape(e["shape"]).clone()
    return out


def speech_bin_fixture():
    source = os.path.join(ROOT, "tests", "fixtures", "hf-speech", "wav2vec2-base")
    target = os.path.join(OUT, "wav2vec2-base-bin")
    os.makedirs(target, exist_ok=True)
    state = read_safetensors(os.path.join(source, "model.safetensors"))
    save(collections.OrderedDict(("wav2vec2." + k, v) for k, v in state.items()), os.path.join(target, "pytorch_model.bin"))
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copyfile(os.path.join(source, name), os.path.join(target, name))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    def record(file, state):
        for k, v in state.items():
            if isinstance(v, torch.Tensor):
                expected[f"{file}/{k}"] = v.detach().float().contiguous().clone()

    sd = tiny_state_dict()
    for name, dtype in [("tiny-f32.pt", torch.float32), ("tiny-f16.pt", torch.float16), ("tiny-bf16.pt", torch.bfloat16)]:
        s = cast(sd, dtype)
        save(s, os.path.join(OUT, name))
        record(name, s)
    for protocol in (4, 5):
        name = f"tiny-protocol{protocol}.pt"
        save(sd, os.path.join(OUT, name), protocol)
        record(name, sd)
    save(sd, os.path.join(OUT, "single-bin", "pytorch_model.bin"))

    g = torch.Generator().manual_seed(5)
    base = torch.randn(4, 6, generator=g)
    storage_owner = torch.randn(20, generator=g)
    views = {
        "transposed": base.t(),                           # strides (1, 6)
        "offset": storage_owner[3:11].view(2, 4),         # storage offset 3
        "column_stride": base[:, ::2],                    # strides (6, 2)
        "shared_whole": base,                             # same storage as "transposed" and "column_stride"
        "shared_row": base[2],                            # offset 12 into it
        "half_view": torch.randn(3, 5, generator=g).half()[1:, 1:4],
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "count": torch.tensor(12345, dtype=torch.int64),
    }
    assert not views["transposed"].is_contiguous() and views["offset"].storage_offset() == 3
    save(views, os.path.join(OUT, "views.pt"))
    record("views.pt", views)

    layers = [torch.randn(2, generator=g), torch.randn(3, generator=g)]
    nested = {"model": cast(sd, torch.float32), "epoch": 3, "optimizer_name": "adamw", "lr": 0.001,
              "flags": [True, None], "layers": layers}
    save(nested, os.path.join(OUT, "nested.pt"))
    record("nested.pt", {**{"model." + k: v for k, v in sd.items()}, "layers.0": layers[0], "layers.1": layers[1]})

    params = {"weight": torch.nn.Parameter(torch.randn(2, 3, generator=g)), "bias": torch.nn.Parameter(torch.randn(3, generator=g), requires_grad=False)}
    save(params, os.path.join(OUT, "parameters.pt"))
    record("parameters.pt", params)

    # Hugging Face's sharded layout: pytorch_model.bin.index.json {"metadata": {"total_size"}, "weight_map": {name: shard}}
    sharded = os.path.join(OUT, "sharded-bin")
    keys = list(sd.keys())
    parts = [keys[: len(keys) // 2], keys[len(keys) // 2:]]
    weight_map, total = {}, 0
    for i, part in enumerate(parts):
        shard = f"pytorch_model-{i + 1:05d}-of-{len(parts):05d}.bin"
        save(collections.OrderedDict((k, sd[k]) for k in part), os.path.join(sharded, shard))
        for k in part:
            weight_map[k] = shard
            total += sd[k].numel() * sd[k].element_size()
    with open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    record("sharded-bin", sd)

    write_safetensors(os.path.join(OUT, "expected.safetensors"), expected,
                      {"written_by": "tools/golden/torch_checkpoint_fixtures.py"})

    # Malicious checkpoints: each would run a command (or build arbitrary objects) under a plain torch.load.
    evil = os.path.join(OUT, "malicious")
    save({"weight": torch.zeros(2), "payload": Evil(os.system, ("echo pwned",))}, os.path.join(evil, "os-system.pt"))
    save(Evil(eval, ("__import__('os').getcwd()",)), os.path.join(evil, "builtins-eval.pt"))
    save({"w": Evil(subprocess.Popen, (["true"],))}, os.path.join(evil, "subprocess-popen.pt"), protocol=4)
    save(torch.nn.Linear(2, 2), os.path.join(evil, "whole-module.pt"))
    # A tensor subclass: its rebuild names a class of this script, which must be refused.
    save({"t": torch.zeros(2).as_subclass(HookedTensor)}, os.path.join(evil, "tensor-subclass.pt"))

    speech_bin_fixture()

    if os.path.exists(TEACHER):
        teacher = torch.load(TEACHER, map_location="cpu")
        names = ["features.0.0.weight", "features.0.1.running_var", "features.0.1.num_batches_tracked", "classifier.5.bias"]
        names = [n for n in names if n in teacher] or list(teacher)[:4]
        golden = {
            "count": len(teacher),
            "values": sum(v.numel() for v in teacher.values()),
            "tensors": {n: {"shape": list(teacher[n].shape), "dtype": str(teacher[n].dtype).replace("torch.", ""),
                            "sum": float(teacher[n].double().sum()), "first": teacher[n].flatten()[:5].double().tolist()}
                        for n in names},
        }
        with open(os.path.join(OUT, "teacher-golden.json"), "w") as f:
            json.dump(golden, f, indent=2)
    print(f"wrote {len(expected)} expected tensors to {OUT}")


if __name__ == "__main__":
    main()
