namespace Sentire.Tensors.Nn;

/// <summary>RMS normalisation over the last dim (Zhang and Sennrich 2019), as Hugging Face's LlamaRMSNorm:
/// y = x / sqrt(mean(x^2) + eps) * weight; key "weight" (ones).</summary>
public sealed class RmsNorm : Module<Tensor, Tensor>
{
    public float Eps { get; }
    public Tensor Weight { get; }

    public RmsNorm(int dim, float eps = 1e-6f)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), $"RmsNorm needs a positive size, got {dim}");
        Eps = eps;
        Weight = RegisterParameter("weight", Tensor.Ones(dim));
    }

    public override Tensor Forward(Tensor input) => input.RmsNorm(Weight, Eps);
}
