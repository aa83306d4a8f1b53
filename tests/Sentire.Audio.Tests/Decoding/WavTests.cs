using System.Buffers.Binary;
using Sentire.Audio.Decoding;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>WAV reading and writing: round trips, every sample format against hand-computed values and against
/// ffmpeg's own conversion, and the chunk-structure cases real files have (odd sizes, extra chunks, streamed sizes).</summary>
public sealed class WavTests
{
    /// <summary>A RIFF WAVE file from raw chunks, each followed by its pad byte when odd-sized.</summary>
    internal static byte[] BuildWav(params (string Id, byte[] Body, uint? SizeField)[] chunks)
    {
        var body = new List<byte>();
        foreach (var (id, content, sizeField) in chunks)
        {
            body.AddRange(System.Text.Encoding.ASCII.GetBytes(id));
            body.AddRange(BitConverter.GetBytes(sizeField ?? (uint)content.Length));
            body.AddRange(content);
            if (content.Length % 2 == 1) body.Add(0);
        }
        return [.. "RIFF"u8.ToArray(), .. BitConverter.GetBytes((uint)(body.Count + 4)), .. "WAVE"u8.ToArray(), .. body];
    }

    internal static byte[] Fmt(int tag, int channels, int rate, int bits)
    {
        var fmt = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(fmt, (ushort)tag);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(2), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(4), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(8), (uint)(rate * channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(12), (ushort)(channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(14), (ushort)bits);
        return fmt;
    }

    static byte[] ExtensibleFmt(int subFormat, int channels, int rate, int bits, int validBits)
    {
        var fmt = new byte[40];
        Fmt(0xFFFE, channels, rate, bits).CopyTo(fmt, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(16), 22);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(18), (ushort)validBits);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(20), 0x7);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(24), (ushort)subFormat);
        byte[] tail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        tail.CopyTo(fmt, 26);
        return fmt;
    }

    static byte[] Pcm16(params short[] samples) => samples.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void Pcm16RoundTripIsExact()
    {
        // Every representable 16-bit value once, in stereo.
        var samples = Enumerable.Range(short.MinValue, 65536).Select(v => v / 32768f).ToArray();
        var clip = new AudioClip(samples, 16000, 2, "mem");
        var bytes = WavWriter.ToBytes(clip, WavEncoding.Pcm16);
        Assert.Equal(44 + 2 * samples.Length, bytes.Length);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20)));
        var back = WavReader.Read(bytes, "roundtrip.wav");
        Assert.Equal(samples, back.Samples);
        Assert.Equal((16000, 2, 16, false), (back.SampleRate, back.Channels, back.BitsPerSample, back.IsFloatEncoding));
    }

    [Fact]
    public void Pcm16WriterRoundsAndClamps()
    {
        var clip = AudioClip.FromMono([1.5f, -2f, 0.5f / 32768, -1f, 0.99999f, float.NaN], 8000);
        var back = WavReader.Read(WavWriter.ToBytes(clip), "clamped.wav").Samples;
        Assert.Equal(new[] { 32767 / 32768f, -1f, 0f, -1f, 32767 / 32768f, 0f }, back);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void Float32RoundTripIsExact(int channels)
    {
        var random = new Random(channels);
        var samples = Enumerable.Range(0, 999 * channels).Select(_ => (float)(random.NextDouble() * 3 - 1.5)).ToArray();
        var bytes = WavWriter.ToBytes(new AudioClip(samples, 44100, channels, "mem"), WavEncoding.Float32);
        var back = AudioFile.Read(bytes, "float.wav");
        Assert.Equal(samples, back.Samples);
        Assert.Equal((44100, channels, 32, true, AudioContainer.Wav), (back.SampleRate, back.Channels, back.BitsPerSample, back.IsFloatEncoding, back.Container));
        Assert.Equal(channels > 2, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20)) == 0xFFFE);
    }

    [Fact]
    public void OddSizedAndUnknownChunksAreSkipped()
    {
        var bytes = BuildWav(
            ("LIST", [1, 2, 3], null),                   // odd size: one pad byte follows
            ("fmt ", Fmt(1, 1, 8000, 16), null),
            ("fact", [4, 0, 0, 0], null),
            ("junk", new byte[7], null),
            ("data", Pcm16(100, -200, 300), null),
            ("id3 ", [9, 9, 9], null));                 // a chunk after the data
        var clip = WavReader.Read(bytes, "chunks.wav");
        Assert.Equal(new[] { 100 / 32768f, -200 / 32768f, 300 / 32768f }, clip.Samples);
    }

    [Theory]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0u)]
    [InlineData(0x7FFFFFF0u)]
    public void StreamedOrWrongDataSizesReadToTheEnd(uint sizeField)
    {
        // Three whole stereo frames and one stray byte: the stray byte is not a frame and is dropped.
        var data = Pcm16(1, 2, 3, 4, 5, 6).Append((byte)7).ToArray();
        var bytes = BuildWav(("fmt ", Fmt(1, 2, 8000, 16), null), ("data", data, sizeField));
        if (data.Length % 2 == 1) Array.Resize(ref bytes, bytes.Length - 1); // no pad byte after a streamed chunk
        var clip = WavReader.Read(bytes, "streamed.wav");
        Assert.Equal(3, clip.Frames);
        Assert.Equal(Enumerable.Range(1, 6).Select(v => v / 32768f), clip.Samples);
    }

    [Fact]
    public void ExtensibleTwentyFourBitWithTwentyValidBits()
    {
        // Samples 0x7FFFF0, -0x800000, 0x000010 in 24-bit containers (20 valid bits, left-justified).
        byte[] data = [0xF0, 0xFF, 0x7F, 0x00, 0x00, 0x80, 0x10, 0x00, 0x00];
        var clip = WavReader.Read(BuildWav(("fmt ", ExtensibleFmt(1, 3, 96000, 24, 20), null), ("data", data, null)), "ext.wav");
        Assert.Equal(new[] { 0x7FFFF0 / 8388608f, -1f, 16 / 8388608f }, clip.Samples);
        Assert.Equal((3, 1, 20), (clip.Channels, clip.Frames, clip.BitsPerSample));
    }

    [Fact]
    public void EightBitIsUnsignedAndThirtyTwoBitIntAndDoubleScale()
    {
        var u8 = WavReader.Read(BuildWav(("fmt ", Fmt(1, 1, 8000, 8), null), ("data", [0, 128, 255], null)), "u8.wav");
        Assert.Equal(new[] { -1f, 0f, 127 / 128f }, u8.Samples);
        var s32 = WavReader.Read(BuildWav(("fmt ", Fmt(1, 1, 8000, 32), null),
            ("data", [.. BitConverter.GetBytes(int.MinValue), .. BitConverter.GetBytes(1 << 30)], null)), "s32.wav");
        Assert.Equal(new[] { -1f, 0.5f }, s32.Samples);
        var f64 = WavReader.Read(BuildWav(("fmt ", ExtensibleFmt(3, 1, 8000, 64, 64), null),
            ("data", [.. BitConverter.GetBytes(0.25), .. BitConverter.GetBytes(-3.0)], null)), "f64.wav");
        Assert.Equal(new[] { 0.25f, -3f }, f64.Samples);
    }

    [Fact]
    public void Rf64DataSizeComesFromDs64()
    {
        // RF64 (EBU Tech 3306): sizes of 0xFFFFFFFF, the real data size in the ds64 chunk.
        var ds64 = new byte[28];
        BinaryPrimitives.WriteUInt64LittleEndian(ds64.AsSpan(8), 4); // data size: 2 samples of 16 bits
        var bytes = BuildWav(("ds64", ds64, null), ("fmt ", Fmt(1, 1, 8000, 16), null), ("data", Pcm16(7, 8, 9), 0xFFFFFFFF));
        "RF64"u8.CopyTo(bytes);
        Assert.Equal(new[] { 7 / 32768f, 8 / 32768f }, WavReader.Read(bytes, "rf64.wav").Samples);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteFloatsAreRefused(float bad)
    {
        var bytes = BuildWav(("fmt ", Fmt(3, 2, 8000, 32), null), ("data", new[] { 0f, 0.5f, 0.25f, bad }.SelectMany(BitConverter.GetBytes).ToArray(), null));
        var error = Assert.Throws<AudioFormatException>(() => WavReader.Read(bytes, "nan.wav"));
        Assert.Equal("nan.wav", error.FileName);
        Assert.Contains("frame 1, channel 1", error.Reason);
    }

    [Fact]
    public void DoubleTooLargeForFloatIsRefused()
    {
        var bytes = BuildWav(("fmt ", Fmt(3, 1, 8000, 64), null), ("data", BitConverter.GetBytes(1e300), null));
        Assert.Throws<AudioFormatException>(() => WavReader.Read(bytes, "huge.wav"));
    }

    [Theory]
    [InlineData("", "truncated header: 0 bytes")]
    [InlineData("RIFF\x24\0\0\0WAV", "truncated header: 11 bytes")]
    [InlineData("RIFX\x24\0\0\0WAVEfmt ", "expected \"RIFF\"")]
    public void BrokenHeadersNameTheReason(string content, string reason)
    {
        var error = Assert.Throws<AudioFormatException>(() => WavReader.Read(System.Text.Encoding.Latin1.GetBytes(content), "bad.wav"));
        Assert.Contains(reason, error.Reason);
        Assert.StartsWith("bad.wav: ", error.Message);
    }

    [Fact]
    public void StructuralErrorsNameTheReason()
    {
        string Reason(byte[] bytes) => Assert.Throws<AudioFormatException>(() => WavReader.Read(bytes, "x.wav")).Reason;
        Assert.Contains("zero channels", Reason(BuildWav(("fmt ", Fmt(1, 0, 8000, 16), null), ("data", Pcm16(1), null))));
        Assert.Contains("no fmt chunk", Reason(BuildWav(("data", Pcm16(1), null))));
        Assert.Contains("no data chunk", Reason(BuildWav(("fmt ", Fmt(1, 1, 8000, 16), null))));
        Assert.Contains("12 bits", Reason(BuildWav(("fmt ", Fmt(1, 1, 8000, 12), null), ("data", Pcm16(1), null))));
        Assert.Contains("sample rate 0", Reason(BuildWav(("fmt ", Fmt(1, 1, 0, 16), null), ("data", Pcm16(1), null))));
        Assert.Contains("0x0002", Reason(BuildWav(("fmt ", Fmt(2, 1, 8000, 4), null), ("data", Pcm16(1), null))));
    }

    [Theory]
    [InlineData("pcm_u8")]
    [InlineData("pcm_s16le")]
    [InlineData("pcm_s24le")]
    [InlineData("pcm_s32le")]
    [InlineData("pcm_f32le")]
    [InlineData("pcm_f64le")]
    public void FfmpegWrittenWavsMatchFfmpegsOwnFloatConversion(string codec)
    {
        if (ExternalTools.FfmpegPath is null) Assert.Skip("ffmpeg is not installed");
        var wav = ExternalTools.Run(ExternalTools.FfmpegPath, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=22050:duration=0.2",
            "-af", "pan=3c|c0=c0|c1=-0.5*c0|c2=0.9*c0", "-c:a", codec, "-f", "wav", "-");
        var path = Path.Combine(Path.GetTempPath(), $"sentire-{Guid.NewGuid():N}.wav");
        try
        {
            File.WriteAllBytes(path, wav);
            var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
                ExternalTools.Run(ExternalTools.FfmpegPath, "-v", "error", "-i", path, "-f", "f32le", "-")).ToArray();
            var clip = AudioFile.Read(path);
            Assert.Equal((22050, 3, AudioContainer.Wav), (clip.SampleRate, clip.Channels, clip.Container));
            Assert.Equal(expected, clip.Samples);
        }
        finally { File.Delete(path); }
    }
}
