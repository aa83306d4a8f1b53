using System.Text.Json;

namespace Sentire.Tensors.Tests;

/// <summary>
/// Every op of docs/engine-api.md against PyTorch 1.13 (tests/fixtures/engine/*.safetensors, written by
/// tools/golden/engine_fixtures.py): the forward values, and the gradients of sum(out * gout) with respect
/// to every differentiable input for the stored random upstream gradient gout. Tolerance rtol 1e-4,
/// atol 1e-5 (the references are float64 results rounded to float32).
/// </summary>
public sealed class GoldenOpsTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in new[] { "unary", "binary", "shape", "index", "reduce", "activation", "norm", "loss", "matmul", "conv", "conv2d", "attention" })
            foreach (var c in GoldenFixture.Open(family).Cases)
                data.Add(family, c);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string family, string caseName)
    {
        var fx = GoldenFixture.Open(family);
        var meta = fx.Meta(caseName);
        string op = meta.GetProperty("op").GetString()!;
        string where = $"{family}/{caseName}";

        if (NoGradOps.Contains(op))
        {
            CheckNoGrad(fx, caseName, op, meta, where);
            return;
        }

        var inputs = new List<Tensor>();
        for (int i = 0; fx.Has($"{caseName}.in{i}"); i++)
        {
            var x = fx.Get($"{caseName}.in{i}");
            x.RequiresGrad = true;
            inputs.Add(x);
        }
        var y = Apply(fx, caseName, op, meta, [.. inputs]);
        GoldenAssert.Close(fx.Get($"{caseName}.out"), y, where + " forward");

        y.Backward(fx.Get($"{caseName}.gout"));
        for (int i = 0; i < inputs.Count; i++)
            GoldenAssert.Close(fx.Get($"{caseName}.grad{i}"), inputs[i].Grad, $"{where} gradient of input {i}");
    }

    static readonly HashSet<string> NoGradOps = ["argmax", "topk", "sort", "cumsum", "rotary_tables"];

    static float F(JsonElement m, string name, float fallback) => m.TryGetProperty(name, out var v) ? v.GetSingle() : fallback;
    static int I(JsonElement m, string name) => m.GetProperty(name).GetInt32();
    static bool B(JsonElement m, string name, bool fallback = false) => m.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;
    static (int, int) Pair(JsonElement m, string name) { var v = Ints(m, name); return (v[0], v[1]); }
    static int[] Ints(JsonElement m, string name) => m.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    static Tensor Apply(GoldenFixture fx, string c, string op, JsonElement m, Tensor[] x) => op switch
    {
        "neg" => x[0].Neg(),
        "pow" => x[0].Pow(F(m, "exponent", 0)),
        "exp" => x[0].Exp(),
        "log" => x[0].Log(),
        "sqrt" => x[0].Sqrt(),
        "rsqrt" => x[0].Rsqrt(),
        "abs" => x[0].Abs(),
        "square" => x[0].Square(),
        "clamp" => x[0].Clamp(m.TryGetProperty("min", out var lo) ? lo.GetSingle() : null, m.TryGetProperty("max", out var hi) ? hi.GetSingle() : null),
        "add_scalar" => x[0] + F(m, "value", 0),
        "sub_scalar" => x[0] - F(m, "value", 0),
        "mul_scalar" => x[0] * F(m, "value", 0),
        "div_scalar" => x[0] / F(m, "value", 0),
        "rsub_scalar" => F(m, "value", 0) - x[0],

        "add" => x[0] + x[1],
        "sub" => x[0] - x[1],
        "mul" => x[0] * x[1],
        "div" => x[0] / x[1],

        "reshape" => x[0].Reshape(Ints(m, "shape")),
        "flatten" => x[0].Flatten(I(m, "start"), I(m, "end")),
        "unsqueeze" => x[0].Unsqueeze(I(m, "dim")),
        "squeeze" => x[0].Squeeze(I(m, "dim")),
        "transpose" => x[0].Transpose(I(m, "d0"), I(m, "d1")),
        "permute" => x[0].Permute(Ints(m, "dims")),
        "narrow" => x[0].Narrow(I(m, "dim"), I(m, "start"), I(m, "length")),
        "slice" => x[0].Slice(I(m, "dim"), I(m, "start"), I(m, "end")),
        "concat" => Tensor.Concat(x, I(m, "dim")),
        "stack" => Tensor.Stack(x, I(m, "dim")),
        "expand" => x[0].Expand(Ints(m, "shape")),
        "repeat" => x[0].Repeat(Ints(m, "repeats")),

        "index_select" => x[0].IndexSelect(I(m, "dim"), Ints(m, "indices")),
        "embedding" => Tensor.Embedding(x[0], fx.Ints($"{c}.ids"), Ints(m, "ids_shape")),
        "masked_fill" => x[0].MaskedFill(fx.Get($"{c}.mask"), F(m, "value", 0)),
        "where" => Tensor.Where(fx.Get($"{c}.cond"), x[0], x[1]),
        "pad" => x[0].Pad(Ints(m, "pads"), F(m, "value", 0)),
        "pad_reflect" => x[0].PadReflect(Ints(m, "pads")),

        "sum" => m.TryGetProperty("dims", out _) ? x[0].Sum(Ints(m, "dims"), B(m, "keepdim")) : x[0].Sum(),
        "mean" => m.TryGetProperty("dims", out _) ? x[0].Mean(Ints(m, "dims"), B(m, "keepdim")) : x[0].Mean(),
        "max" => x[0].Max(I(m, "dim"), B(m, "keepdim")),
        "logsumexp" => x[0].LogSumExp(I(m, "dim"), B(m, "keepdim")),
        "var" => x[0].Var(I(m, "dim"), B(m, "unbiased", true), B(m, "keepdim")),

        "relu" => x[0].Relu(),
        "gelu" => x[0].Gelu(),
        "gelu_tanh" => x[0].GeluTanh(),
        "silu" => x[0].Silu(),
        "sigmoid" => x[0].Sigmoid(),
        "tanh" => x[0].Tanh(),
        "softplus" => x[0].Softplus(F(m, "beta", 1), F(m, "threshold", 20)),
        "softmax" => x[0].Softmax(I(m, "dim")),
        "log_softmax" => x[0].LogSoftmax(I(m, "dim")),

        "layer_norm" => x[0].LayerNorm(Ints(m, "normalized_shape"), x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null, F(m, "eps", 1e-5f)),
        "rms_norm" => x[0].RmsNorm(x.Length > 1 ? x[1] : null, F(m, "eps", 1e-6f)),
        "group_norm" => x[0].GroupNorm(I(m, "groups"), x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null, F(m, "eps", 1e-5f)),

        "cross_entropy" => Loss.CrossEntropy(x[0], fx.Ints($"{c}.targets"),
            m.TryGetProperty("ignore_index", out var ii) ? ii.GetInt32() : -100, F(m, "label_smoothing", 0)),
        "kl_div" => Loss.KlDiv(x[0], fx.Get($"{c}.target"), m.GetProperty("reduction").GetString()!),
        "mse" => Loss.Mse(x[0], x[1]),
        "cosine_similarity" => Tensor.CosineSimilarity(x[0], x[1], I(m, "dim"), F(m, "eps", 1e-8f)),
        "normalize" => x[0].Normalize(F(m, "p", 2), I(m, "dim"), F(m, "eps", 1e-12f)),

        "matmul" => x[0].MatMul(x[1], B(m, "transA"), B(m, "transB")),
        "linear" => x[0].Linear(x[1], x.Length > 2 ? x[2] : null),
        "conv1d" => x[0].Conv1d(x[1], x.Length > 2 ? x[2] : null, I(m, "stride"), I(m, "padding"), I(m, "dilation"), I(m, "groups")),
        "conv2d" => x[0].Conv2d(x[1], x.Length > 2 ? x[2] : null, Pair(m, "stride"), Pair(m, "padding"), Pair(m, "dilation"), I(m, "groups")),
        "batch_norm" => x[0].BatchNorm(fx.Get($"{c}.running_mean"), fx.Get($"{c}.running_var"), x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null,
            B(m, "training"), F(m, "momentum", 0.1f), F(m, "eps", 1e-5f)),
        "hardswish" => x[0].HardSwish(),
        "hardsigmoid" => x[0].HardSigmoid(),
        "global_avg_pool" => x[0].Mean([2, 3], keepDim: true),
        "squeeze_excitation" => x[0] * x[0].Mean([2, 3]).Linear(x[1], x[2]).Relu().Linear(x[3], x[4]).Sigmoid().Unsqueeze(-1).Unsqueeze(-1),
        "sdpa" => Attention.ScaledDotProduct(x[0], x[1], x[2],
            fx.Has($"{c}.mask") ? fx.Get($"{c}.mask") : null, B(m, "causal"),
            m.TryGetProperty("scale", out var s) ? s.GetSingle() : null, isAdditive: B(m, "additive")),
        "rotary" => x[0].ApplyRotary(fx.Get($"{c}.cos"), fx.Get($"{c}.sin")),
        _ => throw new NotSupportedException($"no C# mapping for fixture op '{op}'"),
    };

    static void CheckNoGrad(GoldenFixture fx, string c, string op, JsonElement m, string where)
    {
        switch (op)
        {
            case "argmax":
                GoldenAssert.Equal(fx.Ints($"{c}.idx"), fx.Get($"{c}.in0").ArgMax(I(m, "dim")), where);
                break;
            case "topk":
            {
                var (values, indices) = fx.Get($"{c}.in0").TopK(I(m, "k"), I(m, "dim"));
                GoldenAssert.Close(fx.Get($"{c}.out"), values, where + " values");
                GoldenAssert.Equal(fx.Ints($"{c}.idx"), indices, where + " indices");
                break;
            }
            case "sort":
            {
                var (values, indices) = fx.Get($"{c}.in0").Sort(I(m, "dim"), B(m, "descending"));
                GoldenAssert.Close(fx.Get($"{c}.out"), values, where + " values");
                GoldenAssert.Equal(fx.Ints($"{c}.idx"), indices, where + " indices");
                break;
            }
            case "cumsum":
                GoldenAssert.Close(fx.Get($"{c}.out"), fx.Get($"{c}.in0").CumSum(I(m, "dim")), where);
                break;
            case "rotary_tables":
            {
                var (cos, sin) = Rotary.Tables(I(m, "dim"), I(m, "max_pos"), F(m, "theta", 10000));
                GoldenAssert.Close(fx.Get($"{c}.cos"), cos, where + " cos");
                GoldenAssert.Close(fx.Get($"{c}.sin"), sin, where + " sin");
                break;
            }
        }
    }
}
