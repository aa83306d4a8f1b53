namespace Sentire.Audio.Corpus;

/// <summary>Which utterances to keep; a null set keeps everything on that axis.</summary>
/// <param name="Corpora">Corpus names to keep, e.g. <c>ravdess</c>.</param>
/// <param name="Languages">ISO 639-1 codes to keep.</param>
/// <param name="Emotions">Normalised emotion labels to keep (utterances without a label are dropped when set).</param>
/// <param name="RequireSpeaker">Drop utterances without a speaker id (needed for speaker-disjoint splits).</param>
public sealed record CorpusFilter(
    IReadOnlySet<string>? Corpora = null,
    IReadOnlySet<string>? Languages = null,
    IReadOnlySet<string>? Emotions = null,
    bool RequireSpeaker = false)
{
    public bool Keeps(Utterance utterance) =>
        (Corpora is null || Corpora.Contains(utterance.Corpus))
        && (Languages is null || Languages.Contains(utterance.Language))
        && (Emotions is null || (utterance.Emotion is not null && Emotions.Contains(utterance.Emotion)))
        && (!RequireSpeaker || utterance.Speaker is not null);
}

/// <summary>The utterances of one or many corpus folders (each holding <c>manifest.jsonl</c>), in manifest order,
/// corpora sorted by name.</summary>
public sealed class CorpusSet
{
    public IReadOnlyList<Utterance> Utterances { get; }

    public CorpusSet(IEnumerable<Utterance> utterances)
    {
        Utterances = utterances.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in Utterances)
            if (!seen.Add(u.Id))
                throw new ArgumentException($"utterance id '{u.Id}' appears more than once in the set", nameof(utterances));
    }

    /// <summary>Loads each corpus folder (the folder holding <c>manifest.jsonl</c>).</summary>
    public static CorpusSet Load(params IEnumerable<string> corpusFolders) =>
        new(corpusFolders.SelectMany(folder => ManifestReader.Read(Path.Combine(folder, ManifestReader.FileName))));

    /// <summary>Loads every sub-folder of <paramref name="root"/> that holds a manifest (e.g. shared/corpora).
    /// A folder that is itself a corpus folder loads as that one corpus.</summary>
    public static CorpusSet LoadRoot(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Corpora folder not found: {Path.GetFullPath(root)}");
        if (File.Exists(Path.Combine(root, ManifestReader.FileName))) return Load(root);
        var folders = Directory.GetDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, ManifestReader.FileName)))
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToArray();
        if (folders.Length == 0)
            throw new FileNotFoundException(
                $"No corpus folders under {Path.GetFullPath(root)}: expected sub-folders holding {ManifestReader.FileName}");
        return Load(folders);
    }

    public int Count => Utterances.Count;

    public CorpusSet Where(CorpusFilter filter) => new(Utterances.Where(filter.Keeps));

    /// <summary>Corpus names in the set, sorted.</summary>
    public IReadOnlyList<string> CorpusNames =>
        Utterances.Select(u => u.Corpus).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Per-corpus counts for <c>sentire corpus stats</c>.</summary>
    public IReadOnlyList<CorpusStats> Stats() =>
        Utterances.GroupBy(u => u.Corpus)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CorpusStats(
                g.Key,
                g.Select(u => u.Language).Distinct().Order(StringComparer.Ordinal).ToArray(),
                g.Count(),
                g.Where(u => u.Speaker is not null).Select(u => u.Speaker).Distinct().Count(),
                g.Sum(u => u.DurationSeconds) / 3600.0,
                g.Where(u => u.Emotion is not null)
                    .GroupBy(u => u.Emotion!)
                    .OrderBy(e => EmotionOrder(e.Key))
                    .Select(e => new EmotionCount(e.Key, e.Count()))
                    .ToArray()))
            .ToArray();

    static int EmotionOrder(string label)
    {
        for (var i = 0; i < EmotionLabels.Normalised.Count; i++)
            if (EmotionLabels.Normalised[i] == label) return i;
        return int.MaxValue;
    }
}

/// <summary>Size of one corpus; <see cref="Emotions"/> keeps the order of <see cref="EmotionLabels.Normalised"/>.</summary>
public sealed record CorpusStats(
    string Corpus,
    IReadOnlyList<string> Languages,
    int Clips,
    int Speakers,
    double Hours,
    IReadOnlyList<EmotionCount> Emotions);

public sealed record EmotionCount(string Emotion, int Clips);
