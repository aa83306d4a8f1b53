namespace Sentire.Tensors.Nn;

/// <summary>nn.Conv2d on (N, C_in, H, W) with a square kernel: keys "weight" (C_out, C_in/groups, K, K) and "bias" (C_out),
/// initialised as torch does (<see cref="Init.LinearDefault"/>: U(+-1/sqrt(C_in/groups * K * K))) when a generator is given.
/// Groups = C_in = C_out is a depthwise convolution.</summary>
public sealed class Conv2d : Module<Tensor, Tensor>
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

    public Conv2d(int inChannels, int outChannels, int kernelSize, Generator? rng, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || dilation <= 0 || padding < 0 || groups <= 0)
            throw new ArgumentException($"Conv2d sizes must be positive (padding >= 0), got in {inChannels}, out {outChannels}, kernel {kernelSize}, stride {stride}, padding {padding}, dilation {dilation}, groups {groups}");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d channels must be divisible by groups, got in {inChannels}, out {outChannels}, groups {groups}");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        Weight = RegisterParameter("weight", Tensor.Zeros(outChannels, inChannels / groups, kernelSize, kernelSize));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(outChannels));
        if (rng is not null) Init.LinearDefault(Weight, Bias, rng);
    }

    public override Tensor Forward(Tensor input) => input.Conv2d(Weight, Bias, Stride, Padding, Dilation, Groups);
}
