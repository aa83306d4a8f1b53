namespace Sentire.Tensors.Onnx;

/// <summary>
/// Runs an ONNX graph with the engine's ops, node by node in the file's (topological) order, for checking exported
/// models where no ONNX runtime exists. Float tensors only; covers a small operator set with ONNX semantics
/// (opset 13-17): Add, Sub, Mul, Div (numpy broadcasting), Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg, Identity,
/// Transpose, Reshape, Conv (1-D), ReduceMean, Gemm, MatMul, Softmax.
/// </summary>
public sealed class OnnxInterpreter
{
    static readonly string[] Supported = ["Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Identity",
        "Transpose", "Reshape", "Conv", "ReduceMean", "Gemm", "MatMul", "Softmax"];

    readonly OnnxModel model;
    readonly Dictionary<string, Tensor> initializers;

    public OnnxInterpreter(OnnxModel model)
    {
        this.model = model;
        initializers = model.Graph.Initializers.ToDictionary(t => t.Name, t => t.ToTensor(), StringComparer.Ordinal);
        var unsupported = model.Graph.Nodes.Where(n => n.Domain.Length > 0 || !Supported.Contains(n.OpType)).Select(n => $"{n.Domain}{n.OpType}").Distinct().ToList();
        if (unsupported.Count > 0)
            throw new NotSupportedException($"the graph uses {string.Join(", ", unsupported)}, which the interpreter does not run (supported: {string.Join(", ", Supported)})");
    }

    /// <summary>Runs the graph on named inputs and returns every graph output by name.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var _ = Autograd.NoGrad();
        var values = new Dictionary<string, Tensor>(initializers, StringComparer.Ordinal);
        foreach (var input in model.Graph.Inputs.Where(i => !initializers.ContainsKey(i.Name)))
        {
            if (!inputs.TryGetValue(input.Name, out var value)) throw new ArgumentException($"graph input '{input.Name}' was not given");
            if (value.Rank != input.Shape.Count || input.Shape.Select((d, k) => d.Value is { } v && v != value.Dim(k)).Any(bad => bad))
                throw new ArgumentException($"graph input '{input.Name}' has shape {value.ShapeString}, the graph expects [{string.Join(", ", input.Shape)}]");
            values[input.Name] = value;
        }
        foreach (var node in model.Graph.Nodes)
        {
            Tensor In(int k) => values.TryGetValue(node.Inputs[k], out var t) ? t
                : throw new InvalidOperationException($"node '{node.Name}' ({node.OpType}) reads '{node.Inputs[k]}', which no earlier node produced");
            Tensor? Optional(int k) => k < node.Inputs.Count && node.Inputs[k].Length > 0 ? In(k) : null;
            values[node.Outputs[0]] = node.OpType switch
            {
                "Add" => In(0) + In(1),
                "Sub" => In(0) - In(1),
                "Mul" => In(0) * In(1),
                "Div" => In(0) / In(1),
                "Relu" => In(0).Relu(),
                "Sigmoid" => In(0).Sigmoid(),
                "Tanh" => In(0).Tanh(),
                "Exp" => In(0).Exp(),
                "Log" => In(0).Log(),
                "Sqrt" => In(0).Sqrt(),
                "Neg" => In(0).Neg(),
                "Identity" => In(0),
                "Transpose" => In(0).Permute(node.Ints("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, In(0).Rank).Reverse().ToArray()),
                "Reshape" => Reshape(In(0), In(1)),
                "Conv" => Conv(node, In(0), In(1), Optional(2)),
                "ReduceMean" => ReduceMean(node, In(0), Optional(1)),
                "Gemm" => Gemm(node, In(0), In(1), Optional(2)),
                "MatMul" => In(0).MatMul(In(1)),
                "Softmax" => In(0).Softmax((int)node.Int("axis", -1)),
                _ => throw new NotSupportedException($"ONNX op '{node.OpType}' is not supported"),
            };
        }
        return model.Graph.Outputs.ToDictionary(o => o.Name, o => values.TryGetValue(o.Name, out var t) ? t
            : throw new InvalidOperationException($"graph output '{o.Name}' is produced by no node"), StringComparer.Ordinal);
    }

    static Tensor Reshape(Tensor x, Tensor shape)
    {
        var dims = shape.Data.ToArray().Select(v => (int)v).ToArray();
        for (int k = 0; k < dims.Length; k++) if (dims[k] == 0) dims[k] = x.Dim(k);    // 0 copies the input dimension
        return x.Reshape(dims);
    }

    /// <summary>Conv on (N, C, L): 1-D only; asymmetric pads are applied by zero-padding first.</summary>
    static Tensor Conv(OnnxNode node, Tensor x, Tensor w, Tensor? b)
    {
        if (x.Rank != 3 || w.Rank != 3) throw new NotSupportedException($"Conv node '{node.Name}': only 1-D convolution runs here, input {x.ShapeString}, weight {w.ShapeString}");
        if (node.Attribute("auto_pad") is { S: { } autoPad } && autoPad != "NOTSET") throw new NotSupportedException($"Conv node '{node.Name}': auto_pad {autoPad}");
        int stride = (int)(node.Ints("strides")?.FirstOrDefault() ?? 1), dilation = (int)(node.Ints("dilations")?.FirstOrDefault() ?? 1);
        var pads = node.Ints("pads") is { Count: 2 } p ? p : [0, 0];
        int group = (int)node.Int("group", 1);
        if (pads[0] != pads[1]) { x = x.Pad([(int)pads[0], (int)pads[1]]); pads = [0, 0]; }
        return x.Conv1d(w, b, stride, (int)pads[0], dilation, group);
    }

    static Tensor ReduceMean(OnnxNode node, Tensor x, Tensor? axesInput)
    {
        var axes = (axesInput?.Data.ToArray().Select(v => (long)v).ToList() ?? node.Ints("axes")?.ToList() ?? [.. Enumerable.Range(0, x.Rank).Select(a => (long)a)])
            .Select(a => (int)(a < 0 ? a + x.Rank : a)).ToArray();
        return x.Mean(axes, keepDim: node.Int("keepdims", 1) != 0);
    }

    /// <summary>Y = alpha A' B' + beta C, A' = A or A^T (transA), B' likewise.</summary>
    static Tensor Gemm(OnnxNode node, Tensor a, Tensor b, Tensor? c)
    {
        var y = a.MatMul(b, transA: node.Int("transA", 0) != 0, transB: node.Int("transB", 0) != 0);
        float alpha = node.Float("alpha", 1f), beta = node.Float("beta", 1f);
        if (alpha != 1f) y = y * alpha;
        return c is null ? y : y + (beta == 1f ? c : c * beta);
    }
}
