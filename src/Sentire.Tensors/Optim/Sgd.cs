using System.Numerics;
using System.Runtime.InteropServices;

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
        float negLr = (float)-group.LearningRate, wd = (float)group.WeightDecay;
        float momentum = (float)Momentum, oneMinusDampening = (float)(1 - Dampening);
        bool hasMomentum = Momentum != 0, first = state.Step == 1, nesterov = Nesterov;
        Span<float> buffer = hasMomentum ? state.Buffers[0] : p;   // unused without momentum

        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<float>.Count)
        {
            int vectors = p.Length / Vector<float>.Count;
            var pv = MemoryMarshal.Cast<float, Vector<float>>(p)[..vectors];
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g)[..vectors];
            var bv = MemoryMarshal.Cast<float, Vector<float>>(buffer)[..vectors];
            for (int k = 0; k < vectors; k++)
            {
                var d = wd != 0 ? gv[k] + wd * pv[k] : gv[k];
                if (hasMomentum)
                {
                    var b = first ? d : bv[k] * momentum + oneMinusDampening * d;
                    bv[k] = b;
                    d = nesterov ? d + momentum * b : b;
                }
                pv[k] += negLr * d;
            }
            i = vectors * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            float d = wd != 0 ? g[i] + wd * p[i] : g[i];
            if (hasMomentum)
            {
                float b = first ? d : buffer[i] * momentum + oneMinusDampening * d;
                buffer[i] = b;
                d = nesterov ? d + momentum * b : b;
            }
            p[i] += negLr * d;
        }
    }
}
