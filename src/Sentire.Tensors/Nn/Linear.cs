namespace Sentire.Tensors.Nn;

/// <summary>
/// nn.Linear: y = x W^T + b over the last dimension, (*, in) -> (*, out). Keys "weight" (out, in), "bias" (out).
/// Initialised as torch does (<see cref="Init.LinearDefault"/>) when a generator is given; with null the tensors
/// stay zero, for a module that is about to receive loaded weights. For inference on a 16-bit checkpoint the weight
/// can instead be a <see cref="Nn.HalfWeight"/> (F16 or BF16, half the memory; the bias stays float32): it is loaded,
/// never initialised or trained, and the input still receives its gradient.
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    readonly Tensor? weight;

    public int InFeatures { get; }
    public int OutFeatures { get; }
    /// <summary>The float32 weight (out, in); an error for a linear whose weight is a <see cref="HalfWeight"/>.</summary>
    public Tensor Weight => weight ?? throw new InvalidOperationException($"this Linear keeps its [{OutFeatures}, {InFeatures}] weight in {HalfWeight!.Format} (HalfWeight), not as a float32 tensor");
    /// <summary>The 16-bit weight (out, in), or null for a float32 linear.</summary>
    public HalfWeight? HalfWeight { get; }
    public Tensor? Bias { get; }

    /// <param name="halfWeight">keep the weight in this 16-bit format (inference only; <paramref name="rng"/> must be null)</param>
    public Linear(int inFeatures, int outFeatures, Generator? rng, bool bias = true, HalfFormat? halfWeight = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear needs positive sizes, got in {inFeatures}, out {outFeatures}");
        if (halfWeight is not null && rng is not null)
            throw new ArgumentException("a half-precision Linear is for inference: its weight is loaded from a checkpoint, not initialised", nameof(rng));
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        if (halfWeight is { } format) HalfWeight = RegisterHalfWeight("weight", new HalfWeight(outFeatures, inFeatures, format));
        else weight = RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
        if (rng is not null) Init.LinearDefault(weight!, Bias, rng);
    }

    public override Tensor Forward(Tensor input) => HalfWeight is not null ? input.Linear(HalfWeight.Value, Bias) : input.Linear(weight!, Bias);
}
