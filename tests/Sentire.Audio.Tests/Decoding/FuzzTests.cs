using System.Buffers.Binary;
using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>
/// Robustness: thousands of seeded mutations (bit flips, truncations, size fields overwritten with huge values,
/// insertions, deletions, header scrambles) of valid WAV and FLAC files must each end in valid audio or an
/// <see cref="AudioFormatException"/> naming the file: never another exception, a hang or a huge allocation.
/// A failure names the seed, so it replays.
/// </summary>
public sealed class FuzzTests
{
    const int MutationsPerFile = 700;
    const long MaxAllocationPerDecode = 64L << 20;

    static IEnumerable<byte[]> WavSeeds()
    {
        var random = new Random(1);
        var stereo = Enumerable.Range(0, 2000).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        yield return WavWriter.ToBytes(new AudioClip(stereo, 16000, 2, "seed"), WavEncoding.Pcm16);
        yield return WavWriter.ToBytes(new AudioClip(stereo, 16000, 4, "seed"), WavEncoding.Float32);
        yield return WavTests.BuildWav(("LIST", [1, 2, 3], null), ("fmt ", WavTests.Fmt(1, 3, 8000, 24), null), ("data", new byte[3 * 3 * 100], null));
        yield return WavTests.BuildWav(("fmt ", WavTests.Fmt(1, 1, 8000, 8), null), ("data", Enumerable.Range(0, 301).Select(i => (byte)i).ToArray(), 0xFFFFFFFF));
    }

    static IEnumerable<byte[]> FlacSeeds()
    {
        yield return File.ReadAllBytes(RepoPaths.Fixture("audio/stereo16-flac8.flac"));
        yield return FlacTestEncoder.Write(FlacDecoderTests.AllFeatureFrames().Take(12).ToList(), 16000, 16);
        var frames = new[] { 17, 300, 1 }.Select((n, i) => new TestFrame([FlacDecoderTests.Signal(n, 24, i)], StereoMode.Independent,
            [n > 2 ? new SubframeCoding.Fixed(2, FiveBitParameters: true) : new SubframeCoding.Verbatim()])).ToList();
        yield return FlacTestEncoder.Write(frames, 44100, 24, variableBlockSize: true);
    }

    static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToArray();
        switch (random.Next(7))
        {
            case 0: // flip a few bits anywhere
                for (int i = random.Next(1, 9); i > 0; i--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length)];
            case 2: // a size-like field overwritten with an extreme value
            {
                uint[] extremes = [0xFFFFFFFF, 0x7FFFFFFF, 0, 0x80000000, 0xFFFF, (uint)random.Next()];
                int at = random.Next(Math.Max(1, Math.Min(bytes.Length - 4, 96)));
                if (at + 4 <= bytes.Length) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), extremes[random.Next(extremes.Length)]);
                return bytes;
            }
            case 3: // insert random bytes
            {
                int at = random.Next(bytes.Length);
                var extra = new byte[random.Next(1, 16)];
                random.NextBytes(extra);
                return [.. bytes[..at], .. extra, .. bytes[at..]];
            }
            case 4: // delete a range
            {
                int at = random.Next(bytes.Length);
                return [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + random.Next(1, 64))..]];
            }
            case 5: // scramble header bytes (where every field is)
                for (int i = random.Next(1, 4); i > 0; i--) bytes[random.Next(Math.Min(bytes.Length, 64))] = (byte)random.Next(256);
                return bytes;
            default: // NaN/Inf patterns written over samples (meaningful for float WAV)
            {
                int at = random.Next(Math.Max(1, bytes.Length - 4));
                if (at + 4 <= bytes.Length) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), random.Next(2) == 0 ? float.NaN : float.NegativeInfinity);
                return bytes;
            }
        }
    }

    static async Task FuzzAsync(IEnumerable<byte[]> seeds, string extension)
    {
        var failures = new List<string>();
        int decoded = 0, refused = 0;
        var work = Task.Run(() =>
        {
            int fileIndex = 0;
            foreach (var original in seeds)
            {
                Assert.Equal(AudioContainer.Wav == AudioFile.Detect(original), extension == "wav"); // seeds are valid
                AudioFile.Read(original, "seed");
                for (int seed = 0; seed < MutationsPerFile; seed++)
                {
                    var name = $"fuzz-{fileIndex}-{seed}.{extension}";
                    var bytes = Mutate(original, new Random(fileIndex * 100_000 + seed));
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        var clip = AudioFile.Read(bytes, name);
                        if (clip.Channels <= 0 || clip.SampleRate <= 0 || clip.Samples.Any(s => !float.IsFinite(s)))
                            failures.Add($"{name}: invalid clip {clip}");
                        decoded++;
                    }
                    catch (AudioFormatException error)
                    {
                        if (error.FileName != name || !error.Message.StartsWith(name)) failures.Add($"{name}: error does not name the file: {error.Message}");
                        refused++;
                    }
                    catch (Exception error)
                    {
                        failures.Add($"{name}: {error.GetType().Name}: {error.Message}");
                    }
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (allocated > MaxAllocationPerDecode) failures.Add($"{name}: allocated {allocated} bytes for a {bytes.Length}-byte file");
                }
                fileIndex++;
            }
        });
        // A guard against hangs, not a speed test: the whole run takes a second or two.
        await work.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(refused > 0 && decoded > 0, $"mutations should both decode and fail: {decoded} decoded, {refused} refused");
    }

    [Fact]
    public Task MutatedWavFilesDecodeOrFailTyped() => FuzzAsync(WavSeeds(), "wav");

    [Fact]
    public Task MutatedFlacFilesDecodeOrFailTyped() => FuzzAsync(FlacSeeds(), "flac");

    [Fact]
    public void HugeFlacClaimsInTinyFilesAllocateNothingLarge()
    {
        var bytes = File.ReadAllBytes(RepoPaths.Fixture("audio/stereo16-flac8.flac"));
        // STREAMINFO total samples (36 bits at byte 8 + 4 + 13.5) set to 2^36 - 1: about 4.3 days at 192 kHz... in 10 kB.
        var info = bytes.AsSpan(8 + 10, 8);
        BinaryPrimitives.WriteUInt64BigEndian(info, BinaryPrimitives.ReadUInt64BigEndian(info) | 0xF_FFFF_FFFF);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt(bytes, "claims.flac"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20);
        Assert.Contains("68719476735", error.Reason);

        // A metadata block claiming 16 MB.
        var block = File.ReadAllBytes(RepoPaths.Fixture("audio/stereo16-flac8.flac"))[..60];
        block[4] = 0x04; block[5] = 0xFF; block[6] = 0xFF; block[7] = 0xFF;
        Assert.Contains("claims 16777215 bytes", Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt(block, "block.flac")).Reason);
    }

    [Fact]
    public void TruncatedFlacSaysHowMuchWasThere()
    {
        var bytes = File.ReadAllBytes(RepoPaths.Fixture("audio/stereo16-flac8.flac"));
        var error = Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt(bytes[..(bytes.Length / 2)], "half.flac"));
        Assert.Contains("truncated", error.Reason);
        Assert.Contains("not a FLAC file", Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt("fLaX"u8.ToArray(), "magic.flac")).Reason);
        Assert.Contains("STREAMINFO", Assert.Throws<AudioFormatException>(() => FlacDecoder.DecodeInt([.. "fLaC"u8, 0x81, 0, 0, 0], "order.flac")).Reason);
    }
}
