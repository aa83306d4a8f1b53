namespace Sentire.Tensors;

/// <summary>
/// Seeded, reproducible random numbers (xoshiro256**, seeded through splitmix64; normals by Box-Muller).
/// Every random op takes a generator explicitly, so there is no hidden global random state and
/// a run is reproducible from its seeds.
/// </summary>
public sealed class Generator
{
    ulong s0, s1, s2, s3;
    float? spareNormal;

    public Generator(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 random bits (every float in the range is exact).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"n must be positive, got {n}");
        return (int)((NextUInt64() >> 33) % (ulong)n);
    }

    public float NextNormal()
    {
        if (spareNormal is { } s) { spareNormal = null; return s; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();   // u1 in (0, 1]: log is finite
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = (float)(r * Math.Sin(2 * Math.PI * u2));
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    public void FillUniform(Span<float> dst, float low, float high)
    {
        float w = high - low;
        for (int i = 0; i < dst.Length; i++) dst[i] = low + w * NextFloat();
    }

    public void FillNormal(Span<float> dst, float mean, float std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = mean + std * NextNormal();
    }

    public void FillBernoulli(Span<float> dst, float p)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextFloat() < p ? 1f : 0f;
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
