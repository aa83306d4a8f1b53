using Sentire.Audio.Dsp;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Dsp;

/// <summary>
/// Features of 1 s crops of real corpus clips against torchaudio 0.13 (fixtures written by
/// tools/golden/audio_fixtures.py into tests/fixtures/audio-features). Each test states the largest
/// absolute error allowed, relative to the largest reference value where the values span decades (power
/// spectra), absolute in dB / log / cepstral units.
/// </summary>
public sealed class TorchaudioGoldenTests(ITestOutputHelper output)
{
    public static TheoryData<string> Clips => new() { "ravdess_angry", "emovo_sad", "secap_zh" };

    static float[] Wave(string clip) => Npy.Read(RepoPaths.Fixture($"audio-features/{clip}.wave.npy")).Data;

    static NpyArray Reference(string name) => Npy.Read(RepoPaths.Fixture($"audio-features/{name}.npy"));

    /// <summary>Largest |got − expected| after checking shapes; <paramref name="featuresFirst"/>: the reference is (features, frames).</summary>
    static (double MaxAbs, double MaxRef, float AtWorst) Compare(FeatureMatrix got, NpyArray expected, bool featuresFirst)
    {
        var matrix = featuresFirst ? got.Transpose() : got;
        Assert.Equal(expected.Shape, new[] { matrix.Rows, matrix.Columns });
        double maxAbs = 0, maxRef = 0;
        var atWorst = 0f;
        for (var i = 0; i < expected.Data.Length; i++)
        {
            var error = Math.Abs(matrix.Data[i] - expected.Data[i]);
            if (error > maxAbs) (maxAbs, atWorst) = (error, expected.Data[i]);
            maxRef = Math.Max(maxRef, Math.Abs(expected.Data[i]));
        }
        return (maxAbs, maxRef, atWorst);
    }

    void AssertRelative(string what, FeatureMatrix got, NpyArray expected, bool featuresFirst, double relativeTolerance)
    {
        var (maxAbs, maxRef, _) = Compare(got, expected, featuresFirst);
        output.WriteLine($"{what}: max abs error {maxAbs:E3} (largest value {maxRef:E3}, relative {maxAbs / maxRef:E3})");
        Assert.True(maxAbs <= relativeTolerance * maxRef, $"{what}: max abs error {maxAbs} > {relativeTolerance} × {maxRef}");
    }

    void AssertAbsolute(string what, FeatureMatrix got, NpyArray expected, bool featuresFirst, double tolerance)
    {
        var (maxAbs, maxRef, atWorst) = Compare(got, expected, featuresFirst);
        output.WriteLine($"{what}: max abs error {maxAbs:E3} at reference value {atWorst:G4} (largest value {maxRef:E3})");
        Assert.True(maxAbs <= tolerance, $"{what}: max abs error {maxAbs} > {tolerance}");
    }

    [Fact]
    public void Stft_matches_torch_stft()
    {
        var wave = Wave("ravdess_angry");
        var (re, im) = new Stft(new StftOptions { NFft = 400, HopLength = 160 }).Complex(wave);
        AssertRelative("stft re", re, Reference("ravdess_angry.stft400_re"), true, 2e-6);
        AssertRelative("stft im", im, Reference("ravdess_angry.stft400_im"), true, 2e-6);
    }

    [Theory]
    [MemberData(nameof(Clips))]
    public void MelSpectrogram_80_bins_hop_160(string clip)
    {
        var mel = new MelSpectrogram(new MelSpectrogramOptions { NFft = 400, HopLength = 160, NMels = 80 }).Compute(Wave(clip));
        AssertRelative($"{clip} mel80", mel, Reference($"{clip}.mel80"), true, 1e-5);
    }

    [Fact]
    public void MelSpectrogram_torchaudio_defaults()
    {
        var mel = new MelSpectrogram(new MelSpectrogramOptions()).Compute(Wave("ravdess_angry"));
        AssertRelative("mel default", mel, Reference("ravdess_angry.mel_default"), true, 1e-5);
    }

    [Fact]
    public void MelSpectrogram_slaney_scale_and_norm_hamming_magnitude_zero_padding()
    {
        var options = new MelSpectrogramOptions
        {
            NFft = 512, WinLength = 400, HopLength = 160, FMin = 50, FMax = 7600, NMels = 64, Window = WindowKind.Hamming,
            Power = 1f, PadMode = PadMode.Constant, Norm = MelNorm.Slaney, MelScale = MelScale.Slaney,
        };
        var mel = new MelSpectrogram(options).Compute(Wave("ravdess_angry"));
        AssertRelative("mel slaney", mel, Reference("ravdess_angry.mel_slaney"), true, 1e-5);
    }

    [Fact]
    public void LogMel_is_AmplitudeToDB_with_top_db()
    {
        var logMel = new LogMelSpectrogram(new MelSpectrogramOptions { NFft = 400, HopLength = 160, NMels = 80 }, topDb: 80f)
            .Compute(Wave("ravdess_angry"));
        AssertAbsolute("logmel80 top_db 80 (dB)", logMel, Reference("ravdess_angry.logmel80_top80"), true, 2e-3);
    }

    [Theory]
    [MemberData(nameof(Clips))]
    public void Mfcc_torchaudio_defaults(string clip)
    {
        var mfcc = new Mfcc(new MfccOptions()).Compute(Wave(clip));
        AssertAbsolute($"{clip} mfcc", mfcc, Reference($"{clip}.mfcc"), true, 1e-3);
    }

    [Fact]
    public void Mfcc_13_from_log_mels()
    {
        var options = new MfccOptions { NMfcc = 13, LogMels = true, Mel = new MelSpectrogramOptions { NFft = 400, HopLength = 160, NMels = 40 } };
        var mfcc = new Mfcc(options).Compute(Wave("ravdess_angry"));
        AssertAbsolute("mfcc13 log_mels", mfcc, Reference("ravdess_angry.mfcc13_logmels"), true, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Clips))]
    public void KaldiFbank_defaults(string clip)
    {
        var fbank = new KaldiFbank(new KaldiFbankOptions()).Compute(Wave(clip));
        AssertAbsolute($"{clip} fbank", fbank, Reference($"{clip}.fbank"), false, 1e-3);
    }

    [Fact]
    public void KaldiFbank_80_bins_with_energy_on_int16_scale()
    {
        var wave = Wave("ravdess_angry").Select(x => x * 32768f).ToArray();
        var fbank = new KaldiFbank(new KaldiFbankOptions { NumMelBins = 80, UseEnergy = true }).Compute(wave);
        AssertAbsolute("fbank80 energy", fbank, Reference("ravdess_angry.fbank80_energy_int16scale"), false, 2e-3);
    }

    [Fact]
    public void KaldiFbank_hamming_without_snip_edges_400_point_fft()
    {
        var options = new KaldiFbankOptions
        {
            NumMelBins = 40, WindowType = WindowKind.Hamming, SnipEdges = false, RoundToPowerOfTwo = false,
            PreemphasisCoefficient = 0, RemoveDcOffset = false, LowFreq = 60, HighFreq = -400,
        };
        var fbank = new KaldiFbank(options).Compute(Wave("ravdess_angry"));
        AssertAbsolute("fbank40 hamming no-snip", fbank, Reference("ravdess_angry.fbank40_hamming_nosnip_400"), false, 1e-3);
    }
}
