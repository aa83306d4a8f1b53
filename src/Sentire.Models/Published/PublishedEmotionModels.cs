using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;
using Sentire.Models.FunAsr;
using Sentire.Models.Generation;
using Sentire.Models.HuggingFace;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.Published;

/// <summary>
/// An emotion model as its authors published it (a Hugging Face task head, an ONNX export, ...): one clip of mono
/// samples in, its own outputs out. Each family implements this and registers in <see cref="PublishedEmotionModels.Families"/>;
/// <see cref="PublishedEmotionAnalyzer"/> turns any of them into an <see cref="IEmotionAnalyzer"/>.
/// </summary>
public interface IPublishedEmotionModel
{
    /// <summary>The family's name as users know it, e.g. "Wav2Vec2ForSequenceClassification".</summary>
    string Family { get; }
    /// <summary>Emotion labels (categorical) or dimension names (dimensional), in output order.</summary>
    IReadOnlyList<string> Outputs { get; }
    EmotionOutputKind OutputKind { get; }
    /// <summary>Rate of the mono samples <see cref="Score"/> reads.</summary>
    int SampleRate { get; }
    /// <summary>Logits (categorical) or dimension values of one clip at <see cref="SampleRate"/>, before any normalisation:
    /// the model applies its own preprocessor (e.g. do_normalize).</summary>
    float[] Score(float[] samples);
    /// <summary>What <c>sentire inspect</c> reports beyond family and outputs.</summary>
    PublishedModelFacts Facts { get; }
}

/// <summary>Parameter count, stored and in-memory precision, and the checkpoint's tensors the model did not use.</summary>
/// <param name="Precision">stored dtypes with their share of the checkpoint's elements, e.g. "F16 100%"</param>
/// <param name="MemoryPrecision">how the loaded parameters are held, e.g. "F16 96.3%, F32 3.7%" (null where Sentire does not hold them)</param>
/// <param name="ParameterBytes">bytes the loaded parameters occupy (null where Sentire does not hold them)</param>
public sealed record PublishedModelFacts(long Parameters, string Precision, IReadOnlyList<string> UnusedTensors, string? MemoryPrecision = null, long? ParameterBytes = null)
{
    /// <summary>The facts of a model loaded into Sentire's engine.</summary>
    public static PublishedModelFacts Of(Module model, string storedPrecision, IReadOnlyList<string> unused) =>
        new(model.ParameterCount(), storedPrecision, unused, TensorStores.FormatShares(model.ParameterElementsByType()), model.ParameterBytes());
}

/// <summary>One family of published models: whether a folder is one of its kind, and how to load it.</summary>
/// <param name="Claims">true when the folder's files say it is this family (a load may still refuse it, with the reason)</param>
public sealed record PublishedEmotionFamily(string Name, Func<string, bool> Claims, Func<string, IPublishedEmotionModel> Load);

/// <summary>The families <see cref="EmotionModels.Load"/> tries, in order, after Sentire's own packages.</summary>
public static class PublishedEmotionModels
{
    /// <summary>Hugging Face speech encoders with an utterance head (SpeechClassifier.cs), by config.json model_type.</summary>
    public static readonly PublishedEmotionFamily HuggingFaceSpeech = new("Hugging Face speech classifier",
        folder => HuggingFaceModelType(folder) is { } type && PretrainedSpeechEncoder.ModelTypes.ContainsKey(type),
        folder => new SpeechClassifierModel(SpeechClassifier.Load(folder)));

    /// <summary>emotion2vec / emotion2vec+ as FunASR publishes it (config.yaml with model: Emotion2vec, tokens.txt, model.pt).</summary>
    public static readonly PublishedEmotionFamily Emotion2Vec = new("emotion2vec (FunASR)",
        Emotion2VecModel.IsEmotion2VecFolder, folder => new Emotion2VecPublished(Emotion2VecModel.Load(folder)));

    /// <summary>Any ONNX export: model.onnx with a sentire.json naming its input and outputs, or an audonnx folder (OnnxEmotionModel.cs).</summary>
    public static readonly PublishedEmotionFamily Onnx = new("ONNX model (model.onnx + sentire.json, or an audonnx model.yaml)", OnnxEmotionModel.Claims, OnnxEmotionModel.Load);

    /// <summary>WhisperForAudioClassification (Whisper.cs), by config.json model_type "whisper".</summary>
    public static readonly PublishedEmotionFamily Whisper = new("Whisper audio classifier",
        folder => HuggingFaceModelType(folder) == "whisper",
        folder => new WhisperClassifierModel(WhisperForAudioClassification.Load(folder)));

    public static IReadOnlyList<PublishedEmotionFamily> Families { get; } = [Onnx, HuggingFaceSpeech, Emotion2Vec, Whisper];

    /// <summary>config.json's model_type when the folder has a Hugging Face config (no Sentire "format"), else null.</summary>
    public static string? HuggingFaceModelType(string folder)
    {
        if (!File.Exists(Path.Combine(folder, HfConfig.FileName))) return null;
        var hf = HfConfig.Load(folder);
        return hf.Has("format") ? null : hf.String("model_type", "");
    }

    /// <summary>The family that claims <paramref name="folder"/>, or null.</summary>
    public static PublishedEmotionFamily? Find(string folder) => Families.FirstOrDefault(f => f.Claims(folder));
}

/// <summary>A <see cref="SpeechClassifier"/> as a published emotion model.</summary>
public sealed class SpeechClassifierModel(SpeechClassifier model) : IPublishedEmotionModel
{
    public SpeechClassifier Model => model;
    public string Family => model.Head.Architecture ?? model.Head.Kind.ToString();
    public IReadOnlyList<string> Outputs => model.Head.Labels;
    public EmotionOutputKind OutputKind => model.Head.Output;
    public int SampleRate => model.Encoder.SampleRate;
    public float[] Score(float[] samples) => model.Predict(samples);
    public PublishedModelFacts Facts { get; } = PublishedModelFacts.Of(model, model.StoredPrecision, model.UnusedKeys);
}

/// <summary>An <see cref="Emotion2VecModel"/> as a published emotion model (nine categories).</summary>
public sealed class Emotion2VecPublished(Emotion2VecModel model) : IPublishedEmotionModel
{
    public Emotion2VecModel Model => model;
    public string Family => "emotion2vec";
    public IReadOnlyList<string> Outputs => model.Labels;
    public EmotionOutputKind OutputKind => EmotionOutputKind.Categorical;
    public int SampleRate => Emotion2VecModel.SampleRate;
    public float[] Score(float[] samples) => model.Predict(samples);
    public PublishedModelFacts Facts { get; } = PublishedModelFacts.Of(model, model.StoredPrecision, model.UnusedKeys);
}

/// <summary>A <see cref="WhisperForAudioClassification"/> as a published emotion model: one 30 s window per clip.</summary>
public sealed class WhisperClassifierModel(WhisperForAudioClassification model) : IPublishedEmotionModel
{
    public WhisperForAudioClassification Model => model;
    public string Family => model.Head.Architecture ?? "WhisperForAudioClassification";
    public IReadOnlyList<string> Outputs => model.Head.Labels;
    public EmotionOutputKind OutputKind => model.Head.Output;
    public int SampleRate => WhisperFeatureExtractor.SampleRate;
    public float[] Score(float[] samples) => model.Predict(samples);
    public PublishedModelFacts Facts { get; } = PublishedModelFacts.Of(model, model.StoredPrecision, model.UnusedKeys);
}

/// <summary>
/// Any <see cref="IPublishedEmotionModel"/> behind <see cref="IEmotionAnalyzer"/>. A categorical model reports softmax
/// probabilities over its own labels (most probable first); a dimensional one reports arousal, valence and dominance
/// and no emotions. These are closed-set models: a label list or prompt template is an error (zero-shot is a CLAP
/// feature). Files follow <see cref="FileSegmentation"/>; the overall prediction of a long recording is the mean of
/// its segments' probabilities or dimensions.
/// </summary>
public sealed class PublishedEmotionAnalyzer : IEmotionAnalyzer
{
    readonly Conditioner conditioner;

    public PublishedEmotionAnalyzer(IPublishedEmotionModel model, string name)
    {
        Model = model;
        Name = name;
        conditioner = new Conditioner(new ConditioningOptions { SampleRate = model.SampleRate });
        if (model.OutputKind == EmotionOutputKind.Dimensional)
        {
            var names = model.Outputs.Select(o => o.ToLowerInvariant()).ToList();
            dimensionIndex = SpeechHeadConfig.DimensionNames.Select(d => names.IndexOf(d)).ToArray();
            if (dimensionIndex.Any(i => i < 0))
                throw new InvalidDataException($"{name}: a dimensional model's outputs are {string.Join(", ", model.Outputs)}, expected arousal, dominance and valence");
        }
    }

    readonly int[] dimensionIndex = [];

    public IPublishedEmotionModel Model { get; }
    public string Name { get; }
    public IReadOnlyList<string> Labels => Model.OutputKind == EmotionOutputKind.Categorical ? Model.Outputs : [];
    public int SampleRate => Model.SampleRate;
    public bool HasDimensions => Model.OutputKind == EmotionOutputKind.Dimensional;
    public string? DimensionsProblem => HasDimensions ? null : $"{Name} is a categorical {Model.Family}: it has no arousal/valence/dominance outputs";
    /// <summary>A categorical published model has no dimensions by design: nothing to warn about.</summary>
    public string? DimensionsWarning => null;

    /// <summary>Loads a published model folder of any registered family under the folder's name.</summary>
    public static PublishedEmotionAnalyzer Load(string folder, PublishedEmotionFamily family) =>
        new(family.Load(folder), Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))));

    public EmotionPrediction Analyze(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null)
    {
        CheckClosedSet(labels, promptTemplate);
        var samples = conditioner.Apply(clip);
        return Prediction(0, (double)samples.Length / SampleRate, Model.Score(samples));
    }

    public FileAnalysis AnalyzeFile(string path, IReadOnlyList<string>? labels = null, string? promptTemplate = null, Tensors.TensorArena? arena = null)
    {
        CheckClosedSet(labels, promptTemplate);
        return FileSegmentation.AnalyzeFile(path, conditioner, (samples, _) => Prediction(0, (double)samples.Length / SampleRate, Model.Score(samples)), () => new Timeline(this), arena);
    }

    public FileAnalysis AnalyzeClip(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null)
    {
        CheckClosedSet(labels, promptTemplate);
        return FileSegmentation.Analyze(clip.Source, conditioner.Apply(clip), SampleRate, (samples, _) => Prediction(0, (double)samples.Length / SampleRate, Model.Score(samples)),
            () => new Timeline(this), clip.Truncation);
    }

    /// <summary>Segments scored one by one; the overall prediction is the mean of their values (probabilities or
    /// dimensions), summed in time order as <see cref="Enumerable.Average{TSource}(IEnumerable{TSource}, Func{TSource, double})"/>.</summary>
    sealed class Timeline(PublishedEmotionAnalyzer analyzer) : ISegmentTimeline
    {
        double[]? sum;
        int count;

        public EmotionPrediction Add(Audio.Segmentation.Segment segment, float[] samples)
        {
            var values = analyzer.Values(analyzer.Model.Score(samples));
            sum ??= new double[values.Length];
            for (var k = 0; k < sum.Length; k++) sum[k] = count == 0 ? values[k] : sum[k] + values[k];
            count++;
            return analyzer.FromValues(segment.StartSeconds, segment.EndSeconds, values);
        }

        public EmotionPrediction Overall(double durationSeconds)
        {
            if (sum is null) throw new InvalidOperationException("no segment was scored");
            return analyzer.FromValues(0, durationSeconds, sum.Select(v => v / count).ToArray());
        }
    }

    public string? RequestProblem(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        try { CheckClosedSet(labels, promptTemplate); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    EmotionPrediction Prediction(double start, double end, float[] raw) => FromValues(start, end, Values(raw));

    /// <summary>Probabilities (categorical) or the raw dimensions: the quantities that average over segments.</summary>
    double[] Values(float[] raw)
    {
        if (raw.Length != Model.Outputs.Count)
            throw new InvalidOperationException($"{Name}: the model gave {raw.Length} outputs, its config names {Model.Outputs.Count}");
        return HasDimensions ? raw.Select(v => (double)v).ToArray() : LogitsProcessors.Softmax(raw);
    }

    EmotionPrediction FromValues(double start, double end, double[] values)
    {
        if (HasDimensions)
            return new EmotionPrediction(start, end, [], new EmotionDimensions(values[dimensionIndex[0]], values[dimensionIndex[2]], values[dimensionIndex[1]]));
        var emotions = Model.Outputs.Select((l, i) => new EmotionScore(l, values[i])).OrderByDescending(s => s.Probability).ToList();
        return new EmotionPrediction(start, end, emotions);
    }

    void CheckClosedSet(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        if (labels is not null)
            throw new ArgumentException($"{Name} is a closed-set {Model.Family} with fixed {(HasDimensions ? "outputs" : "labels")} ({string.Join(", ", Model.Outputs)}): it takes no label list (zero-shot labels need a CLAP model)");
        if (promptTemplate is not null)
            throw new ArgumentException($"{Name} is a closed-set {Model.Family}: it takes no prompt template (zero-shot prompts need a CLAP model)");
    }
}
