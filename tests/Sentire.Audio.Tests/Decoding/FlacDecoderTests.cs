using Sentire.Audio.Decoding;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>
/// The FLAC decoder against known samples: streams written by <see cref="FlacTestEncoder"/> reach every coding path
/// on purpose (each test asserts through <see cref="FlacTrace"/> that it did), and streams written by the reference
/// encoder (the <c>flac</c> tool) show it agrees with libFLAC. Where ffmpeg is installed, ffmpeg's decode of the same
/// bytes must match too.
/// </summary>
public sealed class FlacDecoderTests
{
    /// <summary>A smooth test signal (two sines plus noise) at about half of full scale for <paramref name="bits"/>.</summary>
    internal static int[] Signal(int length, int bits, int seed, double noise = 0.01)
    {
        var random = new Random(seed);
        double amplitude = Math.Pow(2, bits - 2);
        var samples = new int[length];
        for (int i = 0; i < length; i++)
        {
            double t = i + seed * 1000;
            double value = 0.6 * Math.Sin(t * 0.031) + 0.3 * Math.Sin(t * 0.0077 + seed) + noise * (random.NextDouble() * 2 - 1);
            samples[i] = (int)Math.Round(value * amplitude);
        }
        return samples;
    }

    static int[] Interleave(IEnumerable<TestFrame> frames)
    {
        var result = new List<int>();
        foreach (var frame in frames)
            for (int t = 0; t < frame.Channels[0].Length; t++)
                foreach (var channel in frame.Channels) result.Add(channel[t]);
        return result.ToArray();
    }

    static FlacPcm DecodeTraced(byte[] bytes, FlacTrace trace) => FlacDecoder.DecodeInt(bytes, "test.flac", verifyMd5: true, trace);

    /// <summary>ffmpeg must read the same samples from the same bytes (s32le holds a b-bit sample shifted up by 32-b).</summary>
    static void AssertFfmpegAgrees(byte[] bytes, int bits, int[] expected)
    {
        if (!ExternalTools.Ffmpeg.IsAvailable) return;
        var path = Path.Combine(Path.GetTempPath(), $"sentire-flac-{Guid.NewGuid():N}.flac");
        try
        {
            File.WriteAllBytes(path, bytes);
            var reference = ExternalTools.Ffmpeg.DecodeIntegers([path], bits <= 16 ? 16 : 32)[0];
            int shift = bits <= 16 ? 16 - bits : 32 - bits;
            Assert.Equal(expected.Select(s => s << shift), reference);
        }
        finally { File.Delete(path); }
    }

    /// <summary>Frames covering every stereo mode, subframe type, residual method, escapes and wasted bits.</summary>
    internal static List<TestFrame> AllFeatureFrames()
    {
        var codings = new SubframeCoding[]
        {
            new SubframeCoding.Verbatim(),
            new SubframeCoding.Fixed(0),
            new SubframeCoding.Fixed(1, PartitionOrder: 2),
            new SubframeCoding.Fixed(2, FiveBitParameters: true),
            new SubframeCoding.Fixed(3, PartitionOrder: 4),
            new SubframeCoding.Fixed(4, EscapeBits: 18),
            new SubframeCoding.Lpc([2, -1], Precision: 4, Shift: 0, PartitionOrder: 3),
            new SubframeCoding.Lpc([1900, -950, 30], Precision: 13, Shift: 10, FiveBitParameters: true),
            new SubframeCoding.Lpc(Enumerable.Range(0, 32).Select(j => j == 0 ? 1 << 13 : (j % 3) - 1).ToArray(), Precision: 15, Shift: 13),
        };
        var frames = new List<TestFrame>();
        int seed = 0;
        foreach (var mode in Enum.GetValues<StereoMode>())
            foreach (var coding in codings)
            {
                var left = Signal(1152, 16, ++seed);
                var right = Signal(1152, 16, ++seed);
                frames.Add(new TestFrame([left, right], mode, [coding, coding]));
            }
        // Silence codes as constant subframes; samples that are multiples of 8 have 3 wasted bits.
        frames.Add(new TestFrame([new int[576], Enumerable.Repeat(-7, 576).ToArray()], StereoMode.Independent, [new SubframeCoding.Constant(), new SubframeCoding.Constant()]));
        var coarse = Signal(576, 16, 99).Select(s => s & ~7).ToArray();
        frames.Add(new TestFrame([coarse, coarse.Select(s => -s).ToArray()], StereoMode.MidSide,
            [new SubframeCoding.Fixed(2) { WastedBits = 3 }, new SubframeCoding.Verbatim { WastedBits = 4 }]));

        return frames;
    }

    [Fact]
    public void EveryStereoModeAndSubframeTypeDecodesToTheSamples()
    {
        var frames = AllFeatureFrames();
        var bytes = FlacTestEncoder.Write(frames, 16000, 16);
        var trace = new FlacTrace();
        var pcm = DecodeTraced(bytes, trace);

        Assert.Equal(Interleave(frames), pcm.Samples);
        Assert.Equal((16000, 2, 16), (pcm.Info.SampleRate, pcm.Info.Channels, pcm.Info.BitsPerSample));
        foreach (var feature in new[] { "Independent", "LeftSide", "SideRight", "MidSide", "constant", "verbatim", "fixed", "lpc", "rice", "rice2", "escape", "wasted-bits" })
            Assert.Contains(feature, trace.Features);
        AssertFfmpegAgrees(bytes, 16, pcm.Samples);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(20)]
    [InlineData(24)]
    public void BitDepthsDecodeToTheSamples(int bits)
    {
        var frames = Enumerable.Range(0, 4).Select(i => new TestFrame(
            [Signal(1000, bits, 2 * i), Signal(1000, bits, 2 * i + 1)],
            (StereoMode)i,
            [new SubframeCoding.Fixed(2, PartitionOrder: 3, FiveBitParameters: bits > 16), new SubframeCoding.Lpc([3, -3, 1], 3, 0)])).ToList();
        var bytes = FlacTestEncoder.Write(frames, 48000, bits);
        var pcm = FlacDecoder.DecodeInt(bytes, "test.flac");
        Assert.Equal(Interleave(frames), pcm.Samples);
        Assert.Equal(bits, pcm.Info.BitsPerSample);
        AssertFfmpegAgrees(bytes, bits, pcm.Samples);
        // Floats are s / 2^(bits-1).
        var clip = FlacDecoder.Decode(bytes, "test.flac");
        Assert.Equal(pcm.Samples[123] / Math.Pow(2, bits - 1), clip.Samples[123], 1e-9);
    }

    [Fact]
    public void ThirtyTwoBitStereoKeepsTheThirtyThreeBitSideChannel()
    {
        // Full-scale opposite channels: left - right needs 33 bits.
        var left = new[] { int.MaxValue, int.MinValue, 5, -1, int.MaxValue, 0, 123456789, int.MinValue };
        var right = new[] { int.MinValue, int.MaxValue, -5, 1, -1, int.MinValue, -987654321, int.MinValue };
        var frames = new List<TestFrame>
        {
            new([left, right], StereoMode.LeftSide, [new SubframeCoding.Verbatim(), new SubframeCoding.Verbatim()]),
            new([left, right], StereoMode.SideRight, [new SubframeCoding.Verbatim(), new SubframeCoding.Verbatim()]),
            new([left, right], StereoMode.MidSide, [new SubframeCoding.Verbatim(), new SubframeCoding.Verbatim()]),
            // Smooth full-range audio: predicted residuals fit the 32 bits (31-bit escapes) FLAC allows.
            new([Signal(64, 32, 1), Signal(64, 32, 2)], StereoMode.MidSide,
                [new SubframeCoding.Fixed(2, FiveBitParameters: true), new SubframeCoding.Fixed(1, EscapeBits: 31)]),
        };
        var pcm = FlacDecoder.DecodeInt(FlacTestEncoder.Write(frames, 44100, 32), "test.flac");
        Assert.Equal(Interleave(frames), pcm.Samples);
    }

    [Fact]
    public void VariableBlockSizesDecodeInOrder()
    {
        int[] sizes = [17, 4096, 192, 1153, 256, 576, 65535, 1, 300];
        var frames = sizes.Select((n, i) => new TestFrame([Signal(n, 16, i)], StereoMode.Independent,
            [n >= 4 ? new SubframeCoding.Lpc([2, -1], 3, 0) : new SubframeCoding.Verbatim()])).ToList();
        var bytes = FlacTestEncoder.Write(frames, 22050, 16, variableBlockSize: true);
        var trace = new FlacTrace();
        var pcm = DecodeTraced(bytes, trace);
        Assert.Equal(Interleave(frames), pcm.Samples);
        Assert.Contains("variable-blocksize", trace.Features);
        Assert.Equal(sizes.ToHashSet(), trace.BlockSizes);
        AssertFfmpegAgrees(bytes, 16, pcm.Samples);
    }

    [Fact]
    public void StreamedFilesWithoutLengthOrMd5DecodeToTheEnd()
    {
        // What an encoder writing to a pipe leaves: total samples 0 and no MD5; players append ID3v1 tags.
        var frames = Enumerable.Range(0, 5).Select(i => new TestFrame([Signal(4096, 16, i)], StereoMode.Independent, [new SubframeCoding.Fixed(2)])).ToList();
        var bytes = FlacTestEncoder.Write(frames, 16000, 16, writeMd5: false, writeTotal: false);
        byte[] id3v1 = [.. "TAG"u8, .. new byte[125]];
        var pcm = FlacDecoder.DecodeInt([.. bytes, .. id3v1], "streamed.flac");
        Assert.Equal((0L, false), (pcm.Info.TotalSamples, pcm.Info.HasMd5));
        Assert.Equal(Interleave(frames), pcm.Samples);
        Assert.Contains("expected a frame sync", Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt([.. bytes, 1, 2, 3], "junk.flac")).Reason);
    }

    [Fact]
    public void CrcsMatchTheirCheckValues()
    {
        // Catalogue check values for "123456789": CRC-8 (poly 0x07) = 0xF4, CRC-16/UMTS (poly 0x8005, init 0) = 0xFEE8.
        var check = "123456789"u8;
        Assert.Equal(0xF4, FlacCrc.Crc8(check));
        Assert.Equal(0xFEE8, FlacCrc.Crc16(check));
        Assert.Equal(0xFEE8, FlacCrc.Crc16(check)); // the 8-byte step and the byte tail together
        var longer = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        ushort bytewise = 0;
        foreach (var b in longer)
            for (int bit = 7; bit >= 0; bit--)
            {
                bool top = ((bytewise >> 15) ^ (b >> bit)) != 0 && (((bytewise >> 15) ^ (b >> bit)) & 1) != 0;
                bytewise = (ushort)((bytewise << 1) ^ (top ? 0x8005 : 0));
            }
        Assert.Equal(bytewise, FlacCrc.Crc16(longer));
    }

    [Fact]
    public void WrongMd5IsReported()
    {
        var frames = new List<TestFrame> { new([Signal(500, 16, 1)], StereoMode.Independent, [new SubframeCoding.Fixed(2)]) };
        var bytes = FlacTestEncoder.Write(frames, 16000, 16);
        bytes[8 + 18] ^= 0x01; // first MD5 byte of STREAMINFO
        var error = Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt(bytes, "bad-md5.flac"));
        Assert.Contains("MD5", error.Reason);
        Assert.Equal("bad-md5.flac", error.FileName);
        Assert.Equal(frames[0].Channels[0], FlacDecoder.DecodeInt(bytes, "bad-md5.flac", verifyMd5: false).Samples);
    }

    [Fact]
    public void CorruptFrameByteFailsTheCrc()
    {
        var frames = new List<TestFrame> { new([Signal(4096, 16, 3)], StereoMode.Independent, [new SubframeCoding.Verbatim()]) };
        var bytes = FlacTestEncoder.Write(frames, 16000, 16);
        bytes[^100] ^= 0x10; // inside verbatim samples: still parses, only the CRC-16 can tell
        var error = Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt(bytes, "flipped.flac"));
        Assert.Contains("CRC-16", error.Reason);
    }
}
