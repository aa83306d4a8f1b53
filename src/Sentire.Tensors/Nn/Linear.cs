namespace Sentire.Tensors.Nn;

/// <summary>
/// nn.Linear: y = x W^T + b over the last dimension, (*, in) -> (*, out). Keys "weight" (out, in), "bias" (out).
/// Initialised as torch does (<see cref="Init.LinearDefault"/>) when a generator is given; with null the tensors
/// stay zero, for a module that is about to receive loaded weights.
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, Generator? rng, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear needs positive sizes, got in {inFeatures}, out {outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
        if (rng is not null) Init.LinearDefault(Weight, Bias, rng);
    }

    public override Tensor Forward(Tensor input) => input.Linear(Weight, Bias);
}
