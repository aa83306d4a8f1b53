using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

/// <summary>Scaled dot-product attention against a double-precision loop (softmax(scale QK^T + M) V) and
/// finite-difference gradients, with boolean, key-padding, additive and causal masks and grouped-query heads.</summary>
public sealed class AttentionTests
{
    /// <summary>Key-padding mask (B, 1, 1, Tk): batch 0 sees all 5 keys, batch 1 the first 3.</summary>
    static Tensor KeyPadding() => Tensor.FromArray([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], 2, 1, 1, 5);

    [Theory]
    [InlineData(4, 4, false, false)]
    [InlineData(4, 2, true, false)]
    [InlineData(4, 1, false, true)]
    [InlineData(2, 2, true, true)]
    public void ForwardMatchesReference(int heads, int kvHeads, bool causal, bool withMask)
    {
        var q = Rand(1, 2, heads, 3, 4); var k = Rand(2, 2, kvHeads, 5, 4); var v = Rand(3, 2, kvHeads, 5, 6);
        var mask = withMask ? KeyPadding() : null;
        var y = Attention.ScaledDotProduct(q, k, v, mask, causal);
        Assert.Equal([2, heads, 3, 6], y.ShapeArray());
        AssertClose(Reference(q, k, v, mask, false, causal, 0.5), y);
    }

    [Fact]
    public void AdditiveMaskAndExplicitScale()
    {
        var q = Rand(4, 1, 2, 4, 3); var k = Rand(5, 1, 2, 4, 3); var v = Rand(6, 1, 2, 4, 3);
        var bias = Rand(7, 1, 1, 4, 4);
        AssertClose(Reference(q, k, v, bias, true, false, 0.3), Attention.ScaledDotProduct(q, k, v, bias, scale: 0.3f, isAdditive: true));
    }

    [Fact]
    public void FullyMaskedRowsGiveZerosAndNoNaNGradients()
    {
        var q = Rand(8, 1, 1, 2, 3); var k = Rand(9, 1, 1, 3, 3); var v = Rand(10, 1, 1, 3, 3);
        q.RequiresGrad = true; k.RequiresGrad = true; v.RequiresGrad = true;
        var mask = Tensor.FromArray([1, 0, 1, 0, 0, 0], 1, 1, 2, 3); // row 1 masks every key
        var y = Attention.ScaledDotProduct(q, k, v, mask);
        Assert.Equal([0f, 0, 0], y.Data.Slice(3, 3).ToArray());
        AssertClose(Reference(q, k, v, mask, false, false, 1 / Math.Sqrt(3)), y);
        y.Backward(Tensor.Ones(1, 1, 2, 3));
        Assert.Equal([0f, 0, 0], q.Grad!.Data.Slice(3, 3).ToArray());
        Assert.DoesNotContain(k.Grad!.Data.ToArray(), float.IsNaN);
        // Causal with more queries than keys (bottom-right aligned): the first query sees no key.
        var yc = Attention.ScaledDotProduct(Rand(11, 1, 1, 3, 2), Rand(12, 1, 1, 2, 2), Rand(13, 1, 1, 2, 2), causal: true);
        Assert.Equal([0f, 0], yc.Data[..2].ToArray());
    }

    [Theory]
    [InlineData(4, 2, false, true)]
    [InlineData(2, 2, true, false)]
    [InlineData(2, 1, true, true)]
    public void Gradients(int heads, int kvHeads, bool causal, bool withMask)
    {
        var mask = withMask ? KeyPadding() : null;
        GradCheck.Assert(t => Attention.ScaledDotProduct(t[0], t[1], t[2], mask, causal),
            [Rand(21, 2, heads, 4, 3), Rand(22, 2, kvHeads, 5, 3), Rand(23, 2, kvHeads, 5, 2)]);
    }

    [Fact]
    public void AdditiveMaskReceivesGradient()
    {
        GradCheck.Assert(t => Attention.ScaledDotProduct(t[0], t[1], t[2], t[3], isAdditive: true),
            [Rand(31, 1, 2, 3, 4), Rand(32, 1, 2, 4, 4), Rand(33, 1, 2, 4, 4), Rand(34, 2, 1, 4)]);
    }

    static double[] Reference(Tensor q, Tensor k, Tensor v, Tensor? mask, bool additive, bool causal, double scale)
    {
        int batch = q.Dim(0), heads = q.Dim(1), tq = q.Dim(2), d = q.Dim(3), kvHeads = k.Dim(1), tk = k.Dim(2), dv = v.Dim(3);
        var result = new double[batch * heads * tq * dv];
        var ms = mask?.ShapeArray();
        double MaskAt(int b, int h, int i, int j)
        {
            // right-aligned broadcast of a rank <= 4 mask
            int[] idx = [b, h, i, j];
            int off = 0, rank = ms!.Length;
            for (int a = 0; a < rank; a++) off = off * ms[a] + (ms[a] == 1 ? 0 : idx[4 - rank + a]);
            return mask!.Data[off];
        }
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int hk = h / (heads / kvHeads);
                for (int i = 0; i < tq; i++)
                {
                    var s = new double[tk];
                    for (int j = 0; j < tk; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += (double)q.Data[((b * heads + h) * tq + i) * d + c] * k.Data[((b * kvHeads + hk) * tk + j) * d + c];
                        s[j] = scale * dot;
                        if (mask is not null) s[j] = additive ? s[j] + MaskAt(b, h, i, j) : MaskAt(b, h, i, j) == 0 ? double.NegativeInfinity : s[j];
                        if (causal && j > i + tk - tq) s[j] = double.NegativeInfinity;
                    }
                    double max = s.Max();
                    if (double.IsNegativeInfinity(max)) continue;
                    var p = s.Select(x => Math.Exp(x - max)).ToArray();
                    double sum = p.Sum();
                    for (int c = 0; c < dv; c++)
                    {
                        double o = 0;
                        for (int j = 0; j < tk; j++) o += p[j] / sum * v.Data[((b * kvHeads + hk) * tk + j) * dv + c];
                        result[((b * heads + h) * tq + i) * dv + c] = o;
                    }
                }
            }
        return result;
    }
}
