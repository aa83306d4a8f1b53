using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

/// <summary>MatMul and Linear: values against a double-precision loop written here, gradients by finite differences.</summary>
public sealed class MatMulTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void TwoDimensionalMatchesReference(bool transA, bool transB)
    {
        var a = Rand(1, transA ? 9 : 7, transA ? 7 : 9);
        var b = Rand(2, transB ? 5 : 9, transB ? 9 : 5);
        AssertClose(Reference(a, b, transA, transB), a.MatMul(b, transA, transB));
    }

    [Fact]
    public void BroadcastBatchesMatchReference()
    {
        // (B, H, T, D) x (B, H, T, D)^T -> scores; (2, 1, m, k) x (3, k, n) -> (2, 3, m, n); (B, T, C) x (C, N)
        var q = Rand(3, 2, 3, 4, 5); var k = Rand(4, 2, 3, 6, 5);
        AssertClose(Reference(q, k, false, true), q.MatMul(k, transB: true));
        var a = Rand(5, 2, 1, 4, 3); var b = Rand(6, 3, 3, 2);
        var y = a.MatMul(b);
        Assert.Equal([2, 3, 4, 2], y.ShapeArray());
        AssertClose(Reference(a, b, false, false), y);
        var x = Rand(7, 2, 5, 3); var w = Rand(8, 3, 4);
        AssertClose(Reference(x, w, false, false), x.MatMul(w));
    }

    [Fact]
    public void MismatchedInnerDimensionsNameBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Rand(1, 2, 3).MatMul(Rand(2, 4, 5)));
        Assert.Contains("k = 3 vs 4", ex.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GradientsWithTransposeFlags(bool transA, bool transB)
    {
        var a = Rand(11, transA ? 4 : 3, transA ? 3 : 4);
        var b = Rand(12, transB ? 5 : 4, transB ? 4 : 5);
        GradCheck.Assert(t => t[0].MatMul(t[1], transA, transB), [a, b]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void GradientsSumOverBroadcastBatches(bool transA, bool transB)
    {
        // a batch (2, 1) and b batch (3) broadcast to (2, 3): both gradients sum over a broadcast dimension.
        var a = Rand(13, 2, 1, transA ? 4 : 3, transA ? 3 : 4);
        var b = Rand(14, 3, transB ? 2 : 4, transB ? 4 : 2);
        GradCheck.Assert(t => t[0].MatMul(t[1], transA, transB), [a, b]);
    }

    [Fact]
    public void GradientsOfBatchByMatrix()
    {
        GradCheck.Assert(t => t[0].MatMul(t[1], transB: true), [Rand(15, 2, 3, 4), Rand(16, 5, 4)]);
        GradCheck.Assert(t => t[0].MatMul(t[1]), [Rand(17, 3, 4), Rand(18, 2, 4, 2)]);
    }

    [Fact]
    public void LinearMatchesReferenceAndHasGradients()
    {
        var x = Rand(21, 2, 3, 4); var w = Rand(22, 5, 4); var bias = Rand(23, 5);
        var y = x.Linear(w, bias);
        Assert.Equal([2, 3, 5], y.ShapeArray());
        for (int r = 0; r < 6; r++)
            for (int o = 0; o < 5; o++)
            {
                double s = bias.Data[o];
                for (int i = 0; i < 4; i++) s += (double)x.Data[r * 4 + i] * w.Data[o * 4 + i];
                Assert.True(Math.Abs(s - y.Data[r * 5 + o]) < 1e-5, $"y[{r}, {o}] = {y.Data[r * 5 + o]}, expected {s}");
            }
        GradCheck.Assert(t => t[0].Linear(t[1], t[2]), [x, w, bias]);
        GradCheck.Assert(t => t[0].Linear(t[1]), [Rand(24, 4), Rand(25, 3, 4)]);
    }

    /// <summary>torch.matmul semantics in double precision, by index arithmetic.</summary>
    static double[] Reference(Tensor a, Tensor b, bool transA, bool transB)
    {
        int m = transA ? a.Dim(-1) : a.Dim(-2), k = transA ? a.Dim(-2) : a.Dim(-1), n = transB ? b.Dim(-2) : b.Dim(-1);
        var aBatch = a.ShapeArray()[..^2]; var bBatch = b.ShapeArray()[..^2];
        int rank = Math.Max(aBatch.Length, bBatch.Length);
        int Size(int[] s, int d) => d - (rank - s.Length) >= 0 ? s[d - (rank - s.Length)] : 1;
        var batch = Enumerable.Range(0, rank).Select(d => Math.Max(Size(aBatch, d), Size(bBatch, d))).ToArray();
        int count = batch.Aggregate(1, (x, y) => x * y);
        var result = new double[count * m * n];
        for (int bi = 0; bi < count; bi++)
        {
            int rem = bi, ai = 0, bj = 0, aStride = 1, bStride = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                int idx = rem % batch[d]; rem /= batch[d];
                int sa = Size(aBatch, d), sb = Size(bBatch, d);
                ai += (sa == 1 ? 0 : idx) * aStride; aStride *= sa;
                bj += (sb == 1 ? 0 : idx) * bStride; bStride *= sb;
            }
            var ad = a.Data.Slice(ai * m * k, m * k); var bd = b.Data.Slice(bj * k * n, k * n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (double)(transA ? ad[p * m + i] : ad[i * k + p]) * (transB ? bd[j * k + p] : bd[p * n + j]);
                    result[(bi * m + i) * n + j] = s;
                }
        }
        return result;
    }
}
