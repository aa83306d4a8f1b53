using System.Numerics;

namespace Sentire.Tensors.Optim;

/// <summary>
/// Stochastic gradient descent with momentum in torch.optim.SGD's formulation (Sutskever et al. 2013 for Nesterov):
///   d <- g + wd * p
///   b <- d on the first step, else momentum * b + (1 - dampening) * d
///   d <- d + momentum * b (Nesterov) or b
///   p <- p - lr * d
/// Weight decay here is L2 (added to the gradient), as in torch.
/// </summary>
public sealed class Sgd : Optimizer
{
    public double Momentum { get; }
    public double Dampening { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<ParamGroup> groups, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(groups, learningRate, weightDecay, momentum != 0 ? ["momentum_buffer"] : [])
    {
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), $"momentum must be >= 0, got {momentum}");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening 0, got momentum {momentum}, dampening {dampening}");
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>One group holding every named parameter.</summary>
    public Sgd(IEnumerable<KeyValuePair<string, Tensor>> namedParameters, double learningRate, double momentum = 0,
        double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this([new ParamGroup(namedParameters)], learningRate, momentum, dampening, weightDecay, nesterov) { }

    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> g, ParameterState state)
    {
        var rule = new Rule(
            NegLearningRate: (float)-group.LearningRate, WeightDecay: (float)group.WeightDecay,
            Momentum: (float)Momentum, OneMinusDampening: (float)(1 - Dampening),
            HasMomentum: Momentum != 0, FirstStep: state.Step == 1, Nesterov: Nesterov);
        ElementwiseUpdate.Run(rule, p, g, Momentum != 0 ? state.Buffers[0] : default, default);
    }

    /// <summary>The update of one vector of lanes; b = momentum_buffer.</summary>
    readonly record struct Rule(float NegLearningRate, float WeightDecay, float Momentum, float OneMinusDampening,
        bool HasMomentum, bool FirstStep, bool Nesterov) : IElementwiseUpdate
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> b, ref Vector<float> unused)
        {
            // torch's add(x, alpha) is a fused multiply-add on its vector path; so is every step here.
            var d = WeightDecay != 0 ? Vector.FusedMultiplyAdd(p, new Vector<float>(WeightDecay), g) : g;
            if (HasMomentum)
            {
                b = FirstStep ? d : Vector.FusedMultiplyAdd(d, new Vector<float>(OneMinusDampening), b * Momentum);
                d = Nesterov ? Vector.FusedMultiplyAdd(b, new Vector<float>(Momentum), d) : b;
            }
            p = Vector.FusedMultiplyAdd(d, new Vector<float>(NegLearningRate), p);
        }
    }
}
