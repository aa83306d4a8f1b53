namespace Sentire.Tensors.Nn;

/// <summary>What nn.Conv1d and nn.Conv2d share (torch's _ConvNd): the sizes, checked once, and the parameters "weight"
/// (C_out, C_in/groups, K, ...: one K per spatial dimension) and "bias" (C_out), initialised as torch does
/// (<see cref="Init.LinearDefault"/>: U(+-1/sqrt(C_in/groups * K^dims))) when a generator is given.</summary>
public abstract class ConvNd : Module<Tensor, Tensor>
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    private protected ConvNd(string name, int spatialDims, int inChannels, int outChannels, int kernelSize, Generator? rng, int stride, int padding,
        int dilation, int groups, bool bias)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || dilation <= 0 || padding < 0 || groups <= 0)
            throw new ArgumentException($"{name} sizes must be positive (padding >= 0), got in {inChannels}, out {outChannels}, kernel {kernelSize}, stride {stride}, padding {padding}, dilation {dilation}, groups {groups}");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name} channels must be divisible by groups, got in {inChannels}, out {outChannels}, groups {groups}");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        Weight = RegisterParameter("weight", Tensor.Zeros([outChannels, inChannels / groups, .. Enumerable.Repeat(kernelSize, spatialDims)]));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(outChannels));
        if (rng is not null) Init.LinearDefault(Weight, Bias, rng);
    }
}
