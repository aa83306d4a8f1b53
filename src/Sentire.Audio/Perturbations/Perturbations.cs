using System.Globalization;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Perturbations;

/// <summary>Additive white Gaussian noise at a fixed signal-to-noise ratio (signal power = mean square of the whole clip).</summary>
public sealed class WhiteNoise(double snrDb) : IPerturbation
{
    public double SnrDb { get; } = snrDb;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"white-{SnrDb:0.##}db");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var noise = new float[samples.Length];
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)rng.NextGaussian();
        return Signal.AddAtSnr(samples, noise, SnrDb);
    }
}

/// <summary>
/// Babble noise at a fixed SNR: the sum of several talkers (speech clips of other speakers, supplied by the caller at
/// the clip's sample rate), each brought to the same RMS, each starting at a seeded random offset and looped to the
/// clip's length, then scaled as <see cref="WhiteNoise"/>.
/// </summary>
public sealed class BabbleNoise : IPerturbation
{
    readonly float[][] talkers;

    public BabbleNoise(double snrDb, IReadOnlyList<float[]> talkers)
    {
        if (talkers.Count < 2) throw new ArgumentException($"babble needs at least 2 talkers, got {talkers.Count}", nameof(talkers));
        var silent = talkers.Select((t, i) => (t, i)).Where(p => Signal.MeanSquare(p.t) == 0).Select(p => p.i).ToArray();
        if (silent.Length > 0) throw new ArgumentException($"babble talker(s) {string.Join(", ", silent)} are empty or silent", nameof(talkers));
        SnrDb = snrDb;
        this.talkers = [.. talkers];
    }

    public double SnrDb { get; }
    public int Talkers => talkers.Length;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"babble-{SnrDb:0.##}db");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var babble = new float[samples.Length];
        foreach (var talker in talkers)
        {
            float scale = (float)(1 / Math.Sqrt(Signal.MeanSquare(talker)));
            int offset = rng.NextInt(talker.Length);
            for (int i = 0; i < babble.Length; i++) babble[i] += scale * talker[(offset + i) % talker.Length];
        }
        return Signal.AddAtSnr(samples, babble, SnrDb);
    }
}

/// <summary>Gain change by a fixed number of decibels: y = 10^(g/20) x (no clipping: samples may leave [-1, 1]).</summary>
public sealed class Gain(double db) : IPerturbation
{
    public double Db { get; } = db;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"gain{(Db >= 0 ? "+" : "")}{Db:0.##}db");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var y = samples.ToArray();
        System.Numerics.Tensors.TensorPrimitives.Multiply(y, (float)Math.Pow(10, Db / 20), y);
        return y;
    }
}

/// <summary>
/// Butterworth low-pass of order 2K as K cascaded biquads (R. Bristow-Johnson, "Audio EQ Cookbook", LPF section):
/// section k has Q_k = 1 / (2 sin((2k + 1) pi / (2N))), the pole pairs of an N-th order Butterworth filter, and the
/// cookbook's bilinear transform with pre-warping, so the cascade is the digital Butterworth filter:
///   w0 = 2 pi f0 / fs,  alpha = sin(w0) / (2 Q),
///   b0 = b2 = (1 - cos w0) / 2,  b1 = 1 - cos w0,  a0 = 1 + alpha,  a1 = -2 cos w0,  a2 = 1 - alpha.
/// Order 8 at 4 kHz and 16 kHz sampling: -3 dB at 4 kHz, about -61 dB at 6 kHz. Direct form I, run once forward.
/// </summary>
public sealed class LowPass : IPerturbation
{
    public LowPass(double cutoffHz, int order = 8)
    {
        if (order < 2 || order % 2 != 0) throw new ArgumentOutOfRangeException(nameof(order), order, "Butterworth order must be even and at least 2");
        if (!(cutoffHz > 0)) throw new ArgumentOutOfRangeException(nameof(cutoffHz), cutoffHz, "cutoff must be positive");
        CutoffHz = cutoffHz;
        Order = order;
    }

    public double CutoffHz { get; }
    public int Order { get; }
    public string Name => string.Create(CultureInfo.InvariantCulture, $"lowpass-{CutoffHz / 1000:0.##}k");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        if (CutoffHz >= sampleRate / 2.0)
            throw new ArgumentException($"low-pass cutoff {CutoffHz} Hz is not below the Nyquist frequency {sampleRate / 2.0} Hz");
        var y = new double[samples.Length];
        for (int i = 0; i < y.Length; i++) y[i] = samples[i];
        double w0 = 2 * Math.PI * CutoffHz / sampleRate, cos = Math.Cos(w0);
        for (int k = 0; k < Order / 2; k++)
        {
            double q = 1 / (2 * Math.Sin((2 * k + 1) * Math.PI / (2 * Order)));
            double alpha = Math.Sin(w0) / (2 * q), a0 = 1 + alpha;
            double b0 = (1 - cos) / 2 / a0, b1 = (1 - cos) / a0, b2 = b0, a1 = -2 * cos / a0, a2 = (1 - alpha) / a0;
            double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
            for (int n = 0; n < y.Length; n++)
            {
                double x0 = y[n];
                double out0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
                (x2, x1, y2, y1) = (x1, x0, y1, out0);
                y[n] = out0;
            }
        }
        return Array.ConvertAll(y, v => (float)v);
    }
}

/// <summary>Down to a lower rate and back with <see cref="Resampler"/> (ffmpeg's filter): removes everything above the
/// lower rate's Nyquist frequency, as a narrow-band channel does. Output has the input's length.</summary>
public sealed class ResampleRoundTrip(int intermediateRate) : IPerturbation
{
    public int IntermediateRate { get; } = intermediateRate;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"resample-{IntermediateRate / 1000.0:0.##}k");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var down = new Resampler(sampleRate, IntermediateRate).Process(samples);
        var up = new Resampler(IntermediateRate, sampleRate).Process(down);
        var y = new float[samples.Length];
        up.AsSpan(0, Math.Min(up.Length, y.Length)).CopyTo(y);
        return y;
    }
}

/// <summary>
/// Reverberation by a seeded synthetic room impulse response: a unit direct path, then after a 2.5 ms gap a Gaussian
/// noise tail with amplitude envelope 10^(-3 t / RT60) (energy down 60 dB at t = RT60, Sabine's definition), cut at
/// RT60 and scaled so the tail carries as much energy as the direct path (direct-to-reverberant ratio 0 dB).
/// The output is brought back to the input's RMS so only the room, not the level, changes.
/// </summary>
public sealed class Reverb(double rt60Seconds) : IPerturbation
{
    const double PreDelaySeconds = 0.0025;

    public double Rt60Seconds { get; } = rt60Seconds;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"reverb-{Rt60Seconds:0.##}s");

    public float[] ImpulseResponse(int sampleRate, ulong seed)
    {
        var rng = new SplitMix64(seed);
        int gap = (int)Math.Round(PreDelaySeconds * sampleRate), tail = (int)Math.Round(Rt60Seconds * sampleRate);
        var h = new float[1 + gap + tail];
        h[0] = 1;
        double energy = 0;
        for (int i = 0; i < tail; i++)
        {
            double v = rng.NextGaussian() * Math.Pow(10, -3.0 * i / (Rt60Seconds * sampleRate));
            h[1 + gap + i] = (float)v;
            energy += v * v;
        }
        float scale = (float)(1 / Math.Sqrt(energy));
        for (int i = 1 + gap; i < h.Length; i++) h[i] *= scale;
        return h;
    }

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var h = ImpulseResponse(sampleRate, seed);
        Array.Reverse(h);   // y[n] = sum_k h[k] x[n - k] as a dot product with the reversed response
        var padded = new float[samples.Length + h.Length - 1];
        samples.CopyTo(padded.AsSpan(h.Length - 1));
        var y = new float[samples.Length];
        for (int n = 0; n < y.Length; n++) y[n] = System.Numerics.Tensors.TensorPrimitives.Dot(padded.AsSpan(n, h.Length), h);
        double before = Signal.MeanSquare(samples), after = Signal.MeanSquare(y);
        if (after > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(y, (float)Math.Sqrt(before / after), y);
        return y;
    }
}

/// <summary>Hard clipping at a level below the clip's own peak: |y| = min(|x|, 10^(-d/20) peak), the overdriven recording.</summary>
public sealed class Clipping(double belowPeakDb) : IPerturbation
{
    public double BelowPeakDb { get; } = belowPeakDb;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"clip-{BelowPeakDb:0.##}db");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var y = samples.ToArray();
        float limit = (float)(Conditioning.Loudness.Peak(samples) * Math.Pow(10, -BelowPeakDb / 20));
        System.Numerics.Tensors.TensorPrimitives.Clamp(y, -limit, limit, y);
        return y;
    }
}

/// <summary>
/// The named perturbations of the robustness report (the audEERING study's set): white and babble noise at 20, 10
/// and 5 dB SNR, gain +-10 dB, 4 kHz low-pass, 8 kHz resampling round trip, 0.3 s reverberation, clipping at 6 dB
/// below the peak. Babble needs talkers; without them the babble entries are left out.
/// </summary>
public static class PerturbationCatalogue
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "white-20db", "white-10db", "white-5db", "babble-20db", "babble-10db", "babble-5db",
        "gain+10db", "gain-10db", "lowpass-4k", "resample-8k", "reverb-0.3s", "clip-6db",
    ];

    /// <summary>The perturbation of a catalogue name; babble names need <paramref name="babbleTalkers"/>.</summary>
    public static IPerturbation Create(string name, IReadOnlyList<float[]>? babbleTalkers = null) => name switch
    {
        "white-20db" => new WhiteNoise(20),
        "white-10db" => new WhiteNoise(10),
        "white-5db" => new WhiteNoise(5),
        "babble-20db" or "babble-10db" or "babble-5db" => new BabbleNoise(double.Parse(name[7..^2], CultureInfo.InvariantCulture),
            babbleTalkers ?? throw new ArgumentException($"perturbation '{name}' needs babble talkers (speech clips of other speakers)")),
        "gain+10db" => new Gain(10),
        "gain-10db" => new Gain(-10),
        "lowpass-4k" => new LowPass(4000),
        "resample-8k" => new ResampleRoundTrip(8000),
        "reverb-0.3s" => new Reverb(0.3),
        "clip-6db" => new Clipping(6),
        _ => throw new ArgumentException($"unknown perturbation '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>Every catalogue perturbation; babble only when talkers are given.</summary>
    public static IReadOnlyList<IPerturbation> All(IReadOnlyList<float[]>? babbleTalkers = null) =>
        Names.Where(n => babbleTalkers is not null || !n.StartsWith("babble", StringComparison.Ordinal)).Select(n => Create(n, babbleTalkers)).ToList();
}

/// <summary>
/// A training augmentation from the catalogue: with probability p one of the given perturbations, chosen uniformly,
/// otherwise the clip unchanged. The choice and the chosen perturbation's own randomness both follow the seed, so
/// an epoch seeded by (run seed, epoch, clip) draws the same augmented audio when a run is resumed.
/// </summary>
public sealed class RandomPerturbation : IPerturbation
{
    readonly IPerturbation[] choices;

    public RandomPerturbation(IReadOnlyList<IPerturbation> choices, double probability)
    {
        if (choices.Count == 0) throw new ArgumentException("give at least one perturbation to choose from", nameof(choices));
        if (probability is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(probability), probability, "probability must be in [0, 1]");
        this.choices = [.. choices];
        Probability = probability;
    }

    public double Probability { get; }
    public string Name => string.Create(CultureInfo.InvariantCulture, $"random-{Probability:0.##}({string.Join(",", choices.Select(c => c.Name))})");

    public float[] Apply(ReadOnlySpan<float> samples, int sampleRate, ulong seed)
    {
        var rng = new SplitMix64(seed);
        if (rng.NextDouble() >= Probability) return samples.ToArray();
        var choice = choices[rng.NextInt(choices.Length)];
        return choice.Apply(samples, sampleRate, rng.Next());
    }
}
