using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>
/// Every corpus FLAC file must decode bit-identically to ffmpeg (<c>-f s16le</c>). Files go in chunks of 200:
/// ffmpeg decodes the next chunk while ours decodes and compares the current one, so memory stays bounded.
/// </summary>
public sealed class FlacCorpusTests(ITestOutputHelper output)
{
    const int ChunkSize = 200;

    [Fact]
    public async Task CorpusFilesDecodeLikeFfmpeg()
    {
        if (RepoPaths.Shared is null) Assert.Skip("../shared/corpora not found (set SENTIRE_SHARED)");
        if (!ExternalTools.Ffmpeg.IsAvailable) Assert.Skip("ffmpeg is not installed");
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Shared, "corpora"), "*.flac", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        var chunks = files.Chunk(ChunkSize).ToArray();
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        var next = Task.Run(() => ExternalTools.Ffmpeg.DecodeIntegers(chunks[0], 16));
        for (int h = 0; h < chunks.Length; h++)
        {
            var expected = await next;
            if (h + 1 < chunks.Length) { var following = chunks[h + 1]; next = Task.Run(() => ExternalTools.Ffmpeg.DecodeIntegers(following, 16)); }
            Parallel.For(0, chunks[h].Length, i =>
            {
                var file = chunks[h][i];
                var pcm = FlacDecoder.DecodeInt(File.ReadAllBytes(file), file);
                if (pcm.Info.BitsPerSample != 16 || !pcm.Samples.AsSpan().SequenceEqual(expected[i]))
                    mismatches.Add($"{file}: {pcm.Samples.Length} samples of {pcm.Info.BitsPerSample} bits, ffmpeg {expected[i].Length}");
            });
        }
        Assert.Empty(mismatches);
        output.WriteLine($"all {files.Length} corpus files identical to ffmpeg");
    }
}
