using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Models.Speech;

namespace Sentire.Training.Data;

/// <summary>A labelled clip ready for training: its manifest entry, label index, gender index and log-mel frames.</summary>
public sealed record EmotionClip(Utterance Utterance, int Label, int Gender, FeatureMatrix LogMel);

/// <summary>
/// The labelled clips of the chosen corpora, decoded and turned into log-mel frames once and kept in memory
/// (a few hundred MB for every corpus here), so epochs cost only the model. Clips whose emotion is not in the
/// label vocabulary, or whose gender is unknown, are left out and counted.
/// </summary>
public sealed class EmotionClipSet
{
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<EmotionClip> Clips { get; }
    public int SkippedUnlabelled { get; }

    EmotionClipSet(IReadOnlyList<string> labels, IReadOnlyList<EmotionClip> clips, int skipped)
    {
        Labels = labels;
        Clips = clips;
        SkippedUnlabelled = skipped;
    }

    public static IReadOnlyList<string> Genders { get; } = ["female", "male"];

    public static EmotionClipSet Load(IReadOnlyList<Utterance> utterances, IReadOnlyList<string> labels, LogMelFrontEnd frontEnd, IProgress<int>? progress = null)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var usable = utterances.Where(u => u.Emotion is { } e && index.ContainsKey(e) && u.Gender is not null).ToList();
        var clips = new EmotionClip[usable.Count];
        int done = 0;
        Parallel.For(0, usable.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var u = usable[i];
            var features = frontEnd.LogMel(AudioFile.Read(u.AudioPath));
            clips[i] = new EmotionClip(u, index[u.Emotion!], u.Gender == Gender.Female ? 0 : 1, features);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new EmotionClipSet(labels, clips, utterances.Count - usable.Count);
    }

    /// <summary>The clips of <paramref name="utterances"/> (matched by id, in that order) that this set holds: one decoded set
    /// shared by many splits (cross-validation folds) instead of decoding every corpus again per split.</summary>
    public EmotionClipSet Subset(IReadOnlyList<Utterance> utterances)
    {
        var byId = Clips.ToDictionary(c => c.Utterance.Id, StringComparer.Ordinal);
        var clips = utterances.Select(u => byId.GetValueOrDefault(u.Id)).OfType<EmotionClip>().ToList();
        return new EmotionClipSet(Labels, clips, utterances.Count - clips.Count);
    }

    /// <summary>The same clips with only the first <paramref name="columns"/> feature columns (e.g. the mel bins of frames
    /// decoded with prosody channels, for a model that reads log-mel alone).</summary>
    public EmotionClipSet LeadingColumns(int columns) =>
        new(Labels, [.. Clips.Select(c => c with { LogMel = c.LogMel.LeadingColumns(columns) })], SkippedUnlabelled);

    /// <summary>Per-bin mean and standard deviation of every frame (the encoder's input normalisation).</summary>
    public (float[] Mean, float[] Std) FeatureStatistics() => FeatureMatrix.ColumnStatistics(Clips.Select(c => c.LogMel));
}
