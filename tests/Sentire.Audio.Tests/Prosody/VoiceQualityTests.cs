using Sentire.Audio.Prosody;
using static Sentire.Audio.Tests.Prosody.SyntheticVoice;

namespace Sentire.Audio.Tests.Prosody;

/// <summary>Jitter, shimmer and HNR on signals whose perturbation or noise level is known by construction.</summary>
public sealed class VoiceQualityTests
{
    /// <summary>Praat's definitions evaluated on the constructed periods and amplitudes (no pair limits needed: the
    /// perturbations here stay far inside them).</summary>
    static (double Jitter, double ShimmerDb) TrueValues(double[] instants, double[] amplitudes)
    {
        var periods = instants.Zip(instants.Skip(1), (a, b) => b - a).ToArray();
        var jitter = periods.Zip(periods.Skip(1), (a, b) => Math.Abs(b - a)).Average() / periods.Average();
        var shimmer = amplitudes.Zip(amplitudes.Skip(1), (a, b) => Math.Abs(20 * Math.Log10(b / a))).Average();
        return (jitter, shimmer);
    }

    [Theory]
    [InlineData(120.0, 0.00, 0.0)]
    [InlineData(120.0, 0.01, 0.5)]
    [InlineData(120.0, 0.03, 1.5)]
    [InlineData(210.0, 0.02, 1.0)]
    public void Jitter_and_shimmer_match_the_constructed_perturbation(double f0, double jitter, double shimmerDb)
    {
        var (instants, amplitudes) = PerturbedPulses(f0, 1.5, jitter, shimmerDb, seed: 7);
        var signal = PulseTrain(instants, amplitudes, 1.5);
        var (trueJitter, trueShimmer) = TrueValues(instants, amplitudes);

        var chains = GlottalPulses.Find(signal, SampleRate, YinPitchTracker.Track(signal, SampleRate));
        var pulses = chains.Sum(c => c.Times.Length);
        Assert.True(pulses >= 0.9 * instants.Length, $"{pulses} pulses marked of {instants.Length}");

        // Measured: absolute error at most 0.1 % points of jitter plus 5 % of the value; 0.05 dB plus 8 % for shimmer.
        var measuredJitter = Perturbation.JitterLocal(chains);
        Assert.InRange(measuredJitter, trueJitter * 0.95 - 0.001, trueJitter * 1.05 + 0.001);
        var measuredShimmer = Perturbation.ShimmerLocalDb(chains);
        Assert.InRange(measuredShimmer, trueShimmer * 0.92 - 0.05, trueShimmer * 1.08 + 0.05);
    }

    [Fact]
    public void Jitter_formula_on_hand_computed_periods()
    {
        // Periods 10, 11, 10, 12 ms: differences 1, 1, 2 -> mean 4/3 ms over mean period 10.75 ms.
        var chain = new PulseChain([0, 0.010, 0.021, 0.031, 0.043], [1, 2, 1, 1, 1]);
        Assert.Equal(4.0 / 3 / 10.75, Perturbation.JitterLocal([chain]), 12);
        // Amplitude pairs (1,2) is past the factor 1.6 and left out; (2,1) too; (1,1) -> 0 dB. Only valid pairs count.
        Assert.Equal(0.0, Perturbation.ShimmerLocalDb([chain]), 12);
        var gentle = new PulseChain([0, 0.010, 0.020, 0.030], [1, 1.2, 1]);
        Assert.Equal(20 * Math.Log10(1.2), Perturbation.ShimmerLocalDb([gentle]), 12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(5.0)]
    [InlineData(10.0)]
    [InlineData(20.0)]
    public void Hnr_of_a_harmonic_tone_in_white_noise_equals_the_snr(double snrDb)
    {
        // Harmonic part of power 0.5 (0.8² + 0.5² + 0.3² + 0.1² + 0.1²)/2 ≈ 0.5, noise at the given SNR.
        var harmonic = Harmonics(_ => 150, 1.0, 0.8, 0.5, 0.3, 0.1, 0.1);
        var power = harmonic.Average(v => (double)v * v);
        var noise = WhiteNoise(harmonic.Length, Math.Sqrt(power / Math.Pow(10, snrDb / 10)), seed: 11);
        var signal = harmonic.Zip(noise, (h, n) => h + n).ToArray();
        var hnr = Harmonicity.Track(signal, SampleRate);
        var interior = hnr.Skip(5).Take(hnr.Length - 10).ToArray();
        Assert.All(interior, v => Assert.False(float.IsNaN(v)));
        Assert.InRange(interior.Average(), snrDb - 1.0, snrDb + 1.0);
    }

    [Fact]
    public void Hnr_of_a_clean_tone_is_high_and_silence_has_none()
    {
        var signal = new float[SampleRate];
        Harmonics(_ => 200, 0.5, 0.5, 0.3).CopyTo(signal, 0);
        var hnr = Harmonicity.Track(signal, SampleRate);
        Assert.True(hnr[25] > 40, $"clean tone HNR {hnr[25]} dB");
        Assert.True(float.IsNaN(hnr[80]), $"silent frame HNR {hnr[80]} dB");
    }
}
