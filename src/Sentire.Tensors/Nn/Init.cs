namespace Sentire.Tensors.Nn;

/// <summary>Nonlinearities known to <see cref="Init.Gain"/> (torch.nn.init.calculate_gain).</summary>
public enum Nonlinearity { Linear, Sigmoid, Tanh, Relu, LeakyRelu, Selu }

/// <summary>Which fan Kaiming initialisation preserves: fan_in keeps forward variance, fan_out backward variance.</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>
/// In-place weight initialisers with torch.nn.init's formulas (not its random streams: every function draws
/// from the explicit <see cref="Generator"/>, so a run is reproducible from its seed).
/// Fans of a (out, in, k1, k2, ...) weight: fan_in = in * prod(k), fan_out = out * prod(k).
/// </summary>
public static class Init
{
    public static void Uniform(Tensor t, Generator rng, float low, float high) => rng.FillUniform(t.Data, low, high);

    public static void Normal(Tensor t, Generator rng, float mean = 0f, float std = 1f) => rng.FillNormal(t.Data, mean, std);

    public static void Constant(Tensor t, float value) => t.Data.Fill(value);

    /// <summary>calculate_gain: linear/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + a^2)), selu 3/4.</summary>
    public static float Gain(Nonlinearity nonlinearity, float negativeSlope = 0.01f) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1f,
        Nonlinearity.Tanh => 5f / 3f,
        Nonlinearity.Relu => MathF.Sqrt(2f),
        Nonlinearity.LeakyRelu => MathF.Sqrt(2f / (1f + negativeSlope * negativeSlope)),
        Nonlinearity.Selu => 0.75f,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, null),
    };

    public static (int FanIn, int FanOut) Fans(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"fan in and fan out need a weight of rank >= 2, got shape [{string.Join(", ", shape.ToArray())}]");
        int receptiveField = 1;
        for (int i = 2; i < shape.Length; i++) receptiveField *= shape[i];
        return (shape[1] * receptiveField, shape[0] * receptiveField);
    }

    /// <summary>kaiming_uniform_: U(-b, b) with b = gain * sqrt(3 / fan). With a = sqrt(5) (the nn.Linear/Conv
    /// default) this is b = 1 / sqrt(fan_in).</summary>
    public static void KaimingUniform(Tensor t, Generator rng, float a = 0f, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu)
    {
        float bound = Gain(nonlinearity, a) * MathF.Sqrt(3f / Fan(t, mode));
        Uniform(t, rng, -bound, bound);
    }

    /// <summary>kaiming_normal_: N(0, std^2) with std = gain / sqrt(fan).</summary>
    public static void KaimingNormal(Tensor t, Generator rng, float a = 0f, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu) =>
        Normal(t, rng, 0f, Gain(nonlinearity, a) / MathF.Sqrt(Fan(t, mode)));

    /// <summary>xavier_uniform_: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor t, Generator rng, float gain = 1f)
    {
        var (fanIn, fanOut) = Fans(t.Shape);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(t, rng, -bound, bound);
    }

    /// <summary>xavier_normal_: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal(Tensor t, Generator rng, float gain = 1f)
    {
        var (fanIn, fanOut) = Fans(t.Shape);
        Normal(t, rng, 0f, gain * MathF.Sqrt(2f / (fanIn + fanOut)));
    }

    /// <summary>
    /// trunc_normal_: N(mean, std^2) restricted to [low, high] by redrawing values outside (the same distribution
    /// as torch's inverse-CDF method). Like torch, the bounds are absolute values (default [-2, 2]), not multiples
    /// of std; transformer code calls it with std = 0.02.
    /// </summary>
    public static void TruncNormal(Tensor t, Generator rng, float mean = 0f, float std = 1f, float low = -2f, float high = 2f)
    {
        if (!(low < high)) throw new ArgumentException($"truncation bounds must satisfy low < high, got [{low}, {high}]");
        if (mean < low - 2 * std || mean > high + 2 * std)
            throw new ArgumentException($"mean {mean} is more than 2 std ({std}) outside [{low}, {high}]: almost every draw would be rejected");
        var data = t.Data;
        const int maxDraws = 1000;
        for (int i = 0; i < data.Length; i++)
        {
            int draws = 0;
            float v;
            do
            {
                v = mean + std * rng.NextNormal();
                if (++draws > maxDraws) throw new InvalidOperationException($"no draw of N({mean}, {std}^2) fell in [{low}, {high}] after {maxDraws} tries");
            }
            while (v < low || v > high);
            data[i] = v;
        }
    }

    /// <summary>nn.Linear / nn.ConvNd reset_parameters: weight kaiming_uniform_(a = sqrt 5), i.e. U(+-1/sqrt(fan_in)),
    /// and bias U(+-1/sqrt(fan_in)).</summary>
    public static void LinearDefault(Tensor weight, Tensor? bias, Generator rng)
    {
        KaimingUniform(weight, rng, a: MathF.Sqrt(5f));
        if (bias is null) return;
        int fanIn = Fans(weight.Shape).FanIn;
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        Uniform(bias, rng, -bound, bound);
    }

    static int Fan(Tensor t, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(t.Shape);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        return fan > 0 ? fan : throw new ArgumentException($"weight of shape {t.ShapeString} has a zero fan");
    }
}
