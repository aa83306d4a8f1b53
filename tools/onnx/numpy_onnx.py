"""A small numpy evaluator of ONNX graphs for the ops Sentire's exporters use (onnx 1.12 has no onnx.reference).

Semantics follow the ONNX operator docs (opset 13): numpy broadcasting for Add/Sub/Mul/Div, Conv on (N, C, L) with
pads [begin, end], dilations, strides and group, ReduceMean with an axes attribute, Gemm with transA/transB.
"""
import numpy as np
from onnx import numpy_helper


def attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.FLOAT:
            out[a.name] = a.f
    return out


def conv1d(x, w, b, strides, pads, dilations, group):
    n, cin, length = x.shape
    cout, cin_g, k = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[1])))
    lout = (x.shape[2] - dilations * (k - 1) - 1) // strides + 1
    y = np.zeros((n, cout, lout), dtype=np.float64)
    cout_g = cout // group
    for g in range(group):
        xs = x[:, g * cin_g:(g + 1) * cin_g, :].astype(np.float64)
        ws = w[g * cout_g:(g + 1) * cout_g].astype(np.float64)
        for j in range(k):
            cols = xs[:, :, j * dilations: j * dilations + strides * (lout - 1) + 1: strides]   # (N, Cin_g, Lout)
            y[:, g * cout_g:(g + 1) * cout_g, :] += np.einsum("oc,ncl->nol", ws[:, :, j], cols)
    if b is not None:
        y += b[None, :, None]
    return y.astype(np.float32)


def run(model, feeds):
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    values.update(feeds)
    for node in model.graph.node:
        a = attrs(node)
        i = [values[name] if name else None for name in node.input]
        op = node.op_type
        if op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](i[0], i[1])
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-i[0]))
        elif op == "Transpose":
            y = np.transpose(i[0], a.get("perm"))
        elif op == "Conv":
            y = conv1d(i[0], i[1], i[2] if len(i) > 2 else None, a.get("strides", [1])[0], a.get("pads", [0, 0]),
                       a.get("dilations", [1])[0], a.get("group", 1))
        elif op == "ReduceMean":
            y = np.mean(i[0], axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Softmax":
            e = np.exp(i[0] - i[0].max(axis=a.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        else:
            raise NotImplementedError(f"op {op} is not in this evaluator")
        values[node.output[0]] = np.asarray(y, dtype=np.float32)
    return {o.name: values[o.name] for o in model.graph.output}
