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
    [InlineData(HalfFormat.Float16, 40)]
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

    /// <summary>The vectorised widening gives every one of the 65536 bit patterns exactly the float32 of .NET's Half
    /// (and bfloat16's shifted bits): zeros, subnormals, normals, infinities, NaNs, both signs.</summary>
    [Theory]
    [InlineData(HalfFormat.Float16)]
    [InlineData(HalfFormat.BFloat16)]
    public void WideningIsExactForEveryBitPattern(HalfFormat format)
    {
        var m = HalfMatrix.FromTensor(Tensor.Zeros(256, 256), format);
        for (int i = 0; i < 65536; i++) m.Bits[i] = (ushort)i;
        var wide = new float[65536];
        Kernels.HalfGemm.WidenRows(m, 0, 256, wide);
        for (int i = 0; i < 65536; i++)
        {
            float expected = format == HalfFormat.Float16 ? (float)BitConverter.UInt16BitsToHalf((ushort)i) : BitConverter.Int32BitsToSingle(i << 16);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(wide[i]) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(wide[i]),
                $"0x{i:x4}: {wide[i]} vs {expected}");
        }
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

/// <summary>nn.Linear with a 16-bit weight: loaded through LoadStateDict, counted, and computing as the float32 linear on
/// the same rounded values.</summary>
public sealed class HalfLinearTests
{
    sealed class Block : Nn.Module
    {
        public Nn.Linear Proj { get; }
        public Block(HalfFormat? half) => Proj = RegisterModule("proj", new Nn.Linear(6, 5, null, halfWeight: half));
    }

    [Theory]
    [InlineData(HalfFormat.Float16)]
    [InlineData(HalfFormat.BFloat16)]
    public void LoadsFromAStateDictAndMatchesTheFloat32LinearOnTheRoundedWeight(HalfFormat format)
    {
        var rounded = HalfMatrix.FromTensor(TestValues.Random(1, 5, 6), format).ToTensor();
        var state = new Dictionary<string, Tensor> { ["proj.weight"] = rounded, ["proj.bias"] = TestValues.Random(2, 5) };
        var half = new Block(format);
        var full = new Block(null);
        Assert.True(half.LoadStateDict(state).IsClean);
        full.LoadStateDict(state);

        Assert.Equal(["proj.bias"], half.StateDict().Keys);                  // a 16-bit weight is not a float32 tensor
        Assert.Equal(["proj.weight", "proj.bias"], half.StateSlots().Select(s => s.Key));
        Assert.Single(half.Parameters());                                     // nothing to train but the bias
        Assert.Equal(full.ParameterCount(), half.ParameterCount());
        Assert.Equal(4 * 5 + 2 * 30, half.ParameterBytes());
        Assert.Equal(4 * 35, full.ParameterBytes());
        Assert.Equal(30, half.ParameterElementsByType()[format == HalfFormat.Float16 ? SafeTensorsDType.F16 : SafeTensorsDType.BF16]);
        Assert.Equal("F16 85.7%, F32 14.3%", TensorStores.FormatShares(new Block(HalfFormat.Float16).ParameterElementsByType()));

        var x = TestValues.Random(3, 4, 6);
        TestValues.Close(TestValues.Values(full.Proj.Forward(x)), half.Proj.Forward(x), 1e-6f);
        var e = Assert.Throws<InvalidOperationException>(() => half.Proj.Weight);
        Assert.Contains("HalfWeight", e.Message);
    }

    [Fact]
    public void AWrongShapeIsReportedAndAHalfLinearIsNeverInitialised()
    {
        var report = new Block(HalfFormat.Float16).LoadStateDict(new Dictionary<string, Tensor>
        {
            ["proj.weight"] = Tensor.Zeros(5, 7), ["proj.bias"] = Tensor.Zeros(5),
        }, strict: false);
        Assert.Equal("proj.weight: found [5, 7], expected [5, 6]", Assert.Single(report.Mismatched).ToString());
        Assert.Throws<ArgumentException>(() => new Nn.Linear(6, 5, new Generator(1), halfWeight: HalfFormat.Float16));
        var unloaded = Assert.Throws<InvalidOperationException>(() => new Block(HalfFormat.BFloat16).Proj.Forward(Tensor.Zeros(1, 6)));
        Assert.Contains("has not been loaded", unloaded.Message);
    }
}
