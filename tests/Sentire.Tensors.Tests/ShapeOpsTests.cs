using Sentire.Tensors;
using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

public sealed class ShapeOpsTests
{
    [Fact]
    public void ReshapeInfersOneDimensionAndSharesStorage()
    {
        var x = Seq(2, 3);
        var y = x.Reshape(3, -1);
        Assert.Equal([3, 2], y.ShapeArray());
        y.Data[0] = 99;
        Assert.Equal(99, x.Data[0]);
        Assert.Equal([6], x.View(-1).ShapeArray());
        Assert.Throws<ArgumentException>(() => x.Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => x.Reshape(4, -1));
        Assert.Throws<ArgumentException>(() => x.Reshape(7));
    }

    [Fact]
    public void FlattenUnsqueezeSqueezeShapes()
    {
        var x = Seq(2, 3, 4);
        Assert.Equal([24], x.Flatten().ShapeArray());
        Assert.Equal([2, 12], x.Flatten(1).ShapeArray());
        Assert.Equal([6, 4], x.Flatten(0, 1).ShapeArray());
        Assert.Equal([2, 12], x.Flatten(-2, -1).ShapeArray());
        Assert.Equal([2, 3, 4, 1], x.Unsqueeze(-1).ShapeArray());
        Assert.Equal([1, 2, 3, 4], x.Unsqueeze(0).ShapeArray());
        Assert.Equal([2, 3, 1, 4], x.Unsqueeze(-2).ShapeArray());
        var s = Seq(2, 1, 3);
        Assert.Equal([2, 3], s.Squeeze(1).ShapeArray());
        Assert.Equal([2, 3], s.Squeeze(-2).ShapeArray());
        Assert.Equal([2, 1, 3], s.Squeeze(0).ShapeArray()); // size 2: unchanged, as in PyTorch
    }

    [Fact]
    public void TransposeAndPermuteValues()
    {
        Assert.Equal([0f, 3, 1, 4, 2, 5], Values(Seq(2, 3).Transpose(0, 1)));
        // (2, 3, 2) -> permute(2, 0, 1): y[k, i, j] = x[i, j, k] = 6i + 2j + k
        Assert.Equal([0f, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11], Values(Seq(2, 3, 2).Permute(2, 0, 1)));
        Assert.Equal([3, 2, 2], Seq(2, 3, 2).Permute(-2, 0, -1).ShapeArray());
        Assert.Throws<ArgumentException>(() => Seq(2, 3).Permute(0, 0));
    }

    // Permutations large enough to cross the copy kernel's tiles, checked against direct indexing.
    [Theory]
    [InlineData(new[] { 3, 37, 45 }, new[] { 0, 2, 1 })]      // batched matrix transpose (attention's K^T), ragged edges
    [InlineData(new[] { 2, 72, 64 }, new[] { 0, 2, 1 })]      // whole 8x8 blocks over several tiles
    [InlineData(new[] { 2, 5, 3, 4 }, new[] { 0, 2, 1, 3 })]  // heads split/merge: contiguous runs
    [InlineData(new[] { 4, 3, 5, 6 }, new[] { 3, 1, 0, 2 })]  // general
    [InlineData(new[] { 2, 3, 33, 40 }, new[] { 0, 3, 1, 2 })] // channels-last to channels-first
    [InlineData(new[] { 70, 1, 9 }, new[] { 2, 1, 0 })]
    public void PermuteMatchesDirectIndexing(int[] shape, int[] perm)
    {
        var x = Seq(shape);
        var y = x.Permute(perm);
        var inStrides = new int[shape.Length];
        for (int d = shape.Length - 1, s = 1; d >= 0; s *= shape[d], d--) inStrides[d] = s;
        var outShape = y.ShapeArray();
        var idx = new int[shape.Length];
        for (int flat = 0; flat < y.Length; flat++)
        {
            int rem = flat, src = 0;
            for (int d = outShape.Length - 1; d >= 0; d--) { idx[d] = rem % outShape[d]; rem /= outShape[d]; }
            for (int d = 0; d < idx.Length; d++) src += idx[d] * inStrides[perm[d]];
            Assert.Equal(src, y.Data[flat]);
        }
    }

    [Fact]
    public void NarrowAndSliceValues()
    {
        var x = Seq(3, 4);
        Assert.Equal([1f, 2, 5, 6, 9, 10], Values(x.Narrow(1, 1, 2)));
        Assert.Equal([8f, 9, 10, 11], Values(x.Narrow(0, -1, 1)));
        Assert.Equal([2f, 3, 6, 7, 10, 11], Values(x.Slice(-1, -2, 100)));
        Assert.Equal([4f, 5, 6, 7], Values(x.Slice(0, 1, -1)));
        Assert.Equal([3, 0], x.Slice(1, 3, 1).ShapeArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 3, 2));
    }

    [Fact]
    public void ConcatAndStackValues()
    {
        var a = Seq(2, 2);
        var b = Seq(2, 1) + 10;
        Assert.Equal([0f, 1, 10, 2, 3, 11], Values(Tensor.Concat([a, b], -1)));
        Assert.Equal([0f, 1, 2, 3, 0, 1, 2, 3], Values(Tensor.Concat([a, a], 0)));
        var s = Tensor.Stack([a, a + 4], -1);
        Assert.Equal([2, 2, 2], s.ShapeArray());
        Assert.Equal([0f, 4, 1, 5, 2, 6, 3, 7], Values(s));
        Assert.Equal([2, 2, 2], Tensor.Stack([a, a], 0).ShapeArray());
        Assert.Throws<ArgumentException>(() => Tensor.Concat([a, b], 0));
    }

    [Fact]
    public void ExpandAndRepeatValues()
    {
        var col = Tensor.FromArray([1, 2], 2, 1);
        var e = col.Expand(2, -1, 3);
        Assert.Equal([2, 2, 3], e.ShapeArray());
        Assert.Equal([1f, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2], Values(e));
        Assert.Throws<ArgumentException>(() => Seq(2, 3).Expand(2, 4));
        // torch.tensor([1., 2.]).repeat(2, 2)
        Assert.Equal([1f, 2, 1, 2, 1, 2, 1, 2], Values(Tensor.FromArray([1, 2], 2).Repeat(2, 2)));
        Assert.Equal([2, 4], Tensor.FromArray([1, 2], 2).Repeat(2, 2).ShapeArray());
        // (2, 1).repeat(1, 3) and (2, 2).repeat(2, 1)
        Assert.Equal([1f, 1, 1, 2, 2, 2], Values(col.Repeat(1, 3)));
        Assert.Equal([0f, 1, 2, 3, 0, 1, 2, 3], Values(Seq(2, 2).Repeat(2, 1)));
    }

    [Fact]
    public void ConstantPadInFunctionalPadOrder()
    {
        var x = Seq(2, 3);
        // last dim (1, 2), then dim 0 (0, 1)
        var y = x.Pad([1, 2, 0, 1], 9);
        Assert.Equal([3, 6], y.ShapeArray());
        Assert.Equal([9f, 0, 1, 2, 9, 9, 9, 3, 4, 5, 9, 9, 9, 9, 9, 9, 9, 9], Values(y));
        // negative pads crop
        Assert.Equal([1f, 2, 0, 4, 5, 0], Values(x.Pad([-1, 1])));
        // three dims at once, cropping the middle one: F.pad(arange(12.).reshape(2, 2, 3), (0, 1, -1, 1, 1, 0), value=7)
        var z = Seq(2, 2, 3).Pad([0, 1, -1, 1, 1, 0], 7);
        Assert.Equal([3, 2, 4], z.ShapeArray());
        Assert.Equal([7f, 7, 7, 7, 7, 7, 7, 7, 3, 4, 5, 7, 7, 7, 7, 7, 9, 10, 11, 7, 7, 7, 7, 7], Values(z));
        Assert.Throws<ArgumentException>(() => x.Pad([1]));
    }

    [Fact]
    public void ReflectPadMatchesTorch()
    {
        // F.pad(torch.tensor([[1., 2, 3, 4]]), (2, 1), mode="reflect") = [[3, 2, 1, 2, 3, 4, 3]]
        Assert.Equal([3f, 2, 1, 2, 3, 4, 3], Values(Tensor.FromArray([1, 2, 3, 4], 1, 4).PadReflect([2, 1])));
        // both dims of Seq(2, 3): pad last by (1, 1), first by (1, 0)
        Assert.Equal([4f, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4], Values(Seq(2, 3).PadReflect([1, 1, 1, 0])));
        Assert.Throws<ArgumentException>(() => Seq(2, 3).PadReflect([3, 0]));
    }

    [Fact]
    public void ViewGradients()
    {
        GradCheck.Assert(t => t[0].Reshape(3, -1).Square(), [Rand(1, 2, 3)]);
        GradCheck.Assert(t => t[0].Flatten(-2).Square(), [Rand(2, 2, 3, 2)]);
        GradCheck.Assert(t => t[0].Unsqueeze(-1).Expand(-1, -1, 2).Square(), [Rand(3, 2, 3)]);
        GradCheck.Assert(t => t[0].Squeeze(-2).Square(), [Rand(4, 2, 1, 3)]);
    }

    [Fact]
    public void ReorderGradients()
    {
        GradCheck.Assert(t => t[0].Transpose(-1, -2) * t[1], [Rand(11, 2, 3, 4), Rand(12, 2, 4, 3)]);
        GradCheck.Assert(t => t[0].Permute(2, 0, -2) * t[1], [Rand(13, 2, 3, 4), Rand(14, 4, 2, 3)]);
    }

    [Fact]
    public void RangeAndJoinGradients()
    {
        GradCheck.Assert(t => t[0].Narrow(-1, 1, 2), [Rand(21, 2, 4)]);
        GradCheck.Assert(t => t[0].Slice(0, -2, 10), [Rand(22, 3, 2)]);
        // the same tensor twice: its gradient is the sum of both blocks
        GradCheck.Assert(t => Tensor.Concat([t[0], t[1], t[0]], -2), [Rand(23, 2, 1, 3), Rand(24, 2, 2, 3)]);
        GradCheck.Assert(t => Tensor.Stack([t[0], t[1]], 1), [Rand(25, 2, 3), Rand(26, 2, 3)]);
    }

    [Fact]
    public void BroadcastCopyGradients()
    {
        GradCheck.Assert(t => t[0].Expand(2, 3, 4), [Rand(31, 3, 1)]);
        GradCheck.Assert(t => t[0].Expand(2, -1), [Rand(32, 1, 3)]);
        GradCheck.Assert(t => t[0].Repeat(2, 1, 3), [Rand(33, 2, 2)]);
        // Expand's summed gradient, known answer: (3, 1) -> (2, 3, 4) gives each element 8 copies
        var x = Rand(34, 3, 1); x.RequiresGrad = true;
        x.Expand(2, 3, 4).Backward(Tensor.Ones(2, 3, 4));
        Assert.Equal([8f, 8, 8], Values(x.Grad!));
    }

    [Fact]
    public void PadGradients()
    {
        GradCheck.Assert(t => t[0].Pad([1, 2, 0, 1], 5), [Rand(41, 2, 3)]);
        GradCheck.Assert(t => t[0].Pad([-1, 2]), [Rand(42, 2, 3)]);
        GradCheck.Assert(t => t[0].Pad([0, 1, -1, 1, 1, 0], 7), [Rand(44, 2, 2, 3)]);
        GradCheck.Assert(t => t[0].PadReflect([2, 1, 1, 1]), [Rand(43, 3, 4)]);
        // reflect known answer: x of length 4 padded (2, 1); source indices are [2, 1, 0, 1, 2, 3, 2]
        var x = Tensor.FromArray([1, 2, 3, 4], 4); x.RequiresGrad = true;
        x.PadReflect([2, 1]).Backward(Tensor.Ones(7));
        Assert.Equal([1f, 2, 3, 1], Values(x.Grad!));
    }
}
