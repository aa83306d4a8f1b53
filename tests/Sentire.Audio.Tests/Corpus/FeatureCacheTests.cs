using Sentire.Audio.Corpus;
using Sentire.Audio.Dsp;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Corpus;

public sealed class FeatureCacheTests
{
    /// <summary>Three utterances with small files on disk; features depend on the file content and a scale factor.</summary>
    static (TempFolder Folder, Utterance[] Utterances) MakeCorpus()
    {
        var folder = new TempFolder();
        var utterances = Enumerable.Range(0, 3).Select(i =>
        {
            var path = folder.File($"clip{i}.bin");
            File.WriteAllBytes(path, Enumerable.Range(0, 4 + i).Select(b => (byte)(10 * i + b)).ToArray());
            return new Utterance($"toy/clip{i}", path, 1.0, "toy", "en");
        }).ToArray();
        return (folder, utterances);
    }

    /// <summary>(bytes × 2) matrix: byte value and scale × byte value.</summary>
    static Func<Utterance, FeatureMatrix> Extractor(float scale, List<string> calls) => u =>
    {
        calls.Add(u.Id);
        var bytes = File.ReadAllBytes(u.AudioPath);
        var m = new FeatureMatrix(bytes.Length, 2);
        for (var r = 0; r < bytes.Length; r++) { m[r, 0] = bytes[r]; m[r, 1] = scale * bytes[r]; }
        return m;
    };

    [Fact]
    public void Built_once_then_read_from_disk_with_the_same_values()
    {
        var (folder, utterances) = MakeCorpus();
        using var _ = folder;
        var cache = new FeatureCache(folder.File("cache"));
        var calls = new List<string>();
        using (var first = cache.Open("toy", utterances, "toy-v1/scale=2", Extractor(2, calls)))
        {
            Assert.True(first.WasRebuilt);
            Assert.Equal(3, first.Count);
            Assert.Equal((5, 2), first.Shape("toy/clip1"));
            Assert.Equal(new float[] { 10, 20, 11, 22, 12, 24, 13, 26, 14, 28 }, first.Values("toy/clip1").ToArray());
        }
        Assert.Equal(3, calls.Count);
        using (var second = cache.Open("toy", utterances, "toy-v1/scale=2", Extractor(2, calls)))
        {
            Assert.False(second.WasRebuilt);
            Assert.Equal(3, calls.Count); // nothing recomputed
            Assert.Equal(new float[] { 20, 40, 21, 42, 22, 44, 23, 46, 24, 48, 25, 50 }, second.Read("toy/clip2").Data);
            Assert.Throws<KeyNotFoundException>(() => second.Values("toy/clip9"));
        }
        // Only the final file is left: no temporary files.
        Assert.Equal([Path.GetFileName(cache.PathFor("toy", "toy-v1/scale=2"))], Directory.GetFiles(cache.Folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_changed_config_gets_its_own_file()
    {
        var (folder, utterances) = MakeCorpus();
        using var _ = folder;
        var cache = new FeatureCache(folder.File("cache"));
        var calls = new List<string>();
        using (cache.Open("toy", utterances, "toy-v1/scale=2", Extractor(2, calls))) { }
        using var other = cache.Open("toy", utterances, "toy-v1/scale=3", Extractor(3, calls));
        Assert.True(other.WasRebuilt);
        Assert.Equal(6, calls.Count);
        Assert.Equal(new float[] { 0, 0, 1, 3, 2, 6, 3, 9 }, other.Values("toy/clip0").ToArray());
        Assert.NotEqual(cache.PathFor("toy", "toy-v1/scale=2"), cache.PathFor("toy", "toy-v1/scale=3"));
        Assert.Equal(2, Directory.GetFiles(cache.Folder).Length);
    }

    [Fact]
    public void A_changed_audio_file_or_utterance_list_rebuilds()
    {
        var (folder, utterances) = MakeCorpus();
        using var _ = folder;
        var cache = new FeatureCache(folder.File("cache"));
        var calls = new List<string>();
        using (cache.Open("toy", utterances, "k", Extractor(1, calls))) { }
        File.WriteAllBytes(utterances[0].AudioPath, [7, 7]);
        File.SetLastWriteTimeUtc(utterances[0].AudioPath, DateTime.UtcNow.AddMinutes(1));
        using (var changed = cache.Open("toy", utterances, "k", Extractor(1, calls)))
        {
            Assert.True(changed.WasRebuilt);
            Assert.Equal(new float[] { 7, 7, 7, 7 }, changed.Values("toy/clip0").ToArray());
        }
        using (var fewer = cache.Open("toy", utterances[..2], "k", Extractor(1, calls)))
        {
            Assert.True(fewer.WasRebuilt);
            Assert.Equal(2, fewer.Count);
        }
        Assert.Equal(3 + 3 + 2, calls.Count);
    }

    [Fact]
    public void The_key_is_the_audio_content_not_the_path_or_the_file_time()
    {
        var (folder, utterances) = MakeCorpus();
        using var _ = folder;
        var cache = new FeatureCache(folder.File("cache"));
        var calls = new List<string>();
        using (cache.Open("toy", utterances, "k", Extractor(1, calls))) { }
        // The corpus copied elsewhere (new paths, new file times, as a fresh copy of ../shared gets): read, not rebuilt.
        Directory.CreateDirectory(folder.File("copy"));
        var copied = utterances.Select(u =>
        {
            var path = folder.File(Path.Combine("copy", Path.GetFileName(u.AudioPath)));
            File.Copy(u.AudioPath, path);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(1));
            return u with { AudioPath = path };
        }).ToArray();
        using (var reused = cache.Open("toy", copied, "k", Extractor(1, calls))) Assert.False(reused.WasRebuilt);
        Assert.Equal(3, calls.Count);
        // One byte changed, same size and the same file time as before: rebuilt (a size-and-time key would have missed it).
        var time = File.GetLastWriteTimeUtc(copied[1].AudioPath);
        var bytes = File.ReadAllBytes(copied[1].AudioPath);
        bytes[0] ^= 1;
        File.WriteAllBytes(copied[1].AudioPath, bytes);
        File.SetLastWriteTimeUtc(copied[1].AudioPath, time);
        using (var changed = cache.Open("toy", copied, "k", Extractor(1, calls)))
        {
            Assert.True(changed.WasRebuilt);
            Assert.Equal(bytes[0], changed.Values("toy/clip1")[0]);
        }
        // A missing audio file is named.
        var gone = copied[2] with { AudioPath = folder.File("nowhere.bin") };
        var missing = Assert.Throws<FileNotFoundException>(() => cache.Open("toy", [copied[0], copied[1], gone], "k", Extractor(1, calls)));
        Assert.Contains("Audio file of toy/clip2 not found", missing.Message);
    }

    [Fact]
    public void A_failed_rebuild_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        var (folder, utterances) = MakeCorpus();
        using var _ = folder;
        var cache = new FeatureCache(folder.File("cache"));
        var calls = new List<string>();
        using (cache.Open("toy", utterances, "k", Extractor(1, calls))) { }
        var path = cache.PathFor("toy", "k");
        var before = File.ReadAllBytes(path);
        File.WriteAllBytes(utterances[2].AudioPath, [1, 2, 3]); // stale now
        Assert.Throws<InvalidOperationException>(() => cache.Open("toy", utterances, "k",
            u => u.Id == "toy/clip2" ? throw new InvalidOperationException("decoder crashed") : Extractor(1, calls)(u)));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(cache.Folder));
    }

    [Fact]
    public void A_corrupt_file_is_rebuilt()
    {
        var (folder, utterances) = MakeCorpus();
        using var _ = folder;
        var cache = new FeatureCache(folder.File("cache"));
        var calls = new List<string>();
        Directory.CreateDirectory(cache.Folder);
        File.WriteAllText(cache.PathFor("toy", "k"), "not a features file");
        using var cached = cache.Open("toy", utterances, "k", Extractor(1, calls));
        Assert.True(cached.WasRebuilt);
        Assert.Equal(new float[] { 0, 0, 1, 1, 2, 2, 3, 3 }, cached.Values("toy/clip0").ToArray());
    }

    [Fact]
    public void Decoded_audio_of_a_real_corpus_round_trips()
    {
        if (RepoPaths.Shared is not { } shared) { Assert.Skip("../shared/corpora is absent"); return; }
        var utterances = CorpusSet.Load(Path.Combine(shared, "corpora", "ravdess")).Utterances.Take(3).ToArray();
        using var folder = new TempFolder();
        var recipe = FeatureRecipe.DecodedMono(16000);
        using var cached = new FeatureCache(folder.Path).Open("ravdess", utterances, recipe);
        foreach (var u in utterances)
        {
            var direct = recipe.Extract(u);
            Assert.Equal((direct.Rows, 1), cached.Shape(u.Id));
            Assert.Equal(u.DurationSeconds * 16000, direct.Rows, 8.0); // manifest durations have 3 decimals (16 samples)
            Assert.True(direct.Data.AsSpan().SequenceEqual(cached.Values(u.Id)));
        }
    }

    [Fact]
    public void Log_mel_recipe_caches_what_the_extractor_computes_and_keys_on_its_settings()
    {
        if (RepoPaths.Shared is not { } shared) { Assert.Skip("../shared/corpora is absent"); return; }
        var utterances = CorpusSet.Load(Path.Combine(shared, "corpora", "emovo")).Utterances.Take(2).ToArray();
        using var folder = new TempFolder();
        var options = new MelSpectrogramOptions { NMels = 40, HopLength = 160 };
        var recipe = FeatureRecipe.LogMel(options, topDb: 80);
        Assert.NotEqual(recipe.ConfigKey, FeatureRecipe.LogMel(options with { NMels = 64 }, topDb: 80).ConfigKey);
        Assert.NotEqual(recipe.ConfigKey, FeatureRecipe.LogMel(options, topDb: null).ConfigKey);
        using var cached = new FeatureCache(folder.Path).Open("emovo", utterances, recipe);
        foreach (var u in utterances)
        {
            var direct = new LogMelSpectrogram(options, 80).Compute(Sentire.Audio.Decoding.AudioFile.Read(u.AudioPath).Samples);
            Assert.Equal((direct.Rows, 40), cached.Shape(u.Id));
            Assert.True(direct.Data.AsSpan().SequenceEqual(cached.Values(u.Id)));
        }
    }
}
