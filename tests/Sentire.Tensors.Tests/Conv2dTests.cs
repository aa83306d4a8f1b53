using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

/// <summary>Conv2d (GEMM and depthwise paths) against a direct double-precision loop, finite-difference gradients, and
/// batch norm's running statistics; the PyTorch comparisons are in GoldenOpsTests (family conv2d).</summary>
public sealed class Conv2dTests
{
    [Theory]
    [InlineData(1, 0, 1, 1, 2)]
    [InlineData(2, 1, 1, 1, 2)]
    [InlineData(2, 2, 2, 1, 2)]
    [InlineData(1, 1, 1, 2, 4)]
    [InlineData(1, 1, 1, 4, 4)]   // depthwise: the direct kernel
    [InlineData(2, 2, 1, 4, 4)]   // depthwise, stride 2
    [InlineData(1, 2, 2, 4, 4)]   // depthwise, dilated
    [InlineData(2, 1, 1, 2, 8)]   // two outputs per group: GEMM path
    public void ForwardMatchesDirectLoop(int stride, int padding, int dilation, int groups, int cout)
    {
        var x = Rand(1, 2, 4, 9, 11); var w = Rand(2, cout, 4 / groups, 3, 3); var b = Rand(3, cout);
        AssertClose(Reference(x, w, b, stride, padding, dilation, groups), x.Conv2d(w, b, stride, padding, dilation, groups));
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 1, 1, 2)]
    [InlineData(1, 1, 1, 4)]
    [InlineData(2, 2, 1, 4)]
    [InlineData(1, 2, 2, 4)]
    public void Gradients(int stride, int padding, int dilation, int groups)
    {
        GradCheck.Assert(t => t[0].Conv2d(t[1], t[2], stride, padding, dilation, groups), [Rand(11, 2, 4, 6, 7), Rand(12, 4, 4 / groups, 3, 3), Rand(13, 4)]);
    }

    /// <summary>A 5 x 5 kernel with padding 2 over planes 1 or 2 wide (the last blocks of a MobileNet on short audio): the
    /// taps that read only padding contribute nothing, on the GEMM and the depthwise path, forward and backward.</summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 4, 1)]
    [InlineData(2, 1, 2)]
    [InlineData(2, 4, 1)]
    [InlineData(1, 4, 2)]
    public void KernelWiderThanTheInput(int width, int groups, int stride)
    {
        var x = Rand(21, 2, 4, 3, width); var w = Rand(22, 4, 4 / groups, 5, 5); var b = Rand(23, 4);
        AssertClose(Reference(x, w, b, stride, 2, 1, groups), x.Conv2d(w, b, stride, 2, 1, groups));
        GradCheck.Assert(t => t[0].Conv2d(t[1], t[2], stride, 2, 1, groups), [x, w, b]);
    }

    [Fact]
    public void UnbatchedPointwiseMatchesBatched()
    {
        var x = Rand(4, 3, 5, 6); var w = Rand(5, 2, 3, 1, 1);
        var y = x.Conv2d(w);
        Assert.Equal([2, 5, 6], y.ShapeArray());
        AssertClose(Reference(new Tensor(x.Data.ToArray(), 1, 3, 5, 6), w, null, 1, 0, 1, 1), y);
    }

    [Fact]
    public void WrongWeightChannelsAreReported()
    {
        var ex = Assert.Throws<ArgumentException>(() => Rand(1, 1, 4, 5, 5).Conv2d(Rand(2, 4, 3, 3, 3), groups: 2));
        Assert.Contains("Cin/groups = 2", ex.Message);
    }

    [Fact]
    public void BatchNormTrainingUpdatesRunningStatistics()
    {
        // channel c of a (2, 2, 3) input holds six values; mean and unbiased variance by hand
        var x = new Tensor([1, 2, 3, 10, 10, 10, 4, 5, 6, -2, 0, 2], 2, 2, 3);
        var rm = Tensor.Zeros(2); var rv = Tensor.Ones(2);
        var y = x.BatchNorm(rm, rv, null, null, training: true, momentum: 0.5f, eps: 0f);
        // channel 0: {1,2,3,4,5,6} mean 3.5, biased var 35/12, unbiased 3.5; channel 1: {10,10,10,-2,0,2} mean 5, unbiased var 161.6/... computed below
        double[] c1 = [10, 10, 10, -2, 0, 2];
        double m1 = c1.Average(), v1 = c1.Sum(v => (v - m1) * (v - m1)) / 5;
        Assert.Equal(0.5 * 3.5, rm.Data[0], 5);
        Assert.Equal(0.5 * 1 + 0.5 * 3.5, rv.Data[1 - 1], 5);
        Assert.Equal(0.5 * m1, rm.Data[1], 5);
        Assert.Equal(0.5 + 0.5 * v1, rv.Data[1], 4);
        Assert.Equal((1 - 3.5) / Math.Sqrt(35.0 / 12), y.Data[0], 4);
    }

    [Fact]
    public void BatchNormModuleUsesRunningStatisticsInEval()
    {
        var bn = new Nn.BatchNorm2d(2, eps: 0f);
        bn.RunningMean.Data[1] = 2; bn.RunningVar.Data[1] = 4; bn.Weight.Data[1] = 3; bn.Bias.Data[1] = 1;
        bn.Eval();
        var y = bn.Forward(new Tensor([5, 5, 6, 8], 1, 2, 1, 2));
        Assert.Equal([5f, 5f, 7f, 10f], y.Data.ToArray());       // channel 1: (x - 2) / 2 * 3 + 1
        Assert.Equal(0f, bn.NumBatchesTracked.Item());
    }

    [Fact]
    public void BatchNormGradients()
    {
        var rm = Rand(30, 3); var rv = Tensor.Full(1.5f, 3);
        GradCheck.Assert(t => t[0].BatchNorm(rm, rv, t[1], t[2], training: false, eps: 1e-3f), [Rand(31, 2, 3, 2, 2), Rand(32, 3), Rand(33, 3)]);
        GradCheck.Assert(t => t[0].BatchNorm(Tensor.Zeros(3), Tensor.Ones(3), t[1], t[2], training: true), [Rand(34, 2, 3, 2, 2), Rand(35, 3), Rand(36, 3)]);
    }

    static double[] Reference(Tensor x, Tensor w, Tensor? b, int stride, int padding, int dilation, int groups)
    {
        int n = x.Dim(0), cin = x.Dim(1), h = x.Dim(2), wd = x.Dim(3), cout = w.Dim(0), cinG = w.Dim(1), kh = w.Dim(2), kw = w.Dim(3);
        int hout = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1, wout = (wd + 2 * padding - dilation * (kw - 1) - 1) / stride + 1;
        int coutG = cout / groups;
        var y = new double[n * cout * hout * wout];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < cout; o++)
                for (int p = 0; p < hout; p++)
                    for (int q = 0; q < wout; q++)
                    {
                        double s = b?.Data[o] ?? 0;
                        int g = o / coutG;
                        for (int c = 0; c < cinG; c++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++)
                                {
                                    int r = p * stride - padding + u * dilation, t = q * stride - padding + v * dilation;
                                    if (r >= 0 && r < h && t >= 0 && t < wd)
                                        s += (double)w.Data[((o * cinG + c) * kh + u) * kw + v] * x.Data[((i * cin + g * cinG + c) * h + r) * wd + t];
                                }
                        y[((i * cout + o) * hout + p) * wout + q] = s;
                    }
        return y;
    }
}
