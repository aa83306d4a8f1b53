using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Training.Clap;

/// <summary>
/// Pooled hidden states of a frozen pretrained speech encoder, per clip and window, kept in a <see cref="FeatureCache"/>:
/// a clip is cut into the windows <see cref="EmotionRecognizer"/> uses at inference (window_seconds long, short clips
/// tiled, so duration is never a cue), and each window becomes one row of (L + 1) x D floats, every hidden state
/// mean-pooled over its frames (<see cref="PretrainedAudioTower.PooledLayers"/>). The cache key holds the checkpoint's
/// identity (<see cref="PretrainedAudioTower.CheckpointIdentity"/>), the audio conditioning and the windowing, so a
/// changed checkpoint or recipe rebuilds the file instead of reusing stale features.
/// </summary>
public sealed class PretrainedFeatures(PretrainedAudioTower tower, LogMelFrontEndConfig frontEnd, double windowSeconds, double hopFraction)
{
    /// <summary>Windows encoded in one batch: bounds memory for long clips (a 14 s clip has 13 windows of 2 s).</summary>
    const int MaxBatchWindows = 8;

    readonly LogMelFrontEnd conditioner = new(frontEnd);

    /// <summary>Samples per window, as <see cref="EmotionRecognizer.WindowFrames"/> counts them for a waveform encoder.</summary>
    public int Window { get; } = (int)Math.Round(windowSeconds * frontEnd.SampleRate);
    public int Hop => Math.Max(1, (int)(Window * hopFraction));
    public int HiddenStates => tower.LayerCount + 1;

    /// <summary>Everything the cached values depend on.</summary>
    public string ConfigKey => $"pretrained-pooled-layers v1|encoder {PretrainedAudioTower.CheckpointIdentity(tower.Config.Pretrained)}|" +
        $"states {HiddenStates} x {tower.HiddenSize}|conditioning {frontEnd}|window {Window} hop {Hop}";

    /// <summary>Windows x ((L + 1) * D) pooled layers of conditioned mono samples at the encoder's rate.</summary>
    public FeatureMatrix Extract(float[] samples)
    {
        if (frontEnd.SampleRate != tower.SampleRate)
            throw new InvalidOperationException($"audio is conditioned to {frontEnd.SampleRate} Hz but the encoder in '{tower.Config.Pretrained}' expects {tower.SampleRate} Hz");
        var wave = new FeatureMatrix(samples.Length, 1, samples);
        var starts = FixedLengthWindows.Starts(samples.Length, Window, Hop);
        int width = HiddenStates * tower.HiddenSize;
        var result = new FeatureMatrix(starts.Length, width);
        for (int first = 0; first < starts.Length; first += MaxBatchWindows)
        {
            int count = Math.Min(MaxBatchWindows, starts.Length - first);
            var batch = Tensor.Zeros(count, Window);
            for (int i = 0; i < count; i++) FixedLengthWindows.Copy(wave, starts[first + i], Window, batch.Data.Slice(i * Window, Window));
            tower.PooledLayers(batch, null).Data.CopyTo(result.Data.AsSpan(first * width, count * width));
        }
        return result;
    }

    /// <summary>The pooled windows of every utterance, from the cache in <paramref name="cacheFolder"/> (computed there first
    /// when missing or stale), by utterance id.</summary>
    public Dictionary<string, FeatureMatrix> Load(IReadOnlyList<Utterance> utterances, string cacheFolder, IProgress<int>? progress = null)
    {
        var cache = new FeatureCache(cacheFolder);
        var key = ConfigKey;
        var result = new Dictionary<string, FeatureMatrix>(StringComparer.Ordinal);
        int done = 0;
        foreach (var corpus in utterances.GroupBy(u => u.Corpus).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = corpus.ToList();
            using var cached = cache.Open(corpus.Key, items, key, u =>
            {
                var features = Extract(conditioner.Condition(AudioFile.Read(u.AudioPath)));
                progress?.Report(++done);
                return features;
            });
            foreach (var u in items) result[u.Id] = cached.Read(u.Id);
            if (!cached.WasRebuilt) progress?.Report(done += items.Count);
        }
        return result;
    }

    /// <summary>A (B, L + 1, D) batch of pooled layers from rows of cached matrices.</summary>
    public Tensor Batch(IReadOnlyList<(FeatureMatrix Windows, int Row)> picks)
    {
        int width = HiddenStates * tower.HiddenSize;
        var batch = Tensor.Zeros(picks.Count, HiddenStates, tower.HiddenSize);
        for (int b = 0; b < picks.Count; b++) picks[b].Windows.Row(picks[b].Row).CopyTo(batch.Data.Slice(b * width, width));
        return batch;
    }
}
