using System.Numerics;

namespace Sentire.Tensors.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019) in torch.optim.AdamW's exact
/// order, with scalars in double as torch computes them in Python and elementwise work in float32:
///   p   <- p * (1 - lr * wd)                                    (decay decoupled from the gradient)
///   m   <- beta1 * m + (1 - beta1) * g
///   v   <- beta2 * v + (1 - beta2) * g * g
///   p   <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// eps is added after the bias correction of sqrt(v), as torch does (not inside the square root). The m and v updates
/// are fused multiply-adds, as torch's CPU kernels compute add_(alpha) and (for tensors handled by its scalar loop)
/// addcmul_, so results match torch's CPU AdamW bit for bit on the fixture.
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
        var rule = new Rule(
            Decay: (float)(1 - lr * group.WeightDecay),
            Beta1: (float)Beta1, OneMinusBeta1: (float)(1 - Beta1),
            Beta2: (float)Beta2, OneMinusBeta2: (float)(1 - Beta2),
            NegStepSize: (float)-(lr / (1 - Math.Pow(Beta1, state.Step))),
            BiasCorrection2Sqrt: (float)Math.Sqrt(1 - Math.Pow(Beta2, state.Step)),
            Eps: (float)Eps);
        ElementwiseUpdate.Run(rule, p, g, state.Buffers[0], state.Buffers[1]);
    }

    /// <summary>The update of one vector of lanes; m = exp_avg, v = exp_avg_sq.</summary>
    readonly record struct Rule(float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float NegStepSize, float BiasCorrection2Sqrt, float Eps) : IElementwiseUpdate
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> m, ref Vector<float> v)
        {
            m = Vector.FusedMultiplyAdd(g, new Vector<float>(OneMinusBeta1), m * Beta1);   // torch: mul_ then add_(alpha) = fmadd
            v = Vector.FusedMultiplyAdd(g * OneMinusBeta2, g, v * Beta2);                 // addcmul_, contracted as torch's build does
            var denom = Vector.SquareRoot(v) / BiasCorrection2Sqrt + new Vector<float>(Eps);
            p = p * Decay + NegStepSize * m / denom;
        }
    }
}
