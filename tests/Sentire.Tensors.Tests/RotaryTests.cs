namespace Sentire.Tensors.Tests;

/// <summary>Rotary tables against hand-computed values (HF LLaMA layout) and ApplyRotary against a direct loop.</summary>
public sealed class RotaryTests
{
    [Fact]
    public void TablesRepeatFrequenciesOverBothHalves()
    {
        // dim 4, theta 10000: inv_freq = [1, 10000^-0.5] = [1, 0.01]; position 2 -> angles [2, 0.02, 2, 0.02]
        var (cos, sin) = Rotary.Tables(4, 3, 10000f);
        Assert.Equal([3, 4], cos.ShapeArray());
        double[] angles = [2, 0.02, 2, 0.02];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(Math.Cos(angles[i]), cos[2, i], 6);
            Assert.Equal(Math.Sin(angles[i]), sin[2, i], 6);
            Assert.Equal(1f, cos[0, i]);
            Assert.Equal(0f, sin[0, i]);
        }
    }

    [Fact]
    public void RotatesHalvesAndHonoursOffset()
    {
        var (cos, sin) = Rotary.Tables(6, 10, 100f);
        var x = Tensor.Uniform(new Generator(1), -1, 1, 2, 3, 4, 6);
        const int offset = 5;
        var y = x.ApplyRotary(cos, sin, offset);
        for (int row = 0; row < 2 * 3 * 4; row++)
        {
            int pos = offset + row % 4;
            for (int i = 0; i < 6; i++)
            {
                // x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x[3:], x[:3])
                double rotated = i < 3 ? -x.Data[row * 6 + i + 3] : x.Data[row * 6 + i - 3];
                double expected = x.Data[row * 6 + i] * (double)cos[pos, i] + rotated * sin[pos, i];
                Assert.True(Math.Abs(expected - y.Data[row * 6 + i]) < 1e-6, $"row {row}, element {i}: {y.Data[row * 6 + i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void GradientIsTheInverseRotation()
    {
        var (cos, sin) = Rotary.Tables(4, 8, 10f);
        GradCheck.Assert(t => t[0].ApplyRotary(cos, sin, 2), [Tensor.Uniform(new Generator(3), -1, 1, 1, 2, 5, 4)]);
    }

    [Fact]
    public void PositionsBeyondTheTablesAreRejected()
    {
        var (cos, sin) = Rotary.Tables(4, 4, 10f);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1, 1, 3, 4).ApplyRotary(cos, sin, 2));
        Assert.Contains("positions 2..4", ex.Message);
    }
}
