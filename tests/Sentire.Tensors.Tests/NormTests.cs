using Sentire.Tensors;
using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

public sealed class NormTests
{
    [Fact]
    public void LayerNormUsesBiasedVariance()
    {
        // [1,2,3,4]: mean 2.5, biased variance 1.25; xhat = (x - 2.5) / sqrt(1.25 + 1e-5)
        float r = 1f / MathF.Sqrt(1.25f + 1e-5f);
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 5, 5, 5], 2, 4);
        Close([-1.5f * r, -0.5f * r, 0.5f * r, 1.5f * r, 0, 0, 0, 0], x.LayerNorm([4]));
        var w = Tensor.FromArray([1, 2, 3, 4], 4);
        var b = Tensor.FromArray([0, 1, 0, -1], 4);
        Close([-1.5f * r, -1f * r + 1, 1.5f * r, 6f * r - 1, 0, 1, 0, -1], x.LayerNorm(1, w, b));
        // over both dims: mean 3.75 of all eight values
        var both = x.LayerNorm([2, 4]);
        Assert.Equal(0f, both.Data.ToArray().Sum(), 4);
        Assert.Throws<ArgumentException>(() => x.LayerNorm([3]));
    }

    [Fact]
    public void RmsNormMatchesLlamaFormula()
    {
        // mean(x^2) of [1,2,3,4] = 7.5
        float r = 1f / MathF.Sqrt(7.5f + 1e-6f);
        var w = Tensor.FromArray([1, 1, 2, 0.5f], 4);
        Close([r, 2 * r, 6 * r, 2 * r], Tensor.FromArray([1, 2, 3, 4], 1, 4).RmsNorm(w, 1e-6f));
        Close([r, 2 * r, 3 * r, 4 * r], Tensor.FromArray([1, 2, 3, 4], 4).RmsNorm(null, 1e-6f));
    }

    [Fact]
    public void GroupNormNormalisesEachGroupOfChannels()
    {
        // (N=1, C=4, T=2), 2 groups: group 0 = [1,2,3,4] (mean 2.5, var 1.25), group 1 = [10,10,10,14] (mean 11, var 3)
        var x = Tensor.FromArray([1, 2, 3, 4, 10, 10, 10, 14], 1, 4, 2);
        float r0 = 1f / MathF.Sqrt(1.25f + 1e-5f), r1 = 1f / MathF.Sqrt(3f + 1e-5f);
        Close([-1.5f * r0, -0.5f * r0, 0.5f * r0, 1.5f * r0, -r1, -r1, -r1, 3 * r1], x.GroupNorm(2));
        var w = Tensor.FromArray([1, 2, 1, 2], 4);
        var b = Tensor.FromArray([0, 0, 5, 5], 4);
        Close([-1.5f * r0, -0.5f * r0, r0, 3f * r0, 5 - r1, 5 - r1, 5 - 2 * r1, 5 + 6 * r1], x.GroupNorm(2, w, b));
        Assert.Throws<ArgumentException>(() => x.GroupNorm(3));
    }

    [Fact]
    public void NormalizeAndCosineSimilarity()
    {
        Close([0.6f, 0.8f, 0, 0], Tensor.FromArray([3, 4, 0, 0], 2, 2).Normalize());
        Close([0.25f, -0.75f], Tensor.FromArray([1, -3], 2).Normalize(p: 1, dim: 0));
        // columns: [3,4] -> [0.6,0.8]
        Close([0.6f, 1, 0.8f, 0], Tensor.FromArray([3, 2, 4, 0], 2, 2).Normalize(dim: 0));
        var a = Tensor.FromArray([1, 0, 3, 4], 2, 2);
        var b = Tensor.FromArray([1, 1, 1, 0], 2, 2);
        Close([0.70710678f, 0.6f], Tensor.CosineSimilarity(a, b));
        Close([0.89442719f, 0], Tensor.CosineSimilarity(a, b, dim: 0));   // columns [1,3].[1,1] / (sqrt 10 sqrt 2), [0,4].[1,0] = 0
        // each norm clamped separately (PyTorch 1.13): 1e-6 / (max(1e-3, 1e-2) * max(1e-3, 1e-2)) = 0.01
        var tiny = Tensor.FromArray([1e-3f, 0], 1, 2);
        Close([0.01f], Tensor.CosineSimilarity(tiny, tiny, eps: 1e-2f), 1e-7f);
    }

    [Fact]
    public void GradientsOfNorms()
    {
        GradCheck.Assert(t => t[0].LayerNorm([5], t[1], t[2]), [Random(1, 3, 5), Random(2, 5), Random(3, 5)]);
        GradCheck.Assert(t => t[0].LayerNorm(2, t[1], null), [Random(4, 2, 3, 4), Random(5, 3, 4)]);
        GradCheck.Assert(t => t[0].LayerNorm([6]), [Random(6, 4, 6)]);
        GradCheck.Assert(t => t[0].RmsNorm(t[1], 1e-6f), [Random(7, 3, 5), Random(8, 5)]);
        GradCheck.Assert(t => t[0].RmsNorm(null, 1e-5f), [Random(9, 2, 6)]);
        GradCheck.Assert(t => t[0].GroupNorm(2, t[1], t[2]), [Random(10, 2, 4, 3), Random(11, 4), Random(12, 4)]);
        GradCheck.Assert(t => t[0].GroupNorm(3), [Random(13, 2, 3, 5)]);
        GradCheck.Assert(t => t[0].GroupNorm(2, t[1], null), [Random(14, 3, 6), Random(15, 6)]);
    }

    [Fact]
    public void GradientsOfVectorNorms()
    {
        GradCheck.Assert(t => t[0].Normalize(), [Random(16, 3, 4)]);
        GradCheck.Assert(t => t[0].Normalize(dim: 0), [Random(17, 3, 4)]);
        GradCheck.Assert(t => t[0].Normalize(p: 3, dim: 1), [Random(18, 2, 3, 2)]);
        GradCheck.Assert(t => t[0].Normalize(p: 1), [Tensor.FromArray([1, -2, 0.5f, 3, -1, 2], 2, 3)]);
        GradCheck.Assert(t => Tensor.CosineSimilarity(t[0], t[1]), [Random(19, 3, 4), Random(20, 3, 4)]);
        GradCheck.Assert(t => Tensor.CosineSimilarity(t[0], t[1], dim: 1), [Random(21, 2, 3, 2), Random(22, 2, 3, 2)]);
    }

    [Fact]
    public void LargeNormsTakeTheParallelPathAndAgreeWithRows()
    {
        var x = Random(23, 96, 512);
        var w = Random(24, 512);
        x.RequiresGrad = true; w.RequiresGrad = true;
        var y = x.LayerNorm([512], w, null);
        y.Backward(Tensor.Ones(96, 512));
        // with g = 1, dw = sum over rows of xhat; each row of xhat has zero mean, so sum(dw) is ~0
        Assert.Equal(0f, w.Grad!.Data.ToArray().Sum(), 2);
        // dx rows of LayerNorm sum to zero (the mean term removes the common component)
        for (int r = 0; r < 96; r += 19)
        {
            double s = 0;
            for (int c = 0; c < 512; c++) s += x.Grad![r, c];
            Assert.Equal(0, s, 3);
        }
    }
}
