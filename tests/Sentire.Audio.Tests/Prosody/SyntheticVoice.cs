namespace Sentire.Audio.Tests.Prosody;

/// <summary>Test signals with known F0, period sequence and amplitudes.</summary>
internal static class SyntheticVoice
{
    public const int SampleRate = 16000;

    /// <summary>Σ_k amplitudes[k-1] sin(k φ(t)), φ the integral of 2π f0(t): a harmonic tone following any F0 contour.</summary>
    public static float[] Harmonics(Func<double, double> f0, double seconds, params double[] amplitudes)
    {
        var samples = new float[(int)(seconds * SampleRate)];
        var phase = 0.0;
        for (var i = 0; i < samples.Length; i++)
        {
            double value = 0;
            for (var k = 1; k <= amplitudes.Length; k++) value += amplitudes[k - 1] * Math.Sin(k * phase);
            samples[i] = (float)value;
            phase += 2 * Math.PI * f0((double)i / SampleRate) / SampleRate;
        }
        return samples;
    }

    /// <summary>A vowel-like source-filter signal: glottal impulses at the given instants (seconds), each scaled by its
    /// amplitude and exciting two damped resonances (500 Hz and 1500 Hz, 200 Hz bandwidth). Each cycle's waveform has the
    /// same shape, starting at its impulse, so the true periods are the differences of <paramref name="instants"/> and the
    /// true per-cycle peaks are proportional to <paramref name="amplitudes"/> (up to the small tail of the previous cycle).</summary>
    public static float[] PulseTrain(double[] instants, double[] amplitudes, double seconds)
    {
        var samples = new float[(int)(seconds * SampleRate)];
        const double bandwidth = 200;
        var decay = Math.PI * bandwidth;
        for (var p = 0; p < instants.Length; p++)
        {
            var first = (int)Math.Ceiling(instants[p] * SampleRate);
            var last = Math.Min(samples.Length, first + SampleRate / 40); // 25 ms: the response has decayed by 140 dB
            for (var i = first; i < last; i++)
            {
                var t = (double)i / SampleRate - instants[p];
                samples[i] += (float)(amplitudes[p] * Math.Exp(-decay * t)
                    * (Math.Sin(2 * Math.PI * 500 * t) + 0.5 * Math.Sin(2 * Math.PI * 1500 * t)));
            }
        }
        return samples;
    }

    /// <summary>Glottal instants with mean period 1/f0 and each period drawn as T (1 + jitter·u), u uniform in [-1, 1];
    /// amplitudes 10^(shimmerDb·v/20) with v uniform in [-1, 1]. Returns the instants, amplitudes and the periods.</summary>
    public static (double[] Instants, double[] Amplitudes) PerturbedPulses(double f0, double seconds, double jitter, double shimmerDb, int seed)
    {
        var random = new Random(seed);
        var instants = new List<double>();
        var amplitudes = new List<double>();
        for (var t = 0.05; t < seconds - 0.05; t += (1 + jitter * (2 * random.NextDouble() - 1)) / f0)
        {
            instants.Add(t);
            amplitudes.Add(0.3 * Math.Pow(10, shimmerDb * (2 * random.NextDouble() - 1) / 20));
        }
        return (instants.ToArray(), amplitudes.ToArray());
    }

    public static float[] WhiteNoise(int length, double rms, int seed)
    {
        var random = new Random(seed);
        var noise = new float[length];
        for (var i = 0; i < length; i++)
        {
            // Box-Muller.
            var u = 1 - random.NextDouble();
            noise[i] = (float)(rms * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }
        return noise;
    }

    public static double Cents(double f, double reference) => 1200 * Math.Log2(f / reference);
}
