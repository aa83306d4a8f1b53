using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>
/// Corpus FLAC files must decode bit-identically to ffmpeg (<c>-f s16le</c>). The test takes every 20th file in
/// ordinal path order (170 of 3384) to stay fast; <c>dotnet run -c Release --project bench/Sentire.Bench --
/// flac-decode --verify</c> checks every file.
/// </summary>
public sealed class FlacCorpusTests(ITestOutputHelper output)
{
    const int SampleEvery = 20;

    [Fact]
    public async Task CorpusFilesDecodeLikeFfmpeg()
    {
        if (RepoPaths.Shared is null) Assert.Skip("../shared/corpora not found (set SENTIRE_SHARED)");
        if (!ExternalTools.Ffmpeg.IsAvailable) Assert.Skip("ffmpeg is not installed");
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Shared, "corpora"), "*.flac", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        var sample = files.Where((_, i) => i % SampleEvery == 0).ToArray();

        // Two halves: ffmpeg decodes one while the other is compared.
        var halves = sample.Chunk((sample.Length + 1) / 2).ToArray();
        var references = halves.Select(half => Task.Run(() => ExternalTools.Ffmpeg.DecodeIntegers(half, 16))).ToArray();
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (int h = 0; h < halves.Length; h++)
        {
            var expected = await references[h];
            Parallel.For(0, halves[h].Length, i =>
            {
                var file = halves[h][i];
                var pcm = FlacDecoder.DecodeInt(File.ReadAllBytes(file), file);
                if (pcm.Info.BitsPerSample != 16 || !pcm.Samples.AsSpan().SequenceEqual(expected[i]))
                    mismatches.Add($"{file}: {pcm.Samples.Length} samples of {pcm.Info.BitsPerSample} bits, ffmpeg {expected[i].Length}");
            });
        }
        Assert.Empty(mismatches);
        output.WriteLine($"{sample.Length} of {files.Length} corpus files identical to ffmpeg");
    }
}
