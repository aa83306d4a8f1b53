namespace Sentire.Tensors.Nn;

/// <summary>nn.GroupNorm on (N, C, *) (Wu and He 2018): statistics per sample over each of <c>groups</c> channel
/// groups; keys "weight" (ones, C) and "bias" (zeros, C) when affine.</summary>
public sealed class GroupNorm : Module<Tensor, Tensor>
{
    public int Groups { get; }
    public int Channels { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public GroupNorm(int groups, int channels, float eps = 1e-5f, bool affine = true)
    {
        if (groups <= 0 || channels <= 0 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm needs channels divisible by groups, got channels {channels}, groups {groups}");
        Groups = groups;
        Channels = channels;
        Eps = eps;
        if (!affine) return;
        Weight = RegisterParameter("weight", Tensor.Ones(channels));
        Bias = RegisterParameter("bias", Tensor.Zeros(channels));
    }

    public override Tensor Forward(Tensor input) => input.GroupNorm(Groups, Weight, Bias, Eps);
}
