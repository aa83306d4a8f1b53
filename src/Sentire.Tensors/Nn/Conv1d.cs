namespace Sentire.Tensors.Nn;

/// <summary>nn.Conv1d on (N, C_in, L): keys "weight" (C_out, C_in/groups, K) and "bias" (C_out), initialised as
/// torch does (<see cref="Init.LinearDefault"/>: U(+-1/sqrt(C_in/groups * K))) when a generator is given.</summary>
public sealed class Conv1d(int inChannels, int outChannels, int kernelSize, Generator? rng, int stride = 1, int padding = 0,
    int dilation = 1, int groups = 1, bool bias = true)
    : ConvNd(nameof(Conv1d), 1, inChannels, outChannels, kernelSize, rng, stride, padding, dilation, groups, bias)
{
    public override Tensor Forward(Tensor input) => input.Conv1d(Weight, Bias, Stride, Padding, Dilation, Groups);
}
