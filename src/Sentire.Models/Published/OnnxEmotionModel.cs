using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using YamlDotNet.RepresentationModel;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Models.Speech;

namespace Sentire.Models.Published;

/// <summary>What the graph's input holds.</summary>
public enum OnnxEmotionInput
{
    /// <summary>Mono samples at the stated rate, shape (1, samples).</summary>
    Waveform,
    /// <summary>Sentire's log-mel frames (<see cref="LogMelFrontEnd"/>: ln(power mel + floor)), shape (1, frames, n_mels):
    /// what <c>sentire export onnx</c> writes.</summary>
    LogMel,
    /// <summary>Whisper's log-mel features (<see cref="WhisperFeatureExtractor"/>: one 30 s window at 16 kHz, n_mels 80 or
    /// 128, log10, floored at max - 8, (x + 4) / 4), shape (1, n_mels, 3000): an exported Whisper-encoder classifier.</summary>
    WhisperLogMel,
}

/// <summary>Per-utterance input normalisation before the graph.</summary>
public enum OnnxInputNormalization
{
    None,
    /// <summary>(x - mean) / sqrt(var + 1e-7) over the clip: Hugging Face's do_normalize, audEERING's models.</summary>
    Utterance,
}

/// <summary>What the chosen categorical output holds.</summary>
public enum OnnxOutputValues { Logits, Probabilities }

/// <summary>
/// sentire.json beside a model.onnx: the input (name, kind, rate, normalisation, log-mel settings) and the output
/// (name; "labels" for a categorical model, "dimensions" for a dimensional one, in output order; "values" logits or
/// probabilities). Every field is checked on load and errors name the file.
/// <code>
/// {"input": {"name": "signal", "kind": "waveform", "sample_rate": 16000, "normalize": "utterance"},
///  "output": {"name": "logits", "dimensions": ["arousal", "dominance", "valence"]}}
/// {"input": {"kind": "whisper_log_mel", "n_mels": 80}, "output": {"labels": ["angry", "happy", "neutral", "sad"]}}
/// </code>
/// Without sentire.json, an audonnx model.yaml (<see cref="FromAudonnx"/>) says the same for the models audEERING publishes.
/// </summary>
/// <param name="WhisperMels">n_mels of a <see cref="OnnxEmotionInput.WhisperLogMel"/> input</param>
/// <param name="ModelFile">the ONNX file's name in the folder (model.onnx, or model.yaml's path)</param>
public sealed record OnnxEmotionConfig(string? InputName, OnnxEmotionInput Input, int SampleRate, OnnxInputNormalization Normalize,
    LogMelFrontEndConfig? LogMel, string? OutputName, EmotionOutputKind OutputKind, IReadOnlyList<string> Outputs, OnnxOutputValues Values,
    int? WhisperMels = null, string ModelFile = OnnxEmotionModel.ModelFileName)
{
    public const string FileName = "sentire.json";
    public const string AudonnxFileName = "model.yaml";
    /// <summary>The class tag audobject writes at the top of an audonnx model.yaml ("$audonnx.core.model.Model==0.7.0:").</summary>
    public const string AudonnxTag = "$audonnx.core.model.Model";

    public static OnnxEmotionConfig Load(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            InvalidDataException Bad(string problem) => new($"{path}: {problem}");
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Object)
                throw Bad("expected an object with \"input\" and \"output\" objects");

            string? Text(JsonElement e, string key) => e.TryGetProperty(key, out var v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad($"\"{key}\" is a JSON {v.ValueKind}, expected a string") : null;
            int Int(JsonElement e, string key, int fallback) => e.TryGetProperty(key, out var v)
                ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0 ? i : throw Bad($"\"{key}\" is {v}, expected a positive integer") : fallback;
            T Choice<T>(JsonElement e, string key, T fallback) where T : struct, Enum
            {
                var name = Text(e, key);
                if (name is null) return fallback;
                var allowed = Enum.GetNames<T>().ToDictionary(n => Snake(n), n => Enum.Parse<T>(n));
                return allowed.TryGetValue(name, out var value) ? value : throw Bad($"\"{key}\" is \"{name}\", expected one of {string.Join(", ", allowed.Keys)}");
            }

            var kind = Choice(input, "kind", OnnxEmotionInput.Waveform);
            int rate = Int(input, "sample_rate", 16000);
            int? whisperMels = null;
            if (kind == OnnxEmotionInput.WhisperLogMel)
            {
                if (rate != WhisperFeatureExtractor.SampleRate)
                    throw Bad($"\"sample_rate\" is {rate}, but Whisper's log-mel input is computed at {WhisperFeatureExtractor.SampleRate} Hz");
                whisperMels = Int(input, "n_mels", 80);
                if (whisperMels is not (80 or 128)) throw Bad($"\"n_mels\" is {whisperMels}, but Whisper's front end has 80 or 128 mel bins");
                if (input.TryGetProperty("normalize", out _)) throw Bad("\"normalize\" does not apply to Whisper's log-mel input (its own scaling is fixed)");
            }
            LogMelFrontEndConfig? logMel = null;
            if (kind == OnnxEmotionInput.LogMel)
            {
                float floor = input.TryGetProperty("log_floor", out var f) && f.ValueKind == JsonValueKind.Number && f.GetSingle() > 0 ? f.GetSingle()
                    : input.TryGetProperty("log_floor", out _) ? throw Bad("\"log_floor\" must be a positive number") : 1e-6f;
                logMel = new LogMelFrontEndConfig(rate, Int(input, "n_fft", 400), Int(input, "hop_length", 160), Int(input, "n_mels", 80), floor);
            }

            bool hasLabels = output.TryGetProperty("labels", out var labels);
            bool hasDimensions = output.TryGetProperty("dimensions", out var dimensions);
            if (hasLabels == hasDimensions) throw Bad("\"output\" needs exactly one of \"labels\" (categorical) or \"dimensions\" (dimensional)");
            var names = hasLabels ? labels : dimensions;
            if (names.ValueKind != JsonValueKind.Array || names.GetArrayLength() == 0 || names.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
                throw Bad($"\"{(hasLabels ? "labels" : "dimensions")}\" must be a non-empty array of strings");
            var outputs = names.EnumerateArray().Select(n => n.GetString()!).ToList();
            var values = Choice(output, "values", OnnxOutputValues.Logits);
            if (hasDimensions && output.TryGetProperty("values", out _)) throw Bad("\"values\" applies to labels only (dimensions are read as they are)");
            return new OnnxEmotionConfig(Text(input, "name"), kind, rate, Choice(input, "normalize", OnnxInputNormalization.None), logMel,
                Text(output, "name"), hasLabels ? EmotionOutputKind.Categorical : EmotionOutputKind.Dimensional, outputs, values, whisperMels);
        }
    }

    /// <summary>Whether <paramref name="path"/> is an audonnx model.yaml (its first line is the audonnx Model class tag).</summary>
    public static bool IsAudonnx(string path) =>
        File.Exists(path) && File.ReadLines(path).FirstOrDefault(l => l.Trim().Length > 0)?.TrimStart().StartsWith(AudonnxTag, StringComparison.Ordinal) == true;

    /// <summary>
    /// Reads an audonnx model.yaml as audonnx.Model.to_yaml writes it (audeering/audonnx, audonnx/core/model.py):
    /// <code>
    /// $audonnx.core.model.Model==0.7.0:
    ///   path: model.onnx              # the ONNX file beside it
    ///   labels:                       # {output name: [labels]}, or one list for a single-output graph
    ///     logits: [arousal, dominance, valence]
    ///   transform: null               # null: the raw signal is the input; else an audobject feature extractor
    /// </code>
    /// The labelled output is read (exactly one output must carry labels); labels that are arousal, dominance and valence
    /// make a dimensional model, any others a categorical one read as logits. The input is the raw mono signal at
    /// 16 kHz, unnormalised, exactly as audonnx passes it to the graph (audonnx applies nothing but the transform, and
    /// audEERING's models are 16 kHz); a model.yaml with a transform (audsp, opensmile, ...) is refused with its class,
    /// since Sentire cannot run that Python object: such a model takes a sentire.json describing its input.
    /// </summary>
    public static OnnxEmotionConfig FromAudonnx(string path)
    {
        InvalidDataException Bad(string problem) => new($"{path}: {problem}");
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path)) stream.Load(reader);
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m ? m : throw Bad("expected a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException($"{path}: not valid YAML ({e.Message})", e); }
        if (root.Children.Count != 1 || root.Children.First() is not { Key: YamlScalarNode { Value: { } tag }, Value: YamlMappingNode model }
            || !tag.StartsWith(AudonnxTag, StringComparison.Ordinal))
            throw Bad($"expected one \"{AudonnxTag}==<version>\" mapping (an audonnx model), found {string.Join(", ", root.Children.Keys)}");
        YamlNode? Field(string key) => model.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
        static bool IsNull(YamlNode? n) => n is null || n is YamlScalarNode { Value: null or "" or "null" or "~" };

        var file = Field("path") is YamlScalarNode { Value: { Length: > 0 } p } ? p : throw Bad("no \"path\" naming the ONNX file");
        if (Path.IsPathRooted(file) || file.Split('/', '\\').Contains(".."))
            throw Bad($"\"path\" is \"{file}\": expected the ONNX file's name inside the model folder");
        var transform = Field("transform");
        if (!IsNull(transform))
        {
            var kinds = transform is YamlMappingNode t ? t.AllNodes.OfType<YamlScalarNode>().Select(n => n.Value ?? "").Where(v => v.StartsWith('$')).ToList() : [];
            throw Bad($"the model's input is a transform ({(kinds.Count > 0 ? string.Join(", ", kinds) : transform)}), not the raw signal: Sentire cannot run audonnx transforms; describe the input in a {FileName} beside it");
        }

        string? outputName;
        List<string> labels;
        switch (Field("labels"))
        {
            case YamlSequenceNode list:
                (outputName, labels) = (null, Strings(list, "labels"));
                break;
            case YamlMappingNode byOutput:
                var labelled = byOutput.Children.Where(kv => !IsNull(kv.Value)).ToList();
                if (labelled.Count != 1)
                    throw Bad($"labels are given for {(labelled.Count == 0 ? "no output" : $"the outputs {string.Join(", ", labelled.Select(kv => kv.Key))}")}; "
                        + $"exactly one labelled output is read as the emotion output (name it in a {FileName} otherwise)");
                outputName = ((YamlScalarNode)labelled[0].Key).Value;
                labels = labelled[0].Value is YamlSequenceNode seq ? Strings(seq, $"labels of {outputName}") : throw Bad($"labels of {outputName} must be a list");
                break;
            default:
                throw Bad($"no \"labels\": the outputs have no names (write a {FileName} with \"labels\" or \"dimensions\")");
        }
        bool dimensional = labels.Count == SpeechHeadConfig.DimensionNames.Count
            && labels.Select(l => l.ToLowerInvariant()).Order(StringComparer.Ordinal).SequenceEqual(SpeechHeadConfig.DimensionNames);
        return new OnnxEmotionConfig(null, OnnxEmotionInput.Waveform, 16000, OnnxInputNormalization.None, null, outputName,
            dimensional ? EmotionOutputKind.Dimensional : EmotionOutputKind.Categorical, labels, OnnxOutputValues.Logits, null, file);

        List<string> Strings(YamlSequenceNode seq, string what)
        {
            var values = seq.Children.Select(n => n is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Bad($"{what}: {n} is not a label")).ToList();
            if (values.Count == 0) throw Bad($"{what} is empty");
            if (values.Distinct(StringComparer.Ordinal).Count() != values.Count) throw Bad($"{what} repeat a label: {string.Join(", ", values)}");
            return values;
        }
    }

    static string Snake(string pascal) => string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>
/// Any emotion model exported to ONNX, run by ONNX Runtime: a folder with model.onnx and sentire.json
/// (<see cref="OnnxEmotionConfig"/>), or an audonnx folder (model.yaml naming the ONNX file and its output labels, as
/// audEERING publishes its models; <see cref="OnnxEmotionConfig.FromAudonnx"/>), sentire.json taking precedence. One
/// clip at a time: the samples (normalised as configured), their log-mel frames or Whisper's log-mel features go in
/// with batch 1, and the configured output's values come out.
/// </summary>
public sealed class OnnxEmotionModel : IPublishedEmotionModel, IDisposable
{
    public const string ModelFileName = "model.onnx";

    readonly InferenceSession session;
    readonly string inputName, outputName;
    readonly LogMelFrontEnd? frontEnd;
    readonly WhisperFeatureExtractor? whisper;

    OnnxEmotionModel(string modelPath, string configPath, OnnxEmotionConfig config, InferenceSession session, long parameters)
    {
        Config = config;
        this.session = session;
        inputName = Pick(session.InputNames, config.InputName, "input", modelPath, configPath);
        outputName = Pick(session.OutputNames, config.OutputName, "output", modelPath, configPath);
        var dims = session.InputMetadata[inputName].Dimensions;
        int rank = config.Input == OnnxEmotionInput.Waveform ? 2 : 3;
        string layout = config.Input switch
        {
            OnnxEmotionInput.Waveform => "1, samples",
            OnnxEmotionInput.LogMel => "1, frames, n_mels",
            _ => $"1, n_mels, {WhisperFeatureExtractor.NFrames}",
        };
        if (dims.Length != rank)
            throw new InvalidDataException($"{modelPath}: input \"{inputName}\" has rank {dims.Length}, but a {config.Input} input is read as rank {rank} ({layout})");
        if (config.LogMel is { } mel && dims[2] > 0 && dims[2] != mel.NMels)
            throw new InvalidDataException($"{modelPath}: input \"{inputName}\" takes {dims[2]} mel bins, {Path.GetFileName(configPath)} says n_mels {mel.NMels}");
        if (config.WhisperMels is { } mels && ((dims[1] > 0 && dims[1] != mels) || (dims[2] > 0 && dims[2] != WhisperFeatureExtractor.NFrames)))
            throw new InvalidDataException($"{modelPath}: input \"{inputName}\" is [{string.Join(", ", dims)}], but Whisper's log-mel input is ({layout}) with n_mels {mels} from {Path.GetFileName(configPath)}");
        if (config.LogMel is not null) frontEnd = new LogMelFrontEnd(config.LogMel);
        if (config.WhisperMels is { } n) whisper = new WhisperFeatureExtractor(n);
        Facts = new PublishedModelFacts(parameters, "F32 (ONNX initializers)", []);
    }

    public OnnxEmotionConfig Config { get; }
    public string Family => "ONNX";
    public IReadOnlyList<string> Outputs => Config.Outputs;
    public EmotionOutputKind OutputKind => Config.OutputKind;
    public int SampleRate => Config.SampleRate;
    public PublishedModelFacts Facts { get; }

    /// <summary>Whether <paramref name="folder"/> holds model.onnx and sentire.json, or an audonnx model.yaml.</summary>
    public static bool Claims(string folder) =>
        (File.Exists(Path.Combine(folder, ModelFileName)) && File.Exists(Path.Combine(folder, OnnxEmotionConfig.FileName)))
        || OnnxEmotionConfig.IsAudonnx(Path.Combine(folder, OnnxEmotionConfig.AudonnxFileName));

    public static OnnxEmotionModel Load(string folder)
    {
        var configPath = Path.Combine(folder, OnnxEmotionConfig.FileName);
        if (!File.Exists(configPath) && OnnxEmotionConfig.IsAudonnx(Path.Combine(folder, OnnxEmotionConfig.AudonnxFileName)))
            configPath = Path.Combine(folder, OnnxEmotionConfig.AudonnxFileName);
        var config = configPath.EndsWith(OnnxEmotionConfig.AudonnxFileName, StringComparison.Ordinal)
            ? OnnxEmotionConfig.FromAudonnx(configPath) : OnnxEmotionConfig.Load(configPath);
        var modelPath = Path.Combine(folder, config.ModelFile);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{configPath}: the ONNX file {config.ModelFile} is not in {folder}", modelPath);
        InferenceSession session;
        try { session = new InferenceSession(modelPath); }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{modelPath}: ONNX Runtime cannot load it: {e.Message}", e); }
        try
        {
            long parameters = Sentire.Tensors.Onnx.OnnxFile.Load(modelPath).Graph.Initializers.Sum(t => t.Dims.Aggregate(1L, (n, d) => n * d));
            return new OnnxEmotionModel(modelPath, configPath, config, session, parameters);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    static string Pick(IReadOnlyList<string> names, string? wanted, string what, string modelPath, string configPath)
    {
        if (wanted is not null)
            return names.Contains(wanted) ? wanted
                : throw new InvalidDataException($"{modelPath}: no {what} named \"{wanted}\" ({Path.GetFileName(configPath)}); the graph's {what}s are {string.Join(", ", names)}");
        return names.Count == 1 ? names[0]
            : throw new InvalidDataException($"{modelPath}: the graph has {what}s {string.Join(", ", names)}; name one in {OnnxEmotionConfig.FileName} (\"{what}\": {{\"name\": ...}})");
    }

    /// <summary>The configured output for one clip of mono samples at <see cref="SampleRate"/>; probabilities are
    /// returned as their logarithms so that the analyzer's softmax gives them back.</summary>
    public float[] Score(float[] samples)
    {
        var x = Config.Normalize == OnnxInputNormalization.Utterance
            ? Wav2Vec2Model.Normalized(Sentire.Tensors.Tensor.FromArray(samples, 1, samples.Length)).Data.ToArray()
            : samples;
        float[] data;
        long[] shape;
        if (frontEnd is not null)
        {
            var m = frontEnd.LogMel(x);
            (data, shape) = (m.Data, [1, m.Rows, m.Columns]);
        }
        else if (whisper is not null)
        {
            var features = whisper.Compute(x);                                  // (n_mels, 3000): the first 30 s
            (data, shape) = (features.Data.ToArray(), [1, features.Dim(0), features.Dim(1)]);
        }
        else (data, shape) = (x, [1, x.Length]);

        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var options = new RunOptions();
        using var results = session.Run(options, [inputName], [input], [outputName]);
        var values = results[0].GetTensorDataAsSpan<float>().ToArray();
        if (values.Length != Outputs.Count)
            throw new InvalidDataException($"output \"{outputName}\" has {values.Length} values, {OnnxEmotionConfig.FileName} names {Outputs.Count} ({string.Join(", ", Outputs)})");
        if (OutputKind == EmotionOutputKind.Categorical && Config.Values == OnnxOutputValues.Probabilities)
            for (int i = 0; i < values.Length; i++) values[i] = MathF.Log(Math.Max(values[i], 1e-30f));
        return values;
    }

    public void Dispose() => session.Dispose();
}
