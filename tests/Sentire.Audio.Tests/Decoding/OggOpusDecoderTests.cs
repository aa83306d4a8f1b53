using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>The in-process Ogg Opus decoder against ffmpeg's decode with libopus (-c:a libopus; ffmpeg's own Opus decoder
/// resamples SILK differently and differs from libopus by about 14 dB SNR on speech): same length, waveforms equal within
/// float rounding of two implementations of the same decoder; and clear errors on damaged files.</summary>
public sealed class OggOpusDecoderTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("sentire-oggopus-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Encode(string name, string lavfi, int channels, string bitrate)
    {
        var path = Path.Combine(folder, name);
        ExternalTools.Run(ExternalTools.FfmpegPath!, "-v", "error", "-f", "lavfi", "-i", lavfi, "-ac", channels.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c:a", "libopus", "-b:a", bitrate, path);
        return path;
    }

    [Theory]
    [InlineData("sine=frequency=440:sample_rate=16000:duration=1", 1, "32k")]
    [InlineData("anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:duration=1.37", 2, "64k")]
    public void MatchesFfmpeg(string lavfi, int channels, string bitrate)
    {
        if (ExternalTools.FfmpegPath is null) { Assert.Skip("ffmpeg is not installed"); return; }
        var path = Encode("clip.opus", lavfi, channels, bitrate);
        var clip = AudioFile.Read(path);
        Assert.Equal((AudioContainer.OggOpus, 48000, channels), (clip.Container, clip.SampleRate, clip.Channels));
        AssertMatchesFfmpeg(path, clip);
    }

    [Fact]
    public void MatchesFfmpegOnTheOpusCorpora()
    {
        if (RepoPaths.Shared is null) { Assert.Skip("../shared/corpora not found (set SENTIRE_SHARED)"); return; }
        if (ExternalTools.FfmpegPath is null) { Assert.Skip("ffmpeg is not installed"); return; }
        foreach (var corpus in new[] { "nemo", "tess", "baved" })
            foreach (var path in Directory.GetFiles(Path.Combine(RepoPaths.Shared, "corpora", corpus, "audio")).Order(StringComparer.Ordinal).Take(3))
                AssertMatchesFfmpeg(path, AudioFile.Read(path));
    }

    static void AssertMatchesFfmpeg(string path, AudioClip clip)
    {
        var raw = Path.Combine(Path.GetTempPath(), $"sentire-libopus-{Guid.NewGuid():N}.f32");
        float[] reference;
        try
        {
            ExternalTools.Run(ExternalTools.FfmpegPath!, "-v", "error", "-c:a", "libopus", "-i", path, "-f", "f32le", raw);
            var bytes = File.ReadAllBytes(raw);
            reference = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, reference, 0, reference.Length * 4);
        }
        finally { File.Delete(raw); }
        Assert.Equal(reference.Length, clip.Samples.Length);
        double signal = 0, error = 0, worst = 0;
        for (int i = 0; i < clip.Samples.Length; i++)
        {
            double d = clip.Samples[i] - reference[i];
            signal += (double)reference[i] * reference[i];
            error += d * d;
            worst = Math.Max(worst, Math.Abs(d));
        }
        double snr = 10 * Math.Log10(signal / Math.Max(error, 1e-30));
        Assert.True(snr > 60 && worst < 1e-3, $"{path}: SNR {snr:F1} dB, largest difference {worst:G3} against ffmpeg's decode");
    }

    [Fact]
    public void DamagedFilesAreClearErrors()
    {
        if (ExternalTools.FfmpegPath is null) { Assert.Skip("ffmpeg is not installed"); return; }
        var bytes = File.ReadAllBytes(Encode("tone.opus", "sine=frequency=300:sample_rate=16000:duration=0.5", 1, "24k"));
        var corrupt = (byte[])bytes.Clone();
        corrupt[^10] ^= 0x55;
        var error = Assert.Throws<AudioFormatException>(() => AudioFile.Read(corrupt, "corrupt.opus"));
        Assert.Contains("CRC mismatch", error.Reason);
        var truncated = bytes.AsSpan(0, bytes.Length - 7).ToArray();
        error = Assert.Throws<AudioFormatException>(() => AudioFile.Read(truncated, "truncated.opus"));
        Assert.Contains("truncated", error.Reason);
        Assert.Equal("truncated.opus", error.FileName);
    }
}
