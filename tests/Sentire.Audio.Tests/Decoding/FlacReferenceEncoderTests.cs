using System.Buffers.Binary;
using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>
/// Streams from libFLAC (the <c>flac</c> tool, given raw samples the test made) decode to exactly those samples,
/// with libFLAC's MD5 and CRCs checked. Skipped with a message when <c>flac</c> is not installed; the committed
/// fixture tests/fixtures/audio/stereo16-flac8.flac keeps one such stream covered without it.
/// </summary>
public sealed class FlacReferenceEncoderTests(ITestOutputHelper output)
{
    /// <summary>Left/right made to share most of their content, so the encoder's stereo search has something to find.</summary>
    internal static int[] StereoSignal(int frames, int bits, int seed)
    {
        var common = FlacDecoderTests.Signal(frames, bits, seed);
        var other = FlacDecoderTests.Signal(frames, bits, seed + 1);
        var random = new Random(seed);
        var interleaved = new int[2 * frames];
        for (int t = 0; t < frames; t++)
        {
            // Sections: nearly identical channels, one channel quiet, right much louder, a shared signal with
            // opposite noise (so mid is clean), independent.
            int section = t * 5 / frames;
            int noise = random.Next(-(1 << (bits - 8)), 1 << (bits - 8));
            (int left, int right) = section switch
            {
                0 => (common[t], common[t] + other[t] / 64),
                1 => (common[t] / 256, common[t]),
                2 => (common[t], common[t] / 128),
                3 => (common[t] / 2 + noise, common[t] / 2 - noise),
                _ => (common[t] / 2, other[t] / 2),
            };
            interleaved[2 * t] = left;
            interleaved[2 * t + 1] = right;
        }
        return interleaved;
    }

    static byte[] EncodeWithFlac(int[] interleaved, int channels, int bits, int sampleRate, params string[] options)
    {
        int width = bits / 8;
        var raw = new byte[interleaved.Length * width];
        Span<byte> sample = stackalloc byte[4];
        for (int i = 0; i < interleaved.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(sample, interleaved[i]);
            sample[..width].CopyTo(raw.AsSpan(i * width));
        }
        // To a file, not stdout: flac seeks back to fill in STREAMINFO's sample count and MD5.
        var path = Path.Combine(Path.GetTempPath(), $"sentire-{Guid.NewGuid():N}.flac");
        try
        {
            var result = ExternalProcess.Run(ExternalTools.FlacPath!,
                ["-s", "--force-raw-format", "--endian=little", "--sign=signed", $"--channels={channels}", $"--bps={bits}",
                 $"--sample-rate={sampleRate}", .. options, "-o", path, "-"], raw);
            Assert.True(result.ExitCode == 0, result.StandardError);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    static void RequireFlac()
    {
        if (ExternalTools.FlacPath is null) Assert.Skip("the flac tool is not installed (apt-get install flac)");
    }

    [Fact]
    public void HighestCompressionStereoUsesEveryStereoMode()
    {
        RequireFlac();
        var samples = StereoSignal(16384, 16, 7);
        var bytes = EncodeWithFlac(samples, 2, 16, 16000, "-8", "--blocksize=1024");
        var trace = new FlacTrace();
        var pcm = FlacDecoder.DecodeInt(bytes, "stereo16.flac", verifyMd5: true, trace);
        Assert.Equal(samples, pcm.Samples);
        Assert.True(pcm.Info.HasMd5);
        Assert.Equal(16384, pcm.Info.TotalSamples);
        output.WriteLine(string.Join(", ", trace.Features.Order()));
        foreach (var feature in new[] { "Independent", "LeftSide", "SideRight", "MidSide", "lpc" })
            Assert.Contains(feature, trace.Features);
    }

    [Theory]
    [InlineData(24, 2, "-5")]
    [InlineData(24, 1, "-8")]
    [InlineData(8, 2, "-3")]
    public void OtherDepthsDecodeToTheSamples(int bits, int channels, string level)
    {
        RequireFlac();
        var samples = channels == 2 ? StereoSignal(9000, bits, 3) : FlacDecoderTests.Signal(9000, bits, 3);
        var pcm = FlacDecoder.DecodeInt(EncodeWithFlac(samples, channels, bits, 48000, level), $"{bits}bit.flac");
        Assert.Equal(samples, pcm.Samples);
        Assert.Equal(bits, pcm.Info.BitsPerSample);
    }

    [Theory]
    [InlineData(1153)]
    [InlineData(100)]
    [InlineData(4607)]
    public void OddBlockSizesDecodeToTheSamples(int blockSize)
    {
        RequireFlac();
        var samples = FlacDecoderTests.Signal(10001, 16, blockSize);
        var trace = new FlacTrace();
        var pcm = FlacDecoder.DecodeInt(EncodeWithFlac(samples, 1, 16, 16000, "-5", "--lax", $"--blocksize={blockSize}"), "odd.flac", true, trace);
        Assert.Equal(samples, pcm.Samples);
        Assert.Contains(blockSize, trace.BlockSizes);
        Assert.Contains(10001 % blockSize, trace.BlockSizes); // the short last frame
    }

    [Fact]
    public void SilenceAndNoiseGiveConstantAndVerbatimSubframes()
    {
        RequireFlac();
        var random = new Random(5);
        // 4096 samples of digital silence, then full-scale white noise nothing can predict.
        var samples = new int[4096].Concat(Enumerable.Range(0, 4096).Select(_ => random.Next(-32768, 32768))).ToArray();
        var trace = new FlacTrace();
        var pcm = FlacDecoder.DecodeInt(EncodeWithFlac(samples, 1, 16, 16000, "-0", "--blocksize=4096"), "silence-noise.flac", true, trace);
        Assert.Equal(samples, pcm.Samples);
        Assert.Contains("constant", trace.Features);
        Assert.Contains("verbatim", trace.Features);
    }

    [Fact]
    public void CommittedFixtureDecodesToItsSignal()
    {
        // Written by: flac -8 --blocksize=256 --no-padding from StereoSignal(1024, 16, 11) as raw 16 kHz stereo.
        var path = RepoPaths.Fixture("audio/stereo16-flac8.flac");
        var clip = AudioFile.Read(path);
        var pcm = FlacDecoder.DecodeInt(File.ReadAllBytes(path), path);
        Assert.Equal(StereoSignal(1024, 16, 11), pcm.Samples);
        Assert.Equal((AudioContainer.Flac, 16000, 2, 1024, 16), (clip.Container, clip.SampleRate, clip.Channels, clip.Frames, clip.BitsPerSample));
        Assert.Equal(pcm.Samples[1001] / 32768f, clip.Samples[1001]);
    }

    /// <summary>Writes the committed fixture (run by hand when the signal changes: dotnet test --filter WriteFixture with SENTIRE_WRITE_FIXTURES=1).</summary>
    [Fact]
    public void WriteFixture()
    {
        if (Environment.GetEnvironmentVariable("SENTIRE_WRITE_FIXTURES") != "1") Assert.Skip("writes the fixture only with SENTIRE_WRITE_FIXTURES=1");
        RequireFlac();
        var bytes = EncodeWithFlac(StereoSignal(1024, 16, 11), 2, 16, 16000, "-8", "--blocksize=256", "--no-padding");
        Directory.CreateDirectory(RepoPaths.Fixture("audio"));
        File.WriteAllBytes(RepoPaths.Fixture("audio/stereo16-flac8.flac"), bytes);
    }
}
