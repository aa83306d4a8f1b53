namespace Sentire.Tensors.Nn;

/// <summary>nn.LayerNorm over the trailing <c>normalizedShape</c> dims (Ba et al. 2016); keys "weight" (ones) and
/// "bias" (zeros) when affine. <paramref name="bias"/> false gives the bias-free form some models use.</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    readonly int[] normalizedShape;
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm needs a non-empty positive shape, got [{string.Join(", ", normalizedShape)}]");
        this.normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (!elementwiseAffine) return;
        Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape));
    }

    /// <summary>Normalises over the last dimension of size <paramref name="dim"/>.</summary>
    public LayerNorm(int dim, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
        : this([dim], eps, elementwiseAffine, bias) { }

    public IReadOnlyList<int> NormalizedShape => normalizedShape;

    public override Tensor Forward(Tensor input) => input.LayerNorm(normalizedShape, Weight, Bias, Eps);
}
