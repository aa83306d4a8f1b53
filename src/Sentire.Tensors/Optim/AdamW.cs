using System.Numerics;
using System.Runtime.InteropServices;

namespace Sentire.Tensors.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019) in torch.optim.AdamW's exact
/// order, with scalars in double as torch computes them in Python and elementwise work in float32:
///   p   <- p * (1 - lr * wd)                                    (decay decoupled from the gradient)
///   m   <- beta1 * m + (1 - beta1) * g
///   v   <- beta2 * v + (1 - beta2) * g * g
///   p   <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// eps is added after the bias correction of sqrt(v), as torch does (not inside the square root).
/// </summary>
public sealed class AdamW : Optimizer
{
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    public AdamW(IEnumerable<ParamGroup> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2)
        : base(groups, learningRate, weightDecay, ["exp_avg", "exp_avg_sq"])
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1), got {beta1}");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1), got {beta2}");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"eps must be >= 0, got {eps}");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>One group holding every named parameter.</summary>
    public AdamW(IEnumerable<KeyValuePair<string, Tensor>> namedParameters, double learningRate = 1e-3, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        : this([new ParamGroup(namedParameters)], learningRate, beta1, beta2, eps, weightDecay) { }

    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> g, ParameterState state)
    {
        double lr = group.LearningRate;
        float decay = (float)(1 - lr * group.WeightDecay);
        float b1 = (float)Beta1, oneMinusB1 = (float)(1 - Beta1);
        float b2 = (float)Beta2, oneMinusB2 = (float)(1 - Beta2);
        float negStepSize = (float)-(lr / (1 - Math.Pow(Beta1, state.Step)));
        float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, state.Step));
        float eps = (float)Eps;
        Span<float> m = state.Buffers[0], v = state.Buffers[1];

        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<float>.Count)
        {
            int vectors = p.Length / Vector<float>.Count;
            var pv = MemoryMarshal.Cast<float, Vector<float>>(p)[..vectors];
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g)[..vectors];
            var mv = MemoryMarshal.Cast<float, Vector<float>>(m)[..vectors];
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v)[..vectors];
            for (int k = 0; k < vectors; k++)
            {
                var gk = gv[k];
                var mk = mv[k] * b1 + gk * oneMinusB1;
                var vk = vv[k] * b2 + gk * oneMinusB2 * gk;
                mv[k] = mk;
                vv[k] = vk;
                var denom = Vector.SquareRoot(vk) / bc2Sqrt + new Vector<float>(eps);
                pv[k] = pv[k] * decay + negStepSize * mk / denom;
            }
            i = vectors * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float mi = m[i] * b1 + gi * oneMinusB1;
            float vi = v[i] * b2 + gi * oneMinusB2 * gi;
            m[i] = mi;
            v[i] = vi;
            float denom = MathF.Sqrt(vi) / bc2Sqrt + eps;
            p[i] = p[i] * decay + negStepSize * mi / denom;
        }
    }
}
