using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.IO;
using Sentire.Tensors;

namespace Sentire.Training.Captions;

/// <summary>One captioned clip. <paramref name="Reference"/> is the caption scored at evaluation (the human caption for
/// SECap; one fixed derived caption for English); <paramref name="TrainingCaptions"/> are the captions a training step
/// draws from (the human caption; several derived paraphrases). <paramref name="Source"/> is "human" or "derived".</summary>
public sealed record CaptionClip(string Id, string AudioPath, string Corpus, string Language, string Split, string Category,
    string Source, string Reference, IReadOnlyList<string> TrainingCaptions, string? Transcript);

/// <summary>Which clips a caption recipe uses and how they are split.</summary>
public sealed class CaptionDataRecipe
{
    /// <summary>Corpora whose labels give DERIVED English captions (emotion, intensity, gender, measured prosody).</summary>
    public List<string> EnglishCorpora { get; init; } = ["ravdess", "emovo", "ased", "urdu"];
    /// <summary>The corpus with human Chinese captions (SECap EMOSpeech clips).</summary>
    public string ChineseCorpus { get; init; } = "secap";
    /// <summary>Held-out speakers (speaker-disjoint): RAVDESS 17-20 were never trained on by the shipped emotion encoders either.</summary>
    public List<string> ValidSpeakers { get; init; } = ["ravdess/17", "ravdess/18"];
    public List<string> TestSpeakers { get; init; } = ["ravdess/19", "ravdess/20"];
    /// <summary>SECap has no speaker ids: clip-disjoint seeded split.</summary>
    public int ChineseValidClips { get; init; } = 50;
    public int ChineseTestClips { get; init; } = 100;
    /// <summary>Derived paraphrases per English training clip (one is drawn per step).</summary>
    public int DerivedParaphrases { get; init; } = 6;
    /// <summary>Longest audio fed to the speech encoder; longer clips are cut (the encoder's position table covers 14 s).</summary>
    public double MaxSeconds { get; init; } = 14.0;
}

/// <summary>
/// The captioning data of both languages with their splits, built once from the corpora (English captions need the
/// prosody of every clip) and kept as captions-&lt;key&gt;.jsonl in the run folder: the exact references the model is
/// evaluated against, each marked human or derived.
/// </summary>
public static class CaptionDataset
{
    public const string Train = "train", Valid = "valid", Test = "test";
    const int SampleRate = 16000;

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string FileName(CaptionDataRecipe recipe, ulong seed)
    {
        var key = JsonSerializer.Serialize(recipe, Json) + seed.ToString(CultureInfo.InvariantCulture);
        return $"captions-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12]}.jsonl";
    }

    /// <summary>Loads the dataset from <paramref name="folder"/>, building and saving it first when missing.</summary>
    public static IReadOnlyList<CaptionClip> LoadOrBuild(string folder, string corporaRoot, CaptionDataRecipe recipe, ulong seed, IProgress<(int Done, int Total)>? progress)
    {
        var path = Path.Combine(folder, FileName(recipe, seed));
        if (File.Exists(path)) return Read(path);
        var clips = Build(corporaRoot, recipe, seed, progress);
        Directory.CreateDirectory(folder);
        var text = string.Join("\n", clips.Select(c => JsonSerializer.Serialize(c, Json))) + "\n";
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));
        return clips;
    }

    public static IReadOnlyList<CaptionClip> Read(string path)
    {
        var clips = new List<CaptionClip>();
        int line = 0;
        foreach (var l in File.ReadLines(path))
        {
            line++;
            if (l.Length == 0) continue;
            try { clips.Add(JsonSerializer.Deserialize<CaptionClip>(l, Json) ?? throw new JsonException("null")); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{line}: not a caption clip ({e.Message})", e); }
        }
        return clips;
    }

    public static IReadOnlyList<CaptionClip> Build(string corporaRoot, CaptionDataRecipe recipe, ulong seed, IProgress<(int Done, int Total)>? progress)
    {
        var english = CorpusSet.Load(recipe.EnglishCorpora.Select(c => Path.Combine(corporaRoot, c))).Utterances
            .Where(u => u.Emotion is { } e && DerivedCaptionGrammar.KnownEmotions.Contains(e)).ToList();
        var chinese = CorpusSet.Load(Path.Combine(corporaRoot, recipe.ChineseCorpus)).Utterances.Where(u => !string.IsNullOrWhiteSpace(u.Caption)).ToList();
        int total = english.Count, done = 0;
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = SampleRate });
        var derived = new CaptionClip[english.Count];
        Parallel.For(0, english.Count, i =>
        {
            var u = english[i];
            var samples = conditioner.Apply(AudioFile.Read(u.AudioPath));
            var levels = ProsodyLevels.Of(ProsodyAnalyzer.Summarize(samples, SampleRate), u.Gender);
            var facts = new CaptionFacts(u.Emotion!, u.Intensity, u.Gender, levels);
            var rng = new Generator(seed ^ StableHash(u.Id));
            var reference = DerivedCaptionGrammar.Generate(facts, rng);
            var paraphrases = Enumerable.Range(0, recipe.DerivedParaphrases).Select(_ => DerivedCaptionGrammar.Generate(facts, rng)).Distinct().ToList();
            string split = recipe.TestSpeakers.Contains(u.Speaker ?? "") ? Test : recipe.ValidSpeakers.Contains(u.Speaker ?? "") ? Valid : Train;
            derived[i] = new CaptionClip(u.Id, u.AudioPath, u.Corpus, "en", split, u.Emotion!, "derived", reference, paraphrases, u.Transcript);
            progress?.Report((Interlocked.Increment(ref done), total));
        });

        var order = chinese.Select(u => u.Id).Order(StringComparer.Ordinal).ToArray();
        new Generator(seed).Shuffle(order.AsSpan());
        var splitOf = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < order.Length; i++)
            splitOf[order[i]] = i < recipe.ChineseTestClips ? Test : i < recipe.ChineseTestClips + recipe.ChineseValidClips ? Valid : Train;
        var human = chinese.Select(u => new CaptionClip(u.Id, u.AudioPath, u.Corpus, "zh", splitOf[u.Id], ChineseCaptionCategories.Of(u.Caption!),
            "human", u.Caption!, [u.Caption!], u.Transcript));
        return [.. derived, .. human];
    }

    /// <summary>FNV-1a of an id: a per-clip seed that does not depend on the order clips are processed in.</summary>
    static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }
}
