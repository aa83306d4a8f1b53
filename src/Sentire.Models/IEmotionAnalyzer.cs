using System.Text.Json;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Audio.Segmentation;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Models.Student;

namespace Sentire.Models;

/// <summary>
/// Any shipped emotion model, as analysis, evaluation and reports see it: the zero-shot teacher
/// (<see cref="EmotionRecognizer"/>) and the fixed-label student (<see cref="StudentRecognizer"/>).
/// <code>
/// IEmotionAnalyzer model = EmotionModels.Load("models/emotion-student-tiny");
/// var prediction = model.Analyze(AudioFile.Read("clip.wav"));
/// </code>
/// </summary>
public interface IEmotionAnalyzer
{
    string Name { get; }
    /// <summary>The model's own labels, the default label set.</summary>
    IReadOnlyList<string> Labels { get; }
    /// <summary>Rate of the mono audio the model reads.</summary>
    int SampleRate { get; }
    /// <summary>Whether predictions carry arousal/valence/dominance.</summary>
    bool HasDimensions { get; }
    /// <summary>Why there is no arousal/valence/dominance, for a warning; null when there are.</summary>
    string? DimensionsProblem { get; }

    /// <summary>Probabilities over <paramref name="labels"/> (default <see cref="Labels"/>) of one clip.</summary>
    /// <param name="promptTemplate">zero-shot prompt with {label}; a model that is not zero-shot rejects it.</param>
    EmotionPrediction Analyze(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null);

    /// <summary>Decodes and analyses one file under the rules of <see cref="FileSegmentation"/>.</summary>
    FileAnalysis AnalyzeFile(string path, IReadOnlyList<string>? labels = null, string? promptTemplate = null);
}

/// <summary>Opens a packaged emotion model of either kind by the <c>format</c> of its config.json.</summary>
public static class EmotionModels
{
    public static IEmotionAnalyzer Load(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{folder}: not a model folder (no config.json)", configPath);
        string? format;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            format = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }
        catch (JsonException e) { throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e); }
        return format switch
        {
            EmotionModelConfig.FormatName => EmotionRecognizer.Load(folder),
            StudentModelConfig.FormatName => StudentRecognizer.Load(folder),
            _ => throw new InvalidDataException($"{configPath}: format is '{format ?? "(none)"}', expected '{EmotionModelConfig.FormatName}' or '{StudentModelConfig.FormatName}'"),
        };
    }
}

/// <summary>
/// How every emotion model turns a file into a <see cref="FileAnalysis"/>: audio shorter than <see cref="MinSeconds"/>
/// is reported as too short and audio quieter than <see cref="SilenceDbfs"/> as silent (never given a confident label);
/// recordings longer than <see cref="LongFileSeconds"/> are cut by voice activity into segments of at most
/// <see cref="SegmentSeconds"/>, each scored, plus an overall prediction the model makes from its segments.
/// </summary>
public static class FileSegmentation
{
    public const double MinSeconds = 0.3;
    public const double SilenceDbfs = -60;
    public const double LongFileSeconds = 30, SegmentSeconds = 10;

    /// <param name="samples">the file conditioned to mono at <paramref name="rate"/></param>
    /// <param name="whole">prediction of the whole file (at most <see cref="LongFileSeconds"/>), given the file's YIN track with
    /// default options (made for the prosody summary; a front end may reuse it)</param>
    /// <param name="segmented">the speech segments' predictions and the overall one, given the segments</param>
    public static FileAnalysis Analyze(string path, float[] samples, int rate, Func<PitchTrack, EmotionPrediction> whole,
        Func<IReadOnlyList<Segment>, (IReadOnlyList<EmotionPrediction> Segments, EmotionPrediction Overall)> segmented)
    {
        double duration = (double)samples.Length / rate;
        if (duration < MinSeconds) return new FileAnalysis(path, duration, AnalysisStatus.TooShort, null, []);
        double meanSquare = 0;
        foreach (var v in samples) meanSquare += (double)v * v;
        if (10 * Math.Log10(meanSquare / samples.Length + 1e-20) < SilenceDbfs) return new FileAnalysis(path, duration, AnalysisStatus.Silent, null, []);
        var tracks = ProsodyAnalyzer.Track(samples, rate);
        var prosody = ProsodyAnalyzer.Summarize(tracks, duration);
        var levels = ProsodyLevels.Of(prosody);
        if (duration <= LongFileSeconds) return new FileAnalysis(path, duration, AnalysisStatus.Ok, whole(tracks.Pitch), [], prosody, levels);

        var vad = new EnergyVad(new VadOptions { MaxSegmentSeconds = SegmentSeconds });
        var speech = vad.Detect(samples, rate).Where(s => s.DurationSeconds >= MinSeconds).ToList();
        if (speech.Count == 0) return new FileAnalysis(path, duration, AnalysisStatus.Silent, null, [], prosody, levels);
        var (segments, overall) = segmented(speech);
        return new FileAnalysis(path, duration, AnalysisStatus.Ok, overall, segments, prosody, levels);
    }

    /// <summary>Reads and conditions a file to the model's mono rate.</summary>
    public static float[] Read(string path, LogMelFrontEnd frontEnd) => frontEnd.Condition(AudioFile.Read(path));
}
