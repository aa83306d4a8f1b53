using Sentire.Tensors;
using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

public sealed class ReduceTests
{
    [Fact]
    public void SumAndMeanOverAllAndOneDimension()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal(0, x.Sum().Rank);
        Assert.Equal(3.5f, x.Mean().Item());
        Assert.Equal([5f, 7, 9], x.Sum(0).Data.ToArray());
        var rows = x.Sum(-1, keepDim: true);
        Assert.Equal([2, 1], rows.ShapeArray());
        Assert.Equal([6f, 15], rows.Data.ToArray());
        Assert.Equal([2f, 5], x.Mean(1).Data.ToArray());
    }

    [Fact]
    public void SumOverSeveralDimensionsMatchesNaiveLoops()
    {
        var x = Random(1, 2, 3, 4);
        var y = x.Sum([0, -1]);
        Assert.Equal([3], y.ShapeArray());
        var m = x.Mean([2, 0], keepDim: true);
        Assert.Equal([1, 3, 1], m.ShapeArray());
        for (int j = 0; j < 3; j++)
        {
            double s = 0;
            for (int i = 0; i < 2; i++) for (int k = 0; k < 4; k++) s += x[i, j, k];
            Assert.Equal(s, y[j], 5);
            Assert.Equal(s / 8, m[0, j, 0], 5);
        }
        Assert.Throws<ArgumentException>(() => x.Sum([1, -2]));
    }

    [Fact]
    public void MaxSendsGradientToTheFirstMaximum()
    {
        var x = Tensor.FromArray([1, 5, 5, 7, 2, 3], 2, 3);
        x.RequiresGrad = true;
        var y = x.Max(1);
        Assert.Equal([5f, 7], y.Data.ToArray());
        y.Backward(Tensor.FromArray([10, 20], 2));
        Assert.Equal([0f, 10, 0, 20, 0, 0], x.Grad!.Data.ToArray());
        var cols = Tensor.FromArray([1, 5, 5, 7, 2, 3], 2, 3).Max(0, keepDim: true);
        Assert.Equal([1, 3], cols.ShapeArray());
        Assert.Equal([7f, 5, 5], cols.Data.ToArray());
    }

    [Fact]
    public void LogSumExpIsStable()
    {
        // log(e^1 + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2) = 3.40760596
        Assert.Equal(3.40760596f, Tensor.FromArray([1, 2, 3], 3).LogSumExp(0).Item(), 5);
        Assert.Equal(1000f + MathF.Log(2), Tensor.FromArray([1000, 1000], 2).LogSumExp(0).Item(), 3);
        Assert.Equal(float.NegativeInfinity, Tensor.FromArray([float.NegativeInfinity, float.NegativeInfinity], 2).LogSumExp(-1).Item());
        var cols = Tensor.FromArray([1, 10, 2, 20, 3, 30], 3, 2).LogSumExp(0, keepDim: true);
        Assert.Equal([1, 2], cols.ShapeArray());
        Assert.Equal(3.40760596f, cols[0, 0], 5);
    }

    [Fact]
    public void VarianceIsUnbiasedByDefault()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 2, 2, 2, 2], 2, 4);
        // mean 2.5, squared deviations sum 5: 5/3 unbiased, 5/4 biased
        Assert.Equal([5f / 3, 0], x.Var(1).Data.ToArray());
        Assert.Equal([1.25f, 0], x.Var(-1, unbiased: false).Data.ToArray());
        Assert.Equal([2, 1], x.Var(1, keepDim: true).ShapeArray());
        Assert.True(float.IsNaN(Tensor.FromArray([3], 1).Var(0).Item()));
    }

    [Fact]
    public void GradientsOfReductions()
    {
        GradCheck.Assert(t => t[0].Sum(), [Random(2, 3, 4)]);
        GradCheck.Assert(t => t[0].Mean(), [Random(3, 3, 4)]);
        GradCheck.Assert(t => t[0].Sum(1), [Random(4, 2, 3, 4)]);
        GradCheck.Assert(t => t[0].Sum([0, 2], keepDim: true), [Random(5, 2, 3, 4)]);
        GradCheck.Assert(t => t[0].Mean([-1, 0]), [Random(6, 2, 3, 4)]);
        GradCheck.Assert(t => t[0].Mean(-2, keepDim: true), [Random(7, 2, 3, 4)]);
        GradCheck.Assert(t => t[0].LogSumExp(-1), [Random(8, 3, 5)]);
        GradCheck.Assert(t => t[0].LogSumExp(1, keepDim: true), [Random(9, 2, 3, 4)]);
        GradCheck.Assert(t => t[0].Var(1), [Random(10, 2, 5, 3)]);
        GradCheck.Assert(t => t[0].Var(-1, unbiased: false, keepDim: true), [Random(11, 3, 6)]);
        // well-separated values so the finite difference never crosses a tie
        GradCheck.Assert(t => t[0].Max(1), [Tensor.FromArray([0, 3, 1, 2, 9, 4, 8, 5, 6, -1, -4, -2], 2, 3, 2)]);
        GradCheck.Assert(t => t[0].Max(-1, keepDim: true), [Tensor.FromArray([0, 3, 1, 2, 9, 4, 8, 5, 6, -1, -4, -2], 3, 4)]);
    }

    [Fact]
    public void LargeReductionsTakeTheParallelPathAndAgree()
    {
        var x = Random(12, 64, 1024);
        var rows = x.Sum(1);
        var cols = x.Sum(0);
        for (int r = 0; r < 64; r += 21)
        {
            double s = 0;
            for (int c = 0; c < 1024; c++) s += x[r, c];
            Assert.Equal(s, rows[r], 3);
        }
        double total = 0;
        for (int c = 0; c < 1024; c++) total += cols[c];
        Assert.Equal(total, x.Sum().Item(), 2);
    }
}
