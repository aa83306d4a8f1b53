#!/usr/bin/python3
"""Validates an exported student graph with Debian's python3-onnx 1.12 (no ONNX runtime exists here).

    ./sentire export onnx --model models/emotion-student-tiny --out student.onnx
    /usr/bin/python3 tools/onnx/check_student.py student.onnx [--model models/emotion-student-tiny]

1) onnx.checker.check_model(full_check=True): schema, opset and shape-inference check.
2) onnx.reference when this onnx has it (1.13+; 1.12 does not): run the graph.
3) Independent semantics check: the graph run by a small numpy evaluator (numpy_onnx.py) against the student rebuilt
   in PyTorch (tools/golden/student_fixtures.py) from the package's model.safetensors, on a seeded log-mel batch.
Exit status 0 only when every check that ran passed.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import numpy_onnx  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{path}: {name} is {info['dtype']}, expected F32"
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"])
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("onnx_file")
    parser.add_argument("--model", default=os.path.join("models", "emotion-student-tiny"), help="package folder for the PyTorch comparison")
    args = parser.parse_args()

    model = onnx.load(args.onnx_file)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    print(f"check_model: OK (onnx {onnx.__version__}, IR {model.ir_version}, opsets {opsets}, {len(model.graph.node)} nodes, "
          f"ops {sorted({n.op_type for n in model.graph.node})})")
    print("metadata:", {p.key: p.value for p in model.metadata_props})

    rng = np.random.default_rng(1234)
    mel = (rng.standard_normal((2, 173, 80)) * 2 - 6).astype(np.float32)
    try:
        from onnx.reference import ReferenceEvaluator  # noqa: F401
        print("onnx.reference: available, running")
        ref = ReferenceEvaluator(model).run(None, {"log_mel": mel})
        print("onnx.reference outputs:", [r.shape for r in ref])
    except ImportError:
        print(f"onnx.reference: not in onnx {onnx.__version__}; skipped")

    outputs = numpy_onnx.run(model, {"log_mel": mel})
    weights = os.path.join(args.model, "model.safetensors")
    if not os.path.exists(weights):
        print(f"{weights} not found: PyTorch comparison skipped")
        return 0
    import torch
    from student_fixtures import TinyStudent
    student = TinyStudent().eval()
    student.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in read_safetensors(weights).items()})
    with torch.no_grad():
        logits, dims = student(torch.from_numpy(mel), torch.tensor([mel.shape[1]] * mel.shape[0]))
    worst = 0.0
    for name, expected in (("logits", logits.numpy()), ("dimensions", dims.numpy()),
                           ("probabilities", torch.softmax(logits, -1).numpy())):
        diff = float(np.abs(outputs[name] - expected).max())
        worst = max(worst, diff)
        print(f"numpy-evaluated graph vs PyTorch student: {name} max |diff| = {diff:.2e}")
    if worst > 1e-4:
        print("FAILED: the graph does not reproduce the student to 1e-4")
        return 1
    print("OK: the graph reproduces the PyTorch student to 1e-4")
    return 0


if __name__ == "__main__":
    sys.exit(main())
