using Sentire.Tensors;
using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

public sealed class IndexOpsTests
{
    [Fact]
    public void IndexSelectGathersAndScatterAddsRepeats()
    {
        var x = Seq(3, 2);
        Assert.Equal([4f, 5, 0, 1, 4, 5], Values(x.IndexSelect(0, [2, 0, 2])));
        Assert.Equal([1f, 1, 0, 3, 3, 2, 5, 5, 4], Values(x.IndexSelect(-1, [1, 1, 0])));
        x.RequiresGrad = true;
        x.IndexSelect(0, [2, 0, 2]).Backward(Tensor.Ones(3, 2));
        Assert.Equal([1f, 1, 0, 0, 2, 2], Values(x.Grad!));
        Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, [3]));
        GradCheck.Assert(t => t[0].IndexSelect(1, [2, 0, 2, 1]), [Rand(1, 2, 3, 2)]);
        // consecutive stretches move as blocks; overlapping stretches must still add up
        Assert.Equal([0f, 1, 2, 1, 2, 3, 4, 5, 4, 5], Values(Seq(2, 3).IndexSelect(1, [0, 1, 2, 1, 2])));
        GradCheck.Assert(t => t[0].IndexSelect(-1, [0, 1, 2, 1, 2]), [Rand(12, 2, 3)]);
        GradCheck.Assert(t => t[0].IndexSelect(0, [0, 1, 2, 1, 2]), [Rand(13, 3, 2)]);
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndAccumulatesRepeatedIds()
    {
        var w = Seq(4, 3);
        var y = Tensor.Embedding(w, [1, 3, 1, 0], 2, 2);
        Assert.Equal([2, 2, 3], y.ShapeArray());
        Assert.Equal([3f, 4, 5, 9, 10, 11, 3, 4, 5, 0, 1, 2], Values(y));
        Assert.Equal([4, 3], Tensor.Embedding(w, [1, 3, 1, 0]).ShapeArray());
        w.RequiresGrad = true;
        Tensor.Embedding(w, [1, 3, 1, 0], 2, 2).Backward(Tensor.Ones(2, 2, 3));
        Assert.Equal([1f, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1], Values(w.Grad!));
        Assert.Throws<IndexOutOfRangeException>(() => Tensor.Embedding(w, [4]));
        Assert.Throws<ArgumentException>(() => Tensor.Embedding(w, [1, 2, 3], 2, 2));
        GradCheck.Assert(t => Tensor.Embedding(t[0], [2, 2, 0, 1, 2, 3], 3, 2), [Rand(2, 4, 3)]);
    }

    [Fact]
    public void MaskedFillBroadcastsTheMask()
    {
        var x = Seq(2, 3);
        var mask = Tensor.FromArray([0, 1, 0], 1, 3);
        Assert.Equal([0f, -1, 2, 3, -1, 5], Values(x.MaskedFill(mask, -1)));
        // long enough for the vector path and its tail
        var big = Seq(19);
        var everyThird = Tensor.Zeros(19);
        for (int i = 0; i < 19; i += 3) everyThird.Data[i] = 1;
        var filled = big.MaskedFill(everyThird, float.NegativeInfinity);
        for (int i = 0; i < 19; i++) Assert.Equal(i % 3 == 0 ? float.NegativeInfinity : i, filled.Data[i]);
        Assert.Throws<ArgumentException>(() => Seq(1, 3).MaskedFill(Tensor.Ones(2, 3), 0));

        x.RequiresGrad = true;
        x.MaskedFill(mask, -1).Backward(Tensor.Ones(2, 3));
        Assert.Equal([1f, 0, 1, 1, 0, 1], Values(x.Grad!));
        GradCheck.Assert(t => t[0].MaskedFill(Tensor.FromArray([1, 0], 2, 1, 1), 3), [Rand(3, 2, 3, 4)]);
    }

    [Fact]
    public void WhereBroadcastsAllThreeAndRoutesGradients()
    {
        var cond = Tensor.FromArray([1, 0], 2, 1);
        var a = Seq(2, 3);
        var b = Tensor.FromArray([-1, -2, -3], 3);
        Assert.Equal([0f, 1, 2, -1, -2, -3], Values(Tensor.Where(cond, a, b)));
        a.RequiresGrad = true; b.RequiresGrad = true;
        Tensor.Where(cond, a, b).Backward(Tensor.Ones(2, 3));
        Assert.Equal([1f, 1, 1, 0, 0, 0], Values(a.Grad!));
        Assert.Equal([1f, 1, 1], Values(b.Grad!)); // b was taken once per column, in row 1
        var c = Tensor.FromArray([1, 0, 0, 1, 1, 0], 2, 3);
        GradCheck.Assert(t => Tensor.Where(c, t[0], t[1]), [Rand(4, 2, 1), Rand(5, 3)]);
        var longCond = Tensor.Bernoulli(new Generator(6), 0.5f, 21);
        GradCheck.Assert(t => Tensor.Where(longCond, t[0], t[1]), [Rand(7, 21), Rand(8, 1)]);
    }

    [Fact]
    public void InvertedDropout()
    {
        var x = Rand(9, 1000) + 2f; // no zeros in x
        Assert.Same(x, x.Dropout(0.3f, new Generator(1), training: false));
        Assert.Same(x, x.Dropout(0f, new Generator(1), training: true));
        Assert.Equal(new float[1000], Values(x.Dropout(1f, new Generator(1), training: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Dropout(1.5f, new Generator(1), true));

        x.RequiresGrad = true;
        var y = x.Dropout(0.25f, new Generator(42), training: true);
        int dropped = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (y.Data[i] == 0) { dropped++; continue; }
            Assert.Equal(x.Data[i] / 0.75f, y.Data[i], 1e-5f);
        }
        Assert.InRange(dropped, 200, 300); // 250 expected; binomial sd is about 14
        Assert.Equal(Values(y), Values(x.Detach().Dropout(0.25f, new Generator(42), true))); // same seed, same mask
        y.Backward(Tensor.Ones(1000));
        for (int i = 0; i < x.Length; i++) Assert.Equal(y.Data[i] == 0 ? 0f : 1f / 0.75f, x.Grad!.Data[i], 1e-6f);
        // a fresh generator with the same seed per call keeps the mask fixed while the checker probes
        GradCheck.Assert(t => t[0].Dropout(0.4f, new Generator(3), training: true), [Rand(11, 4, 5)]);
    }

    [Fact]
    public void ArgMaxTakesTheFirstMaximumAndNaN()
    {
        var x = Tensor.FromArray([1, 5, 5, 7, 2, 7], 2, 3);
        Assert.Equal([1, 0], x.ArgMax(-1));
        Assert.Equal([1, 0, 1], x.ArgMax(0));
        Assert.Equal([2], Tensor.FromArray([1, 3, float.NaN, 9], 4).ArgMax(0));
        Assert.Equal([1, 0], Tensor.FromArray([1, float.NaN, 9, float.NaN, 3, 4], 3, 2).ArgMax(0));
    }

    [Fact]
    public void TopKIsSortedLargestFirst()
    {
        var (values, indices) = Tensor.FromArray([3, 1, 4, 1, 5, 9, 2, 6], 8).TopK(3, 0);
        Assert.Equal([9f, 6, 5], Values(values));
        Assert.Equal([5, 7, 4], indices);
        // along dim 0 of (3, 2), ties resolved by lower index
        var (v2, i2) = Tensor.FromArray([1, 8, 7, 8, 7, 2], 3, 2).TopK(2, 0);
        Assert.Equal([2, 2], v2.ShapeArray());
        Assert.Equal([7f, 8, 7, 8], Values(v2));
        Assert.Equal([1, 0, 2, 1], i2);
        var (all, allIdx) = Tensor.FromArray([2, float.NaN, 5], 3).TopK(3, -1);
        Assert.True(float.IsNaN(all.Data[0]));
        Assert.Equal([1, 2, 0], allIdx);
        var (neg, negIdx) = Tensor.FromArray([-1, -7, -0.5f, -3], 4).TopK(2, 0);
        Assert.Equal([-0.5f, -1], Values(neg));
        Assert.Equal([2, 0], negIdx);
        Assert.Throws<ArgumentOutOfRangeException>(() => Seq(3).TopK(4, 0));
    }

    [Fact]
    public void SortIsStableBothWays()
    {
        var x = Tensor.FromArray([3, 1, 2, 1, float.NaN, 0], 6);
        var (up, upIdx) = x.Sort(0);
        Assert.Equal([0f, 1, 1, 2, 3], Values(up)[..5]);
        Assert.True(float.IsNaN(up.Data[5]));
        Assert.Equal([5, 1, 3, 2, 0, 4], upIdx);
        var (down, downIdx) = x.Sort(-1, descending: true);
        Assert.Equal([3f, 2, 1, 1, 0], Values(down)[1..]);
        Assert.Equal([4, 0, 2, 1, 3, 5], downIdx);
        // negatives, infinities and signed zeros (equal, so they keep their order)
        var (neg, negIdx) = Tensor.FromArray([-1, 2, -3.5f, -0f, 0, float.NegativeInfinity, 5], 7).Sort(0);
        Assert.Equal([float.NegativeInfinity, -3.5f, -1, 0, 0, 2, 5], Values(neg));
        Assert.Equal([5, 2, 0, 3, 4, 1, 6], negIdx);
        Assert.Equal([6, 1, 3, 4, 0, 2, 5], Tensor.FromArray([-1, 2, -3.5f, 0, 0, float.NegativeInfinity, 5], 7).Sort(0, descending: true).Indices);
        var (cols, colIdx) = Tensor.FromArray([5, 0, 1, 9, 3, 4], 3, 2).Sort(0);
        Assert.Equal([1f, 0, 3, 4, 5, 9], Values(cols));
        Assert.Equal([1, 0, 2, 2, 0, 1], colIdx);
    }

    [Fact]
    public void CumSumValuesAndGradient()
    {
        var x = Seq(2, 3);
        Assert.Equal([0f, 1, 3, 3, 7, 12], Values(x.CumSum(-1)));
        Assert.Equal([0f, 1, 2, 3, 5, 7], Values(x.CumSum(0)));
        x.RequiresGrad = true;
        x.CumSum(1).Backward(Tensor.Ones(2, 3));
        Assert.Equal([3f, 2, 1, 3, 2, 1], Values(x.Grad!));
        GradCheck.Assert(t => t[0].CumSum(-2), [Rand(10, 3, 4)]);
    }
}
