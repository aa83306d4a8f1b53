using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

/// <summary>Conv1d against a direct double-precision cross-correlation loop, and finite-difference gradients.</summary>
public sealed class ConvTests
{
    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1)]
    [InlineData(3, 2, 2, 1)]
    [InlineData(1, 3, 1, 2)]
    [InlineData(2, 4, 3, 4)]   // depthwise: groups = Cin
    public void ForwardMatchesDirectLoop(int stride, int padding, int dilation, int groups)
    {
        var x = Rand(1, 2, 4, 19); var w = Rand(2, 8, 4 / groups, 3); var b = Rand(3, 8);
        AssertClose(Reference(x, w, b, stride, padding, dilation, groups), x.Conv1d(w, b, stride, padding, dilation, groups));
    }

    [Fact]
    public void Wav2Vec2FirstLayerShapeAndValues()
    {
        // Cin 1 -> Cout 16 (512 in the model), K 10, stride 5: 400 samples give (400 - 10) / 5 + 1 = 79 frames.
        var x = Rand(4, 1, 1, 400); var w = Rand(5, 16, 1, 10);
        var y = x.Conv1d(w, null, stride: 5);
        Assert.Equal([1, 16, 79], y.ShapeArray());
        AssertClose(Reference(x, w, null, 5, 0, 1, 1), y);
    }

    [Fact]
    public void PointwiseAndUnbatched()
    {
        var x = Rand(6, 2, 6, 7); var w = Rand(7, 4, 3, 1);
        AssertClose(Reference(x, w, null, 1, 0, 1, 2), x.Conv1d(w, groups: 2));
        var xu = Rand(8, 4, 9); var wu = Rand(9, 3, 4, 2);
        var yu = xu.Conv1d(wu, padding: 1);
        Assert.Equal([3, 10], yu.ShapeArray());
        AssertClose(Reference(new Tensor(xu.Data.ToArray(), 1, 4, 9), wu, null, 1, 1, 1, 1), yu);
    }

    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 2, 1, 2)]
    [InlineData(3, 1, 2, 1)]
    [InlineData(1, 2, 2, 4)]
    public void Gradients(int stride, int padding, int dilation, int groups)
    {
        GradCheck.Assert(t => t[0].Conv1d(t[1], t[2], stride, padding, dilation, groups), [Rand(11, 2, 4, 11), Rand(12, 4, 4 / groups, 3), Rand(13, 4)]);
    }

    [Fact]
    public void PointwiseGradients()
    {
        GradCheck.Assert(t => t[0].Conv1d(t[1], t[2]), [Rand(14, 2, 3, 5), Rand(15, 4, 3, 1), Rand(16, 4)]);
    }

    [Fact]
    public void WrongWeightChannelsAreReported()
    {
        var ex = Assert.Throws<ArgumentException>(() => Rand(1, 1, 4, 10).Conv1d(Rand(2, 4, 3, 3), groups: 2));
        Assert.Contains("Cin/groups = 2", ex.Message);
    }

    static double[] Reference(Tensor x, Tensor w, Tensor? b, int stride, int padding, int dilation, int groups)
    {
        int n = x.Dim(0), cin = x.Dim(1), length = x.Dim(2), cout = w.Dim(0), cinG = w.Dim(1), k = w.Dim(2);
        int lout = (length + 2 * padding - dilation * (k - 1) - 1) / stride + 1, coutG = cout / groups;
        var y = new double[n * cout * lout];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < cout; o++)
                for (int t = 0; t < lout; t++)
                {
                    double s = b?.Data[o] ?? 0;
                    int g = o / coutG;
                    for (int c = 0; c < cinG; c++)
                        for (int j = 0; j < k; j++)
                        {
                            int pos = t * stride - padding + j * dilation;
                            if (pos >= 0 && pos < length) s += (double)w.Data[(o * cinG + c) * k + j] * x.Data[(i * cin + g * cinG + c) * length + pos];
                        }
                    y[(i * cout + o) * lout + t] = s;
                }
        return y;
    }
}
