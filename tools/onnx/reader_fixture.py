#!/usr/bin/python3
"""ONNX written by the official onnx package (1.12), for testing Sentire's own reader and interpreter.

    /usr/bin/python3 tools/onnx/reader_fixture.py
Writes tests/fixtures/onnx/helper_model.onnx (built with onnx.helper, float_data and raw_data initializers, an
asymmetric Conv padding, a grouped Conv) and helper_model_io.safetensors: the input x and the expected outputs y, p
computed by tools/onnx/numpy_onnx.py.
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
import numpy_onnx  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "onnx")


def write_safetensors(path, arrays):
    """safetensors by hand (the package is not installed): u64 header length, JSON header, raw little-endian F32."""
    header, blobs, offset = {}, [], 0
    for name, a in arrays.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    rng = np.random.default_rng(5)
    w1 = rng.standard_normal((4, 3, 3)).astype(np.float32)
    b1 = rng.standard_normal(4).astype(np.float32)
    w2 = rng.standard_normal((4, 2, 2)).astype(np.float32)       # group 2
    wg = rng.standard_normal((5, 4)).astype(np.float32)
    bg = rng.standard_normal(5).astype(np.float32)
    shift = rng.standard_normal(3).astype(np.float32)
    inits = [
        helper.make_tensor("w1", TensorProto.FLOAT, w1.shape, w1.flatten().tolist()),   # float_data
        numpy_helper.from_array(b1, "b1"),                                               # raw_data
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(wg, "wg"),
        numpy_helper.from_array(bg, "bg"),
        numpy_helper.from_array(shift, "shift"),
    ]
    nodes = [
        helper.make_node("Sub", ["x", "shift"], ["s"]),
        helper.make_node("Transpose", ["s"], ["t"], perm=[0, 2, 1]),
        helper.make_node("Conv", ["t", "w1", "b1"], ["c1"], kernel_shape=[3], pads=[2, 0], strides=[2], dilations=[1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], kernel_shape=[2], pads=[1, 1], dilations=[2], group=2),
        helper.make_node("Sigmoid", ["c2"], ["g"]),
        helper.make_node("ReduceMean", ["g"], ["m"], axes=[2], keepdims=0),
        helper.make_node("Gemm", ["m", "wg", "bg"], ["y"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Softmax", ["y"], ["p"], axis=-1),
    ]
    graph = helper.make_graph(nodes, "reader-fixture", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "frames", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5]),
                               helper.make_tensor_value_info("p", TensorProto.FLOAT, ["batch", 5])], inits)
    model = helper.make_model(graph, producer_name="onnx.helper", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    x = rng.standard_normal((2, 11, 3)).astype(np.float32)
    out = numpy_onnx.run(model, {"x": x})
    os.makedirs(OUT, exist_ok=True)
    onnx.save(model, os.path.join(OUT, "helper_model.onnx"))
    write_safetensors(os.path.join(OUT, "helper_model_io.safetensors"), {"x": x, "y": out["y"], "p": out["p"]})
    print("wrote", OUT, {k: v.shape for k, v in out.items()})


if __name__ == "__main__":
    main()
