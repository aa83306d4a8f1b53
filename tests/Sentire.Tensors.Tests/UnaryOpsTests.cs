using Sentire.Tensors;

namespace Sentire.Tensors.Tests;

public sealed class UnaryOpsTests
{
    static Tensor T(params float[] values) => Tensor.FromArray(values, values.Length);

    static Tensor Rand(ulong seed, float low, float high, params int[] shape) => Tensor.Uniform(new Generator(seed), low, high, shape);

    static void Near(float[] expected, Tensor actual, float tol = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual.Data[i]) <= tol * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual.Data[i]}");
    }

    [Fact]
    public void ScalarArithmeticWithTheFloatOnEitherSide()
    {
        var x = T(1, -2, 4);
        Assert.Equal([2f, -1, 5], (x + 1).Data.ToArray());
        Assert.Equal([2f, -1, 5], (1 + x).Data.ToArray());
        Assert.Equal([0f, -3, 3], (x - 1).Data.ToArray());
        Assert.Equal([0f, 3, -3], (1 - x).Data.ToArray());
        Assert.Equal([2f, -4, 8], (x * 2).Data.ToArray());
        Assert.Equal([2f, -4, 8], (2 * x).Data.ToArray());
        Assert.Equal([0.5f, -1, 2], (x / 2).Data.ToArray());
        Assert.Equal([8f, -4, 2], (8 / x).Data.ToArray());
        Assert.Equal([-1f, 2, -4], (-x).Data.ToArray());
    }

    [Fact]
    public void FunctionValues()
    {
        Near([1f, MathF.E], T(0, 1).Exp());
        Near([0f, 1f], T(1, MathF.E).Log());
        Near([2f, 3f], T(4, 9).Sqrt());
        Near([0.5f, 2f], T(4, 0.25f).Rsqrt());
        Assert.Equal([1.5f, 0, 2], T(-1.5f, 0, 2).Abs().Data.ToArray());
        Assert.Equal([9f, 4], T(-3, 2).Square().Data.ToArray());
        Assert.Equal([9f, 4], T(-3, 2).Pow(2).Data.ToArray());
    }

    [Fact]
    public void PowerOfNegativeBasesFollowsIntegerExponents()
    {
        Near([-8f, 27f, -8f], T(-2, 3, -2).Pow(3));
        Near([-0.5f, 0.25f], T(-2, 4).Pow(-1));
        Near([16f, 1f / 16], T(-2, 0.5f).Pow(4));
        Assert.True(float.IsNaN(T(-4).Pow(0.5f).Item()));
        Near([2f, 0f], T(4, 0).Pow(0.5f));
    }

    [Fact]
    public void ClampBoundsAndTheirGradient()
    {
        var x = T(-2, -1, 0.5f, 1, 3);
        Assert.Equal([-1f, -1, 0.5f, 1, 1], x.Clamp(-1, 1).Data.ToArray());
        Assert.Equal([-2f, -1, 0, 0, 0], x.Clamp(null, 0).Data.ToArray());
        Assert.Equal([0f, 0, 0.5f, 1, 3], x.Clamp(0, null).Data.ToArray());
        Assert.Equal([1f, 1, 1, 1, 1], x.Clamp(2, 1).Data.ToArray()); // min > max: everything becomes max
        // long enough for the vector loop and its tail; NaN passes through both
        var longX = T(-3, 0.25f, float.NaN, 2, -0.5f, 5, -1, 1, 0, float.NaN, -7);
        var c = longX.Clamp(-1, 1).Data.ToArray();
        Assert.Equal([-1f, 0.25f, 1, -0.5f, 1, -1, 1, 0, -1], c.Where((_, i) => i != 2 && i != 9).ToArray());
        Assert.True(float.IsNaN(c[2]) && float.IsNaN(c[9]));
        x.RequiresGrad = true;
        x.Clamp(-1, 1).Backward(Tensor.Ones(5));
        Assert.Equal([0f, 1, 1, 1, 0], x.Grad!.Data.ToArray()); // bounds themselves pass the gradient
    }

    [Fact]
    public void SubgradientsAtKinksAndZeroExponent()
    {
        var x = T(-3, 0, 2); x.RequiresGrad = true;
        x.Abs().Backward(Tensor.Ones(3));
        Assert.Equal([-1f, 0, 1], x.Grad!.Data.ToArray());
        x.ZeroGrad();
        x.Pow(0).Backward(Tensor.Ones(3));
        Assert.Equal([1f, 1, 1], x.Pow(0).Data.ToArray());
        Assert.Equal([0f, 0, 0], x.Grad!.Data.ToArray());
    }

    [Fact]
    public void NoHistoryWithoutGradOrUnderNoGrad()
    {
        var x = T(1, 2);
        Assert.False(x.Exp().RequiresGrad);
        x.RequiresGrad = true;
        Assert.True(x.Exp().RequiresGrad);
        using (Autograd.NoGrad()) Assert.False((x * 3).Sqrt().RequiresGrad);
    }

    [Fact]
    public void ScalarOpGradients()
    {
        GradCheck.Assert(t => t[0] + 1.5f, [Rand(1, -2, 2, 2, 3)]);
        GradCheck.Assert(t => t[0] - 1.5f, [Rand(2, -2, 2, 2, 3)]);
        GradCheck.Assert(t => 1.5f - t[0], [Rand(3, -2, 2, 2, 3)]);
        GradCheck.Assert(t => t[0] * -2.5f, [Rand(4, -2, 2, 2, 3)]);
        GradCheck.Assert(t => t[0] / 4f, [Rand(5, -2, 2, 2, 3)]);
        GradCheck.Assert(t => 3f / t[0], [Rand(6, 0.5f, 2, 2, 3)]);
        GradCheck.Assert(t => -t[0], [Rand(7, -2, 2, 2, 3)]);
    }

    [Fact]
    public void FunctionGradients()
    {
        GradCheck.Assert(t => t[0].Exp(), [Rand(11, -2, 2, 2, 3)]);
        GradCheck.Assert(t => t[0].Log(), [Rand(12, 0.5f, 3, 2, 3)]);
        GradCheck.Assert(t => t[0].Sqrt(), [Rand(13, 0.5f, 3, 2, 3)]);
        GradCheck.Assert(t => t[0].Rsqrt(), [Rand(14, 0.5f, 3, 2, 3)]);
        GradCheck.Assert(t => t[0].Square(), [Rand(15, -2, 2, 2, 3)]);
        GradCheck.Assert(t => t[0].Pow(3), [Rand(16, -2, 2, 2, 3)]);
        GradCheck.Assert(t => t[0].Pow(-1.5f), [Rand(17, 0.5f, 2, 2, 3)]);
        GradCheck.Assert(t => t[0].Pow(2.5f), [Rand(18, 0.5f, 2, 2, 3)]);
        GradCheck.Assert(t => t[0].Abs(), [T(-1.5f, -0.3f, 0.4f, 2f)]);
        GradCheck.Assert(t => t[0].Clamp(-1, 1), [T(-1.5f, -0.3f, 0.4f, 2f, 0.9f)]);
    }

    [Fact]
    public void ChainWithBroadcastBinaryOp()
    {
        // (exp(2a) + b).sqrt() with b (3) broadcast over a's rows
        GradCheck.Assert(t => ((t[0] * 2).Exp() + t[1]).Sqrt(), [Rand(21, -1, 1, 2, 3), Rand(22, 0.5f, 1, 3)]);
    }
}
