using Sentire.Tensors.Serialization;

namespace Sentire.Tensors.Tests;

/// <summary>HalfMatrix products against float32 products on the same (rounded) weights, and rotary at per-row positions.</summary>
public sealed class HalfWeightsTests
{
    /// <summary>A weight already rounded to <paramref name="format"/>, so the float32 reference sees the same values.</summary>
    static (HalfMatrix Half, Tensor Float) Weight(HalfFormat format, int rows, int cols, ulong seed)
    {
        var half = HalfMatrix.FromTensor(TestValues.Random(seed, rows, cols), format);
        return (half, half.ToTensor());
    }

    [Theory]
    [InlineData(HalfFormat.BFloat16, 1)]     // decoding one token: weight rows widened inside the dot products
    [InlineData(HalfFormat.Float16, 3)]
    [InlineData(HalfFormat.BFloat16, 4)]
    [InlineData(HalfFormat.BFloat16, 40)]    // a prompt: widened blocks through the packed GEMM
    public void LinearMatchesTheFloat32ProductAndPassesTheInputGradient(HalfFormat format, int rows)
    {
        // 1100 output rows of 130: several widening blocks, the last one partial
        var (half, w) = Weight(format, 1100, 130, 1);
        var bias = TestValues.Random(2, 1100);
        var x = TestValues.Random(3, rows, 130);
        x.RequiresGrad = true;
        var y = x.Linear(half, bias);
        var g = TestValues.Random(4, rows, 1100);
        (y * g).Sum().Backward();
        var dxHalf = x.Grad!.Clone();

        x.ZeroGrad();
        var reference = x.Linear(w, bias);
        (reference * g).Sum().Backward();
        TestValues.Close(TestValues.Values(reference), y, 1e-4f);   // sums of 130 products: only the order differs
        TestValues.Close(TestValues.Values(x.Grad!), dxHalf, 1e-4f);
    }

    [Fact]
    public void RoundingIsToNearestAndExactForRepresentableValues()
    {
        var t = Tensor.FromArray([1f, 1.00390625f, -2.5f, 65504f, 1e-3f, 3.14159265f], 2, 3);
        var bf = HalfMatrix.FromTensor(t, HalfFormat.BFloat16).ToTensor();
        for (int i = 0; i < t.Length; i++)
            Assert.Equal(SafeTensorsDTypes.BFloat16ToSingle(SafeTensorsDTypes.SingleToBFloat16(t.Data[i])), bf.Data[i]);
        Assert.Equal(1f, bf.Data[1]);              // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even mantissa wins
        var f16 = HalfMatrix.FromTensor(t, HalfFormat.Float16).ToTensor();
        Assert.Equal(1.00390625f, f16.Data[1]);    // exact in binary16 (10 mantissa bits)
        Assert.Equal(65504f, f16.Data[3]);         // the largest binary16
        Assert.Equal(2L * 6, HalfMatrix.FromTensor(t, HalfFormat.Float16).Bytes);
    }

    [Fact]
    public void EmbeddingGathersWidenedRows()
    {
        var (half, w) = Weight(HalfFormat.BFloat16, 10, 4, 5);
        var e = Tensor.Embedding(half, [3, 0, 3, 9], 2, 2);
        Assert.Equal([2, 2, 4], e.ShapeArray());
        TestValues.Close(TestValues.Values(Tensor.Embedding(w, [3, 0, 3, 9], 2, 2)), e, 0f);
        Assert.Throws<IndexOutOfRangeException>(() => Tensor.Embedding(half, [10]));
    }

    [Fact]
    public void RotaryAtPositionsMatchesPerRowOffsets()
    {
        var (cos, sin) = Rotary.Tables(8, 20, 100f);
        var x = TestValues.Random(6, 2, 3, 4, 8);
        x.RequiresGrad = true;
        int[] positions = [0, 1, 2, 3, 7, 8, 9, 10];     // row 1 starts at 7
        var y = x.ApplyRotary(cos, sin, positions);
        var g = TestValues.Random(7, 2, 3, 4, 8);
        (y * g).Sum().Backward();
        for (int b = 0; b < 2; b++)
        {
            var xb = x.Detach().Narrow(0, b, 1);
            xb.RequiresGrad = true;
            var yb = xb.ApplyRotary(cos, sin, b == 0 ? 0 : 7);
            (yb * g.Narrow(0, b, 1)).Sum().Backward();
            TestValues.Close(TestValues.Values(yb), y.Narrow(0, b, 1), 0f);
            TestValues.Close(TestValues.Values(xb.Grad!), x.Grad!.Narrow(0, b, 1), 0f);
        }
    }
}
