using Sentire.Tensors;

namespace Sentire.Tensors.Tests;

/// <summary>Inputs and comparisons shared by the op tests.</summary>
internal static class TestValues
{
    /// <summary>Standard normal values of the given shape, reproducible from <paramref name="seed"/>.</summary>
    public static Tensor Random(ulong seed, params int[] shape) => Tensor.Normal(new Generator(seed), 0, 1, shape);

    /// <summary>0, 1, 2, ... laid out in the given shape: every element tells where it came from.</summary>
    public static Tensor Seq(params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = i;
        return t;
    }

    /// <summary>Uniform values in [-1, 1) of the given shape, reproducible from <paramref name="seed"/>.</summary>
    public static Tensor Rand(ulong seed, params int[] shape) => Tensor.Uniform(new Generator(seed), -1, 1, shape);

    public static float[] Values(Tensor t) => t.Data.ToArray();

    /// <summary>|expected - actual| &lt;= tol (1 + |expected|) element by element, naming the first element that is off.</summary>
    public static void Close(float[] expected, Tensor actual, float tol = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual.Data[i]) <= tol * (1 + MathF.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual.Data[i]}");
    }

    /// <summary>|expected - actual| &lt;= 1e-5 element by element against a double-precision reference loop.</summary>
    public static void AssertClose(double[] expected, Tensor actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual.Data[i]) > 1e-5)
                Assert.Fail($"element {i}: {actual.Data[i]} vs expected {expected[i]:G9}");
    }
}
