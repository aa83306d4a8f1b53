using System.Text.Json;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Audio.Segmentation;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Published;
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
    /// <summary>A missing arousal/valence/dominance worth a warning (a stale or untrained head); null when they are there
    /// or the model never had them (an Emo-CLAP package without a head, a categorical published model).</summary>
    string? DimensionsWarning => DimensionsProblem;

    /// <summary>Probabilities over <paramref name="labels"/> (default <see cref="Labels"/>) of one clip.</summary>
    /// <param name="promptTemplate">zero-shot prompt with {label}; a model that is not zero-shot rejects it.</param>
    EmotionPrediction Analyze(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null);

    /// <summary>Why this model cannot score <paramref name="labels"/> with <paramref name="promptTemplate"/> (a repeated
    /// label, a label a fixed-label model does not know, a template without {label}), or null when it can: a caller
    /// checks a request once before a batch instead of failing on every file.</summary>
    string? RequestProblem(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        if (labels is null) return null;
        try { Analysis.LabelList.EnsureValid(labels); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>Decodes and analyses one file under the rules of <see cref="FileSegmentation"/>; with an
    /// <paramref name="arena"/> (one per thread, kept from file to file), each model call runs in a scope of it.</summary>
    FileAnalysis AnalyzeFile(string path, IReadOnlyList<string>? labels = null, string? promptTemplate = null, Tensors.TensorArena? arena = null);

    /// <summary>Analyses a decoded file (an upload, a live stream) as <see cref="AnalyzeFile"/> does; the analysis names it
    /// by the clip's <see cref="AudioClip.Source"/>.</summary>
    FileAnalysis AnalyzeClip(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null);
}

/// <summary>
/// Opens an emotion model folder of any kind: Sentire's own packages by the <c>format</c> of their config.json
/// (Emo-CLAP, student), then the published families of <see cref="PublishedEmotionModels.Families"/> (Hugging Face
/// speech classifiers by config.json <c>model_type</c>, ...), which run as their authors published them.
/// </summary>
public static class EmotionModels
{
    public static IEmotionAnalyzer Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: model folder not found");
        var configPath = Path.Combine(folder, "config.json");
        var format = File.Exists(configPath) ? Format(configPath) : null;
        switch (format)
        {
            case EmotionModelConfig.FormatName: return EmotionRecognizer.Load(folder);
            case StudentModelConfig.FormatName: return StudentRecognizer.Load(folder);
            case not null: throw new InvalidDataException($"{configPath}: format is '{format}', expected '{EmotionModelConfig.FormatName}' or '{StudentModelConfig.FormatName}'");
        }
        if (PublishedEmotionModels.Find(folder) is { } family) return PublishedEmotionAnalyzer.Load(folder, family);
        throw new InvalidDataException(NotAModel(folder, configPath));
    }

    /// <summary>Why no family takes <paramref name="folder"/>.</summary>
    static string NotAModel(string folder, string configPath)
    {
        var families = $"a Sentire package (format '{EmotionModelConfig.FormatName}' or '{StudentModelConfig.FormatName}') or one of: {string.Join("; ", PublishedEmotionModels.Families.Select(f => f.Name))}";
        if (!File.Exists(configPath)) return $"{folder}: not a model folder (no config.json); expected {families}";
        var modelType = PublishedEmotionModels.HuggingFaceModelType(folder);
        return $"{configPath}: no format, and model_type '{modelType}' is not a family Sentire runs (Hugging Face speech: {string.Join(", ", HuggingFace.Speech.PretrainedSpeechEncoder.ModelTypes.Keys)}); expected {families}";
    }

    static string? Format(string configPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }
        catch (JsonException e) { throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>What <c>sentire inspect</c> reports: the model a folder holds, or the exact reason it is refused.</summary>
    public static ModelInspection Inspect(string folder)
    {
        IEmotionAnalyzer model;
        try { model = Load(folder); }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException or ArgumentException)
        {
            return new ModelInspection(folder, null, [], [], null, null, [], e.Message);
        }
        return model switch
        {
            PublishedEmotionAnalyzer p => new ModelInspection(folder, p.Model.Family, p.Labels,
                p.HasDimensions ? p.Model.Outputs : [], p.Model.Facts.Parameters, p.Model.Facts.Precision, p.Model.Facts.UnusedTensors, null)
            { MemoryPrecision = p.Model.Facts.MemoryPrecision, ParameterBytes = p.Model.Facts.ParameterBytes },
            EmotionRecognizer r => new ModelInspection(folder, $"Sentire {EmotionModelConfig.FormatName}", r.Labels,
                r.HasDimensions ? ["arousal", "valence", "dominance"] : [], null, null, [], null),
            _ => new ModelInspection(folder, $"Sentire {StudentModelConfig.FormatName}", model.Labels,
                model.HasDimensions ? ["arousal", "valence", "dominance"] : [], null, null, [], null),
        };
    }
}

/// <summary>A model folder as <c>sentire inspect</c> describes it; <see cref="Refused"/> is set (and the rest empty)
/// when the folder cannot be run.</summary>
/// <param name="Family">e.g. "Wav2Vec2ForSequenceClassification", "Sentire emotion-clap"</param>
/// <param name="Labels">emotion labels of a categorical model</param>
/// <param name="Dimensions">dimension names in output order of a dimensional model</param>
/// <param name="Parameters">parameter count (null where not reported)</param>
/// <param name="Precision">stored dtypes and their shares</param>
/// <param name="UnusedTensors">checkpoint tensors the model does not use</param>
public sealed record ModelInspection(string Folder, string? Family, IReadOnlyList<string> Labels, IReadOnlyList<string> Dimensions,
    long? Parameters, string? Precision, IReadOnlyList<string> UnusedTensors, string? Refused)
{
    /// <summary>How the loaded parameters are held in memory, e.g. "F16 96.3%, F32 3.7%" (null where not reported).</summary>
    public string? MemoryPrecision { get; init; }
    /// <summary>Bytes the loaded parameters occupy (null where not reported).</summary>
    public long? ParameterBytes { get; init; }
}
