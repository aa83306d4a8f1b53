using Sentire.Tensors;

namespace Sentire.Tensors.Tests;

/// <summary>Inputs and comparisons shared by the op tests.</summary>
internal static class TestValues
{
    /// <summary>Standard normal values of the given shape, reproducible from <paramref name="seed"/>.</summary>
    public static Tensor Random(ulong seed, params int[] shape) => Tensor.Normal(new Generator(seed), 0, 1, shape);

    /// <summary>|expected - actual| &lt;= tol (1 + |expected|) element by element, naming the first element that is off.</summary>
    public static void Close(float[] expected, Tensor actual, float tol = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual.Data[i]) <= tol * (1 + MathF.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual.Data[i]}");
    }
}
