using Sentire.Tensors;
using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

public sealed class ActivationTests
{
    [Fact]
    public void KnownValues()
    {
        var x = Tensor.FromArray([-1, 0, 2], 3);
        Assert.Equal([0f, 0, 2], x.Relu().Data.ToArray());
        // Phi(1) = 0.8413447461, Phi(-1) = 0.1586552539, Phi(2) = 0.9772498681, Phi(-3) = 0.0013498980
        Close([0.8413447461f, -0.1586552539f, 1.9544997361f, -0.0040496941f, 0f], Tensor.FromArray([1, -1, 2, -3, 0], 5).Gelu());
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        Close([0.8411920071f, -0.1588079929f, 1.9545977116f, -0.0036374331f, 0.3457140028f], Tensor.FromArray([1, -1, 2, -3, 0.5f], 5).GeluTanh());
        // sigmoid(1) = 0.7310585786, sigmoid(-2) = 0.1192029220
        Close([0.7310585786f, -0.2384058440f], Tensor.FromArray([1, -2], 2).Silu());
        Close([0.5f, 0.7310585786f], Tensor.FromArray([0, 1], 2).Sigmoid());
        Close([0.7615941560f, -0.9640275801f], Tensor.FromArray([1, -2], 2).Tanh());
        // log(1 + e) = 1.3132616875; above the threshold softplus is x; log1p(e^-20) = 2.0611536e-9
        Close([1.3132616875f, 30f, 2.0611536e-9f], Tensor.FromArray([1, 30, -20], 3).Softplus());
        Close([1.0634640055f], Tensor.FromArray([1], 1).Softplus(beta: 2));
    }

    [Fact]
    public void NormalCdfIsAccurateOnBothTails()
    {
        var xs = new float[1201];
        for (int i = 0; i < xs.Length; i++) xs[i] = -6f + i * 0.01f;
        var cdf = new float[xs.Length];
        Tensor.NormalCdf(xs, cdf);
        for (int i = 0; i < xs.Length; i++)
        {
            double reference = 0.5 * (1 + ReferenceErf(xs[i] / Math.Sqrt(2)));
            Assert.True(Math.Abs(cdf[i] - reference) < 2e-7, $"Phi({xs[i]}) = {cdf[i]}, reference {reference}");
            if (xs[i] >= -4f && xs[i] <= 0f)
                Assert.True(Math.Abs(cdf[i] - reference) < 1e-6 * reference, $"Phi({xs[i]}) = {cdf[i]}, relative error vs {reference}");
        }
    }

    [Fact]
    public void VectorExpIsAccurateToAboutOneUlp()
    {
        var xs = new float[System.Numerics.Vector<float>.Count];
        for (float start = -87f; start < 88f; start += 0.37f * xs.Length)
        {
            for (int k = 0; k < xs.Length; k++) xs[k] = start + 0.37f * k;
            var e = Tensor.ExpVector(new System.Numerics.Vector<float>(xs));
            for (int k = 0; k < xs.Length; k++)
            {
                double reference = Math.Exp(xs[k]);
                if (xs[k] <= 88f) Assert.True(Math.Abs(e[k] - reference) <= 2.5e-7 * reference, $"exp({xs[k]}) = {e[k]}, reference {reference}");
            }
        }
    }

    [Fact]
    public void VectorExpEdgeCases()
    {
        var xs = new float[System.Numerics.Vector<float>.Count];
        float[] edge = [float.NegativeInfinity, -100f, float.NaN, 100f, float.PositiveInfinity, 0f, -87f, 88f];
        for (int k = 0; k < xs.Length; k++) xs[k] = edge[k % edge.Length];
        var e = Tensor.ExpVector(new System.Numerics.Vector<float>(xs));
        for (int k = 0; k < xs.Length; k++)
        {
            float x = xs[k];
            if (float.IsNaN(x)) Assert.True(float.IsNaN(e[k]));
            else if (x < -87.3f) Assert.Equal(0f, e[k]);
            else if (x > 88.72f) Assert.Equal(float.PositiveInfinity, e[k]);
            else Assert.Equal(Math.Exp(x), e[k], Math.Exp(x) * 3e-7);
        }
        // masked logits: exp(-inf - max) is exactly 0, so the mask leaks nothing
        var masked = Tensor.FromArray([1, float.NegativeInfinity, 3, float.NegativeInfinity, 0, 0, 0, 0, 0, 0], 1, 10).Softmax(-1);
        Assert.Equal(0f, masked.Data[1]);
        Assert.Equal(0.0943722724f, masked.Data[0], 6);   // e / (e + e^3 + 6)
    }

    /// <summary>Maclaurin series of erf in double: exact to ~1e-12 for |z| &lt;= 3 (terms peak near 1e3).</summary>
    static double ReferenceErf(double z)
    {
        if (Math.Abs(z) > 4.5) return Math.Sign(z);
        double term = z, sum = z;
        for (int n = 1; n < 200; n++)
        {
            term *= -z * z / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    [Fact]
    public void SoftmaxOfOneTwoThree()
    {
        // e^k / (e + e^2 + e^3)
        Close([0.0900305732f, 0.2447284711f, 0.6652409558f], Tensor.FromArray([1, 2, 3], 3).Softmax(0));
        Close([0.0900305732f, 0.2447284711f, 0.6652409558f], Tensor.FromArray([1001, 1002, 1003], 1, 3).Softmax(-1));
        Close([-2.4076059644f, -1.4076059644f, -0.4076059644f], Tensor.FromArray([1, 2, 3], 3).LogSoftmax(-1), 1e-6f);
        // over the leading dimension: columns [1,2,3] and [0,0,0]
        var cols = Tensor.FromArray([1, 0, 2, 0, 3, 0], 3, 2);
        Close([0.0900305732f, 1f / 3, 0.2447284711f, 1f / 3, 0.6652409558f, 1f / 3], cols.Softmax(0));
        Close([-2.4076059644f, -1.0986122887f, -1.4076059644f, -1.0986122887f, -0.4076059644f, -1.0986122887f], cols.LogSoftmax(0));
    }

    [Fact]
    public void LargeActivationsSplitIntoBlocksConsistently()
    {
        var x = Random(1, 300, 257);
        var y = x.Gelu();
        var single = new float[1];
        foreach (int i in new[] { 0, 1023, 1024, 50000, x.Length - 1 })
        {
            Tensor.NormalCdf([x.Data[i]], single);
            Assert.Equal(x.Data[i] * single[0], y.Data[i], 6);
        }
        var s = x.Softmax(-1);
        for (int r = 0; r < 300; r += 37)
        {
            double sum = 0;
            for (int c = 0; c < 257; c++) sum += s[r, c];
            Assert.Equal(1.0, sum, 5);
        }
    }

    [Fact]
    public void GradientsOfActivations()
    {
        GradCheck.Assert(t => t[0].Relu(), [Tensor.FromArray([-2, -0.5f, 0.3f, 1.5f, 3], 5)]);
        GradCheck.Assert(t => t[0].Gelu(), [Random(2, 4, 5)]);
        GradCheck.Assert(t => t[0].GeluTanh(), [Random(3, 4, 5)]);
        GradCheck.Assert(t => t[0].Silu(), [Random(4, 4, 5)]);
        GradCheck.Assert(t => t[0].Sigmoid(), [Random(5, 4, 5)]);
        GradCheck.Assert(t => t[0].Tanh(), [Random(6, 4, 5)]);
        GradCheck.Assert(t => t[0].Softplus(), [Random(7, 4, 5)]);
        GradCheck.Assert(t => t[0].Softplus(beta: 2, threshold: 3), [Tensor.FromArray([-3, -1, 0.5f, 1.2f, 2, 4], 6)]);
    }

    [Fact]
    public void GradientsOfSoftmax()
    {
        GradCheck.Assert(t => t[0].Softmax(-1), [Random(8, 3, 5)]);
        GradCheck.Assert(t => t[0].Softmax(1), [Random(9, 2, 3, 4)]);
        GradCheck.Assert(t => t[0].Softmax(0), [Random(10, 3, 4)]);
        GradCheck.Assert(t => t[0].LogSoftmax(-1), [Random(11, 3, 5)]);
        GradCheck.Assert(t => t[0].LogSoftmax(-2), [Random(12, 2, 3, 4)]);
    }
}
