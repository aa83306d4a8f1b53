namespace Sentire.Audio.Perturbations;

/// <summary>
/// A deterministic change to mono audio, for robustness tests (the audEERING study's perturbations: Wagner et al., 2023,
/// "Dawn of the transformer era in speech emotion recognition", section on robustness) and as a training
/// augmentation: the same samples, rate and seed always give the same output. The input is never modified.
/// </summary>
public interface IPerturbation
{
    /// <summary>Catalogue name, e.g. <c>white-20db</c>.</summary>
    string Name { get; }

    /// <param name="samples">mono samples in [-1, 1]</param>
    /// <param name="sampleRate">Hz</param>
    /// <param name="seed">drives every random choice (noise, babble offsets, impulse response)</param>
    /// <returns>a new array of the same length</returns>
    float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed);
}

/// <summary>SplitMix64 (Steele, Lea &amp; Flood, 2014): a tiny seeded generator, so perturbations repeat exactly on every platform.</summary>
internal struct SplitMix64(ulong seed)
{
    ulong state = seed;

    public ulong Next()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public int NextInt(int n) => (int)(NextDouble() * n);

    /// <summary>Standard normal by Box-Muller.</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());
}

/// <summary>Helpers shared by the perturbations.</summary>
internal static class Signal
{
    public static double MeanSquare(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return 0;
        double s = 0;
        foreach (var v in x) s += (double)v * v;
        return s / x.Length;
    }

    /// <summary>y = x + g n with g chosen so that 10 log10(P_x / P_{g n}) = snrDb exactly over the clip; silent input is returned unchanged.</summary>
    public static float[] AddAtSnr(ReadOnlySpan<float> x, ReadOnlySpan<float> noise, double snrDb)
    {
        var y = x.ToArray();
        double px = MeanSquare(x), pn = MeanSquare(noise);
        if (px == 0 || pn == 0) return y;
        double g = Math.Sqrt(px / (pn * Math.Pow(10, snrDb / 10)));
        for (int i = 0; i < y.Length; i++) y[i] += (float)(g * noise[i]);
        return y;
    }
}
