using Sentire.Audio.Corpus;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Corpus;

public sealed class ManifestReaderTests
{
    const string Good =
        """{"id": "ravdess/03-01-05-02-01-01-12", "path": "audio/03-01-05-02-01-01-12.flac", "duration": 2.389, "corpus": "ravdess", "language": "en", "speaker": "ravdess/12", "gender": "female", "emotion": "angry", "emotion_raw": "05", "intensity": "strong", "transcript": "Kids are talking by the door."}""";

    static string WriteManifest(TempFolder folder, params string[] lines)
    {
        var path = folder.File(ManifestReader.FileName);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Reads_every_field_and_resolves_the_audio_path()
    {
        using var folder = new TempFolder();
        var secap = """{"id": "secap/tx_1", "path": "audio/tx_1.flac", "duration": 6.89, "corpus": "secap", "language": "zh", "transcript": "一年又一年", "caption": "悲伤"}""";
        var utterances = ManifestReader.Read(WriteManifest(folder, Good, "", secap));
        Assert.Equal(2, utterances.Count);
        Assert.Equal(new Utterance("ravdess/03-01-05-02-01-01-12", Path.Combine(folder.Path, "audio", "03-01-05-02-01-01-12.flac"),
            2.389, "ravdess", "en", "ravdess/12", Gender.Female, "angry", "05", "strong", "Kids are talking by the door."), utterances[0]);
        var s = utterances[1];
        Assert.Equal(("secap", "zh", "一年又一年", "悲伤"), (s.Corpus, s.Language, s.Transcript, s.Caption));
        Assert.Null(s.Speaker);
        Assert.Null(s.Gender);
        Assert.Null(s.Emotion);
    }

    [Theory]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess"}""", "missing required key(s): language")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": "1.0", "corpus": "ravdess", "language": "en"}""", "'duration' must be a number of seconds, found String")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en", "emotion": "joy"}""", "emotion 'joy' is not a normalised label")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en", "gender": "f"}""", "gender 'f' is not 'female' or 'male'")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en", "speeker": "ravdess/1"}""", "unknown key 'speeker'")]
    [InlineData("""{"id": "emovo/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en"}""", "id 'emovo/x' must start with its corpus 'ravdess/'")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en", "speaker": "12"}""", "speaker '12' must start with its corpus 'ravdess/'")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": -2, "corpus": "ravdess", "language": "en"}""", "'duration' must be >= 0 seconds, found -2")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en", "arousal": 1.5}""", "'arousal' must be a number in [0, 1], found Number 1.5")]
    [InlineData("""{"id": "ravdess/x", "path": "a.flac", "duration": 1, "corpus": "ravdess", "language": "en", "valence": "high"}""", "'valence' must be a number in [0, 1], found String")]
    [InlineData("""{"id": "baved/x", "path": "a.opus", "duration": 1, "corpus": "baved", "language": "ar", "arousal_level": "medium"}""", "arousal_level 'medium' is not 'low', 'normal' or 'high'")]
    [InlineData("""["ravdess/x"]""", "expected a JSON object, found Array")]
    [InlineData("""{"id": "ravdess/x", """, "not valid JSON")]
    public void Errors_name_the_file_and_line(string badLine, string problem)
    {
        using var folder = new TempFolder();
        var path = WriteManifest(folder, Good.Replace("-12\"", "-11\"").Replace("-12.flac", "-11.flac"), "", badLine);
        var error = Assert.Throws<ManifestFormatException>(() => ManifestReader.Read(path));
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith($"{path}:3: ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Reads_dimensional_ratings_where_given()
    {
        using var folder = new TempFolder();
        var rated = """{"id": "msp/a", "path": "a.flac", "duration": 1, "corpus": "msp", "language": "en", "arousal": 0.75, "valence": 0.25, "dominance": 0}""";
        var partly = """{"id": "msp/b", "path": "b.flac", "duration": 1, "corpus": "msp", "language": "en", "valence": 1}""";
        var u = ManifestReader.Read(WriteManifest(folder, rated, partly));
        Assert.Equal((0.75, 0.25, 0.0), (u[0].Arousal, u[0].Valence, u[0].Dominance));
        Assert.Equal((null, 1.0, null), (u[1].Arousal, u[1].Valence, u[1].Dominance));
    }

    [Fact]
    public void Reads_ordinal_arousal_levels()
    {
        using var folder = new TempFolder();
        string Line(string id, string level) =>
            $$"""{"id": "baved/{{id}}", "path": "audio/{{id}}.opus", "duration": 3.32, "corpus": "baved", "language": "ar", "speaker": "baved/1", "gender": "male", "emotion_raw": "0", "arousal_level": "{{level}}", "transcript": "هذا", "text_id": "w2"}""";
        var u = ManifestReader.Read(WriteManifest(folder, Line("a", "low"), Line("b", "normal"), Line("c", "high"), Good));
        Assert.Equal([ArousalLevel.Low, ArousalLevel.Normal, ArousalLevel.High, null], u.Select(x => x.ArousalLevel));
        Assert.Equal((Path.Combine(folder.Path, "audio", "a.opus"), (string?)null, "w2"), (u[0].AudioPath, u[0].Emotion, u[0].TextId));
    }

    [Fact]
    public void Repeated_id_names_both_lines()
    {
        using var folder = new TempFolder();
        var path = WriteManifest(folder, Good, Good);
        var error = Assert.Throws<ManifestFormatException>(() => ManifestReader.Read(path));
        Assert.Equal(2, error.LineNumber);
        Assert.Contains("repeats the id of line 1", error.Message);
    }

    [Fact]
    public void Shared_corpora_load_with_the_documented_counts()
    {
        if (RepoPaths.Shared is not { } shared) { Assert.Skip("../shared/corpora is absent"); return; }
        var set = CorpusSet.LoadRoot(Path.Combine(shared, "corpora"));
        // Counts from shared/corpora/README.md.
        var stats = set.Stats().ToDictionary(s => s.Corpus);
        Assert.Equal((1194, 20), (stats["ravdess"].Clips, stats["ravdess"].Speakers));
        Assert.Equal((588, 6), (stats["emovo"].Clips, stats["emovo"].Speakers));
        Assert.Equal((500, 0), (stats["secap"].Clips, stats["secap"].Speakers));
        Assert.Equal((400, 29), (stats["urdu"].Clips, stats["urdu"].Speakers));
        Assert.Equal((702, 14), (stats["ased"].Clips, stats["ased"].Speakers));
        Assert.Equal((3402, 7), (stats["nemo"].Clips, stats["nemo"].Speakers));
        Assert.Equal((2800, 2), (stats["tess"].Clips, stats["tess"].Speakers));
        Assert.Equal((1525, 50), (stats["baved"].Clips, stats["baved"].Speakers));
        Assert.Empty(stats["baved"].Emotions);
        Assert.All(set.Utterances.Where(u => u.Corpus == "baved"), u => Assert.NotNull(u.ArousalLevel));
        Assert.Equal(["neutral", "happy", "sad", "angry", "fearful", "surprised"], stats["nemo"].Emotions.Select(e => e.Emotion));
        Assert.Equal(0.79, stats["ravdess"].Hours, 2);
        Assert.Equal(["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
            stats["ravdess"].Emotions.Select(e => e.Emotion));
        Assert.All(set.Utterances.Take(50), u => Assert.True(File.Exists(u.AudioPath), u.AudioPath));
    }

    [Fact]
    public void Filters_by_corpus_language_and_emotion()
    {
        var set = new CorpusSet([
            Fake.Utterance("a/1", "a", "s1", "happy", "en"),
            Fake.Utterance("a/2", "a", "s1", "sad", "en"),
            Fake.Utterance("b/1", "b", "s2", "happy", "it"),
            Fake.Utterance("b/2", "b", null, null, "it"),
        ]);
        Assert.Equal(["b/1", "b/2"], set.Where(new CorpusFilter(Corpora: new HashSet<string> { "b" })).Utterances.Select(u => u.Id));
        Assert.Equal(["a/1", "a/2"], set.Where(new CorpusFilter(Languages: new HashSet<string> { "en" })).Utterances.Select(u => u.Id));
        Assert.Equal(["a/1", "b/1"], set.Where(new CorpusFilter(Emotions: new HashSet<string> { "happy" })).Utterances.Select(u => u.Id));
        Assert.Equal(3, set.Where(new CorpusFilter(RequireSpeaker: true)).Count);
    }
}

/// <summary>Utterances for tests that never touch audio.</summary>
internal static class Fake
{
    public static Utterance Utterance(string id, string corpus, string? speaker, string? emotion, string language = "en") =>
        new(id, "/nonexistent/" + id + ".flac", 1.0, corpus, language, speaker is null ? null : corpus + "/" + speaker, null, emotion);
}
