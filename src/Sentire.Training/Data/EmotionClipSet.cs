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

    /// <param name="cacheFolder">Where each corpus's frames are kept between runs (<see cref="Frames"/>); null decodes every clip here.</param>
    public static EmotionClipSet Load(IReadOnlyList<Utterance> utterances, IReadOnlyList<string> labels, LogMelFrontEnd frontEnd, IProgress<int>? progress = null,
        string? cacheFolder = null)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var usable = utterances.Where(u => u.Emotion is { } e && index.ContainsKey(e) && u.Gender is not null).ToList();
        var features = Frames(usable, frontEnd, progress, cacheFolder);
        var clips = usable.Select(u => new EmotionClip(u, index[u.Emotion!], u.Gender == Gender.Female ? 0 : 1, features[u.Id])).ToList();
        return new EmotionClipSet(labels, clips, utterances.Count - usable.Count);
    }

    /// <summary>Front-end frames of every utterance, by id. With <paramref name="cacheFolder"/>, each corpus's frames are kept
    /// in a <see cref="FeatureCache"/> file keyed by the front end's settings and the corpus's utterances and audio files,
    /// so the next run with the same clips reads them instead of decoding (the Ogg Opus corpora take minutes through ffmpeg);
    /// pass whole corpora so that every trainer shares one file per corpus.</summary>
    public static Dictionary<string, FeatureMatrix> Frames(IReadOnlyList<Utterance> utterances, LogMelFrontEnd frontEnd, IProgress<int>? progress = null, string? cacheFolder = null)
    {
        int done = 0;
        var features = new Dictionary<string, FeatureMatrix>(StringComparer.Ordinal);
        foreach (var corpus in utterances.GroupBy(u => u.Corpus))
        {
            var members = corpus.ToList();
            if (cacheFolder is null) { foreach (var (u, f) in members.Zip(Decode(members, frontEnd, progress, () => Interlocked.Increment(ref done)))) features[u.Id] = f; continue; }
            // The cache asks for one clip at a time; the first request decodes the whole corpus in parallel.
            FeatureMatrix[]? decoded = null;
            var position = members.Select((u, i) => (u.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
            using var cached = new FeatureCache(cacheFolder).Open(corpus.Key, members, $"emotion-clip-frames v1; {frontEnd.Config}",
                u => (decoded ??= Decode(members, frontEnd, progress, () => Interlocked.Increment(ref done)))[position[u.Id]]);
            foreach (var u in members) features[u.Id] = cached.Read(u.Id);
            if (decoded is null) progress?.Report(done += members.Count);
        }
        return features;
    }

    /// <summary>Front-end frames of each utterance, in order: WAV and FLAC decoded here, other formats (the Ogg Opus corpora)
    /// through ffmpeg in groups of <see cref="FfmpegGroup"/> files per process; groups run in parallel.</summary>
    static FeatureMatrix[] Decode(List<Utterance> utterances, LogMelFrontEnd frontEnd, IProgress<int>? progress, Func<int> count)
    {
        var result = new FeatureMatrix[utterances.Count];
        var groups = Enumerable.Range(0, (utterances.Count + FfmpegGroup - 1) / FfmpegGroup).ToArray();
        Parallel.ForEach(groups, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, g =>
        {
            var members = Enumerable.Range(g * FfmpegGroup, Math.Min(FfmpegGroup, utterances.Count - g * FfmpegGroup)).ToList();
            var viaFfmpeg = members.Where(i => NeedsFfmpeg(utterances[i].AudioPath)).ToList();
            var decoded = FfmpegDecoder.Default.DecodeMany(viaFfmpeg.Select(i => utterances[i].AudioPath).ToList(), FfmpegGroup);
            var byIndex = viaFfmpeg.Select((i, k) => (i, k)).ToDictionary(x => x.i, x => decoded[x.k]);
            foreach (var i in members)
            {
                result[i] = frontEnd.LogMel(byIndex.GetValueOrDefault(i) ?? AudioFile.Read(utterances[i].AudioPath));
                progress?.Report(count());
            }
        });
        return result;
    }

    const int FfmpegGroup = 100;

    static bool NeedsFfmpeg(string path)
    {
        Span<byte> header = stackalloc byte[64];
        using var stream = File.OpenRead(path);
        int n = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return AudioFile.Detect(header[..n]) == AudioContainer.Ffmpeg;
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
