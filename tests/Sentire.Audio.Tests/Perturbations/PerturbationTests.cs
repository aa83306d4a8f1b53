using Sentire.Audio.Perturbations;

namespace Sentire.Audio.Tests.Perturbations;

public sealed class PerturbationTests
{
    const int Rate = 16000;

    static float[] Tone(double hz, double seconds = 1, double amplitude = 0.5) =>
        Enumerable.Range(0, (int)(seconds * Rate)).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / Rate))).ToArray();

    static double PowerDb(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (var v in x) s += (double)v * v;
        return 10 * Math.Log10(s / x.Length);
    }

    /// <summary>10 log10(P_x / P_(y - x)): the SNR measured back from the output.</summary>
    static double MeasuredSnr(float[] clean, float[] noisy) =>
        PowerDb(clean) - PowerDb(noisy.Zip(clean, (y, x) => y - x).ToArray());

    static float[] Speechlike(ulong seed)
    {
        // An amplitude-modulated harmonic complex: a stand-in for a talker with syllable-rate envelope.
        var rng = new Random((int)seed);
        double f0 = 100 + rng.Next(100);
        return Enumerable.Range(0, Rate).Select(i =>
        {
            double t = (double)i / Rate;
            double env = 0.5 + 0.5 * Math.Sin(2 * Math.PI * 4 * t);
            return (float)(0.1 * env * Enumerable.Range(1, 5).Sum(h => Math.Sin(2 * Math.PI * h * f0 * t) / h));
        }).ToArray();
    }

    [Theory]
    [InlineData(20)]
    [InlineData(10)]
    [InlineData(5)]
    public void White_noise_snr_measured_back_equals_the_target(double snr)
    {
        var clean = Tone(440);
        Assert.Equal(snr, MeasuredSnr(clean, new WhiteNoise(snr).Apply(clean, Rate, seed: 3)), 2);
    }

    [Fact]
    public void Babble_snr_measured_back_equals_the_target_and_is_repeatable_per_seed()
    {
        var talkers = Enumerable.Range(0, 4).Select(i => Speechlike((ulong)i)).ToArray();
        var babble = (BabbleNoise)PerturbationCatalogue.Create("babble-10db", talkers);
        var clean = Tone(300, seconds: 1.5);
        var a = babble.Apply(clean, Rate, seed: 1);
        Assert.Equal(10, MeasuredSnr(clean, a), 2);
        Assert.Equal(a, babble.Apply(clean, Rate, seed: 1));
        Assert.NotEqual(a, babble.Apply(clean, Rate, seed: 2));
        Assert.Throws<ArgumentException>(() => PerturbationCatalogue.Create("babble-10db"));
    }

    [Fact]
    public void Every_catalogue_perturbation_is_deterministic_per_seed_and_keeps_the_length()
    {
        var talkers = Enumerable.Range(0, 3).Select(i => Speechlike((ulong)i + 10)).ToArray();
        var clean = Speechlike(99);
        foreach (var p in PerturbationCatalogue.All(talkers))
        {
            var first = p.Apply(clean, Rate, seed: 7);
            Assert.Equal(clean.Length, first.Length);
            Assert.Equal(first, p.Apply(clean, Rate, seed: 7));
            Assert.Equal(p.Name, PerturbationCatalogue.Create(p.Name, talkers).Name);
        }
        Assert.Equal(PerturbationCatalogue.Names, PerturbationCatalogue.All(talkers).Select(p => p.Name));
        Assert.Equal(9, PerturbationCatalogue.All().Count);   // no babble without talkers
    }

    [Fact]
    public void Gain_is_exact()
    {
        var clean = Tone(440);
        var louder = new Gain(10).Apply(clean, Rate, 0);
        for (int i = 0; i < clean.Length; i += 97) Assert.Equal(clean[i] * Math.Pow(10, 0.5), louder[i], 5);
        Assert.Equal(-10, PowerDb(new Gain(-10).Apply(clean, Rate, 0)) - PowerDb(clean), 4);
    }

    [Fact]
    public void Low_pass_attenuates_6_khz_by_more_than_40_db_and_passes_1_khz()
    {
        var lowPass = PerturbationCatalogue.Create("lowpass-4k");
        // skip the first 0.1 s: the filter's start-up transient
        double Change(double hz) { var x = Tone(hz); var y = lowPass.Apply(x, Rate, 0); return PowerDb(y.AsSpan(1600)) - PowerDb(x.AsSpan(1600)); }
        Assert.True(Change(6000) < -40, $"6 kHz changed by {Change(6000):F1} dB");
        Assert.InRange(Change(1000), -0.1, 0.1);
        Assert.InRange(Change(4000), -3.1, -2.9);   // Butterworth: -3 dB at the cutoff
    }

    [Fact]
    public void Resampling_round_trip_keeps_1_khz_and_removes_6_khz()
    {
        var trip = new ResampleRoundTrip(8000);
        double Change(double hz) { var x = Tone(hz); var y = trip.Apply(x, Rate, 0); return PowerDb(y.AsSpan(800, 14400)) - PowerDb(x.AsSpan(800, 14400)); }
        Assert.InRange(Change(1000), -0.1, 0.1);
        Assert.True(Change(6000) < -40, $"6 kHz changed by {Change(6000):F1} dB");
    }

    [Fact]
    public void Reverb_impulse_response_decays_60_db_in_rt60_and_output_keeps_the_level()
    {
        var reverb = new Reverb(0.3);
        var h = reverb.ImpulseResponse(Rate, seed: 4);
        // Schroeder backward integration of the tail; T20 fit (-5 to -25 dB) times 3 estimates RT60.
        var tail = h.Skip(1 + 40).Select(v => (double)v * v).ToArray();
        var edc = new double[tail.Length];
        double sum = 0;
        for (int i = tail.Length - 1; i >= 0; i--) edc[i] = sum += tail[i];
        int Crossing(double db) => Array.FindIndex(edc, e => 10 * Math.Log10(e / edc[0]) < db);
        double rt60 = 3.0 * (Crossing(-25) - Crossing(-5)) / Rate;
        Assert.InRange(rt60, 0.27, 0.33);
        Assert.Equal(0, 10 * Math.Log10(tail.Sum()), 3);                   // tail energy = direct energy (DRR 0 dB)
        var x = Tone(500);
        Assert.Equal(PowerDb(x), PowerDb(reverb.Apply(x, Rate, 4)), 3);
        Assert.NotEqual(h, reverb.ImpulseResponse(Rate, seed: 5));
    }

    [Fact]
    public void Clipping_limits_at_the_level_below_the_peak_and_keeps_quieter_samples()
    {
        var x = Tone(200);
        var y = new Clipping(6).Apply(x, Rate, 0);
        float limit = (float)(0.5 * Math.Pow(10, -6.0 / 20));
        Assert.Equal(limit, y.Max(), 4);
        for (int i = 0; i < x.Length; i++) if (Math.Abs(x[i]) < limit) Assert.Equal(x[i], y[i]);
    }

    [Fact]
    public void Random_perturbation_applies_with_the_given_probability_and_repeats_per_seed()
    {
        var x = Tone(440, seconds: 0.05);
        var gain = new Gain(10).Apply(x, Rate, 0);
        Assert.Equal(x, new RandomPerturbation([new Gain(10)], 0).Apply(x, Rate, 3));
        Assert.Equal(gain, new RandomPerturbation([new Gain(10)], 1).Apply(x, Rate, 3));
        var half = new RandomPerturbation([new Gain(10), new WhiteNoise(20)], 0.3);
        int changed = Enumerable.Range(0, 2000).Count(seed => !half.Apply(x, Rate, (ulong)seed).SequenceEqual(x));
        Assert.InRange(changed, 540, 660);      // 0.3 of 2000 = 600, +-3 binomial standard deviations (20.5)
        Assert.Equal(half.Apply(x, Rate, 17), half.Apply(x, Rate, 17));
    }

    [Fact]
    public void Unknown_name_lists_the_catalogue()
    {
        var e = Assert.Throws<ArgumentException>(() => PerturbationCatalogue.Create("pink-3db"));
        Assert.Contains("white-20db", e.Message);
    }
}
