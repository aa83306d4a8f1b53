namespace Sentire.Tensors.Nn;

/// <summary>nn.Conv2d on (N, C_in, H, W) with a square kernel: keys "weight" (C_out, C_in/groups, K, K) and "bias" (C_out),
/// initialised as torch does (<see cref="Init.LinearDefault"/>: U(+-1/sqrt(C_in/groups * K * K))) when a generator is given.
/// Groups = C_in = C_out is a depthwise convolution.</summary>
public sealed class Conv2d(int inChannels, int outChannels, int kernelSize, Generator? rng, int stride = 1, int padding = 0,
    int dilation = 1, int groups = 1, bool bias = true)
    : ConvNd(nameof(Conv2d), 2, inChannels, outChannels, kernelSize, rng, stride, padding, dilation, groups, bias)
{
    public override Tensor Forward(Tensor input) => input.Conv2d(Weight, Bias, Stride, Padding, Dilation, Groups);
}
