using System.Text.Json;

namespace Sentire.Audio.Corpus;

/// <summary>A manifest line that does not follow the schema of shared/corpora/README.md.</summary>
public sealed class ManifestFormatException(string filePath, int lineNumber, string problem)
    : FormatException($"{filePath}:{lineNumber}: {problem}")
{
    public string FilePath { get; } = filePath;

    /// <summary>1-based line number in <see cref="FilePath"/>.</summary>
    public int LineNumber { get; } = lineNumber;
}

/// <summary>Reads a corpus <c>manifest.jsonl</c>: one JSON object per line, keys
/// id, path, duration, corpus, language (required) and speaker, gender, emotion, emotion_raw,
/// intensity, arousal_level (BAVED: low / normal / high), transcript, caption, text_id, and the numbers arousal, valence, dominance in [0, 1] (left out when unknown). Unknown keys, wrong types,
/// labels outside the normalised sets and repeated ids are errors naming the file and line.</summary>
public static class ManifestReader
{
    public const string FileName = "manifest.jsonl";

    static readonly string[] RequiredKeys = ["id", "path", "duration", "corpus", "language"];

    /// <summary>Reads <paramref name="manifestPath"/>; audio paths are resolved against its folder.</summary>
    public static IReadOnlyList<Utterance> Read(string manifestPath)
    {
        var fullPath = Path.GetFullPath(manifestPath);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"Corpus manifest not found: {fullPath}", fullPath);
        var folder = Path.GetDirectoryName(fullPath)!;
        var utterances = new List<Utterance>();
        var firstLineOfId = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(fullPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var utterance = ParseLine(line, folder, fullPath, lineNumber);
            if (!firstLineOfId.TryAdd(utterance.Id, lineNumber))
                throw new ManifestFormatException(fullPath, lineNumber,
                    $"id '{utterance.Id}' repeats the id of line {firstLineOfId[utterance.Id]}");
            utterances.Add(utterance);
        }
        return utterances;
    }

    static Utterance ParseLine(string line, string folder, string file, int lineNumber)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(line); }
        catch (JsonException e)
        {
            throw new ManifestFormatException(file, lineNumber, $"not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ManifestFormatException(file, lineNumber, $"expected a JSON object, found {root.ValueKind}");

            var strings = new Dictionary<string, string>(StringComparer.Ordinal);
            double? duration = null;
            var dimensions = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "duration":
                        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var seconds))
                            throw new ManifestFormatException(file, lineNumber,
                                $"'duration' must be a number of seconds, found {property.Value.ValueKind} {property.Value.GetRawText()}");
                        if (!(seconds >= 0) || double.IsInfinity(seconds))
                            throw new ManifestFormatException(file, lineNumber, $"'duration' must be >= 0 seconds, found {seconds}");
                        duration = seconds;
                        break;
                    case "arousal" or "valence" or "dominance":
                        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var rating) || !(rating is >= 0 and <= 1))
                            throw new ManifestFormatException(file, lineNumber,
                                $"'{property.Name}' must be a number in [0, 1], found {property.Value.ValueKind} {property.Value.GetRawText()}");
                        if (!dimensions.TryAdd(property.Name, rating))
                            throw new ManifestFormatException(file, lineNumber, $"key '{property.Name}' appears twice");
                        break;
                    case "id" or "path" or "corpus" or "language" or "speaker" or "gender" or "emotion"
                        or "emotion_raw" or "intensity" or "arousal_level" or "transcript" or "caption" or "text_id":
                        if (property.Value.ValueKind != JsonValueKind.String)
                            throw new ManifestFormatException(file, lineNumber,
                                $"'{property.Name}' must be a string, found {property.Value.ValueKind} {property.Value.GetRawText()}");
                        if (!strings.TryAdd(property.Name, property.Value.GetString()!))
                            throw new ManifestFormatException(file, lineNumber, $"key '{property.Name}' appears twice");
                        break;
                    default:
                        throw new ManifestFormatException(file, lineNumber,
                            $"unknown key '{property.Name}' (expected id, path, duration, corpus, language, speaker, gender, " +
                            "emotion, emotion_raw, intensity, arousal_level, transcript, caption, text_id, arousal, valence, dominance)");
                }
            }

            var missing = RequiredKeys.Where(k => k == "duration" ? duration is null : !strings.ContainsKey(k)).ToArray();
            if (missing.Length > 0)
                throw new ManifestFormatException(file, lineNumber, $"missing required key(s): {string.Join(", ", missing)}");

            var id = strings["id"];
            var corpus = strings["corpus"];
            if (!id.StartsWith(corpus + "/", StringComparison.Ordinal))
                throw new ManifestFormatException(file, lineNumber, $"id '{id}' must start with its corpus '{corpus}/'");
            var relativePath = strings["path"];
            if (Path.IsPathRooted(relativePath))
                throw new ManifestFormatException(file, lineNumber, $"path '{relativePath}' must be relative to the corpus folder");

            var speaker = strings.GetValueOrDefault("speaker");
            if (speaker is not null && !speaker.StartsWith(corpus + "/", StringComparison.Ordinal))
                throw new ManifestFormatException(file, lineNumber, $"speaker '{speaker}' must start with its corpus '{corpus}/'");

            Gender? gender = strings.GetValueOrDefault("gender") switch
            {
                null => null,
                "female" => Gender.Female,
                "male" => Gender.Male,
                var other => throw new ManifestFormatException(file, lineNumber, $"gender '{other}' is not 'female' or 'male'"),
            };

            var emotion = strings.GetValueOrDefault("emotion");
            if (emotion is not null && !EmotionLabels.Normalised.Contains(emotion))
                throw new ManifestFormatException(file, lineNumber,
                    $"emotion '{emotion}' is not a normalised label ({string.Join(", ", EmotionLabels.Normalised)})");

            var arousalLevel = strings.GetValueOrDefault("arousal_level") switch
            {
                null => (ArousalLevel?)null,
                "low" => ArousalLevel.Low,
                "normal" => ArousalLevel.Normal,
                "high" => ArousalLevel.High,
                var other => throw new ManifestFormatException(file, lineNumber, $"arousal_level '{other}' is not 'low', 'normal' or 'high'"),
            };

            return new Utterance(
                Id: id,
                AudioPath: Path.GetFullPath(Path.Combine(folder, relativePath)),
                DurationSeconds: duration!.Value,
                Corpus: corpus,
                Language: strings["language"],
                Speaker: speaker,
                Gender: gender,
                Emotion: emotion,
                EmotionRaw: strings.GetValueOrDefault("emotion_raw"),
                Intensity: strings.GetValueOrDefault("intensity"),
                Transcript: strings.GetValueOrDefault("transcript"),
                Caption: strings.GetValueOrDefault("caption"),
                TextId: strings.GetValueOrDefault("text_id"),
                ArousalLevel: arousalLevel,
                Arousal: dimensions.TryGetValue("arousal", out var a) ? a : null,
                Valence: dimensions.TryGetValue("valence", out var v) ? v : null,
                Dominance: dimensions.TryGetValue("dominance", out var d) ? d : null);
        }
    }
}
