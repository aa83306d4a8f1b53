using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
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
/// </code>
/// </summary>
public sealed record OnnxEmotionConfig(string? InputName, OnnxEmotionInput Input, int SampleRate, OnnxInputNormalization Normalize,
    LogMelFrontEndConfig? LogMel, string? OutputName, EmotionOutputKind OutputKind, IReadOnlyList<string> Outputs, OnnxOutputValues Values)
{
    public const string FileName = "sentire.json";

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
                Text(output, "name"), hasLabels ? EmotionOutputKind.Categorical : EmotionOutputKind.Dimensional, outputs, values);
        }
    }

    static string Snake(string pascal) => string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>
/// Any emotion model exported to ONNX, run by ONNX Runtime: a folder with model.onnx and sentire.json
/// (<see cref="OnnxEmotionConfig"/>). One clip at a time: the samples (normalised as configured) or their log-mel
/// frames go in with batch 1, and the configured output's values come out. audEERING's audonnx exports (input
/// "signal", (1, samples) at 16 kHz; output "logits" = arousal, dominance, valence) take a three-line sentire.json.
/// </summary>
public sealed class OnnxEmotionModel : IPublishedEmotionModel, IDisposable
{
    public const string ModelFileName = "model.onnx";

    readonly InferenceSession session;
    readonly string inputName, outputName;
    readonly LogMelFrontEnd? frontEnd;

    OnnxEmotionModel(string folder, OnnxEmotionConfig config, InferenceSession session, long parameters)
    {
        Config = config;
        this.session = session;
        var modelPath = Path.Combine(folder, ModelFileName);
        inputName = Pick(session.InputNames, config.InputName, "input", modelPath);
        outputName = Pick(session.OutputNames, config.OutputName, "output", modelPath);
        var dims = session.InputMetadata[inputName].Dimensions;
        int rank = config.Input == OnnxEmotionInput.Waveform ? 2 : 3;
        if (dims.Length != rank)
            throw new InvalidDataException($"{modelPath}: input \"{inputName}\" has rank {dims.Length}, but a {config.Input} input is read as rank {rank} ({(rank == 2 ? "1, samples" : "1, frames, n_mels")})");
        if (config.LogMel is { } mel && dims[2] > 0 && dims[2] != mel.NMels)
            throw new InvalidDataException($"{modelPath}: input \"{inputName}\" takes {dims[2]} mel bins, {OnnxEmotionConfig.FileName} says n_mels {mel.NMels}");
        if (config.LogMel is not null) frontEnd = new LogMelFrontEnd(config.LogMel);
        Facts = new PublishedModelFacts(parameters, "F32 (ONNX initializers)", []);
    }

    public OnnxEmotionConfig Config { get; }
    public string Family => "ONNX";
    public IReadOnlyList<string> Outputs => Config.Outputs;
    public EmotionOutputKind OutputKind => Config.OutputKind;
    public int SampleRate => Config.SampleRate;
    public PublishedModelFacts Facts { get; }

    /// <summary>Whether <paramref name="folder"/> holds model.onnx and sentire.json.</summary>
    public static bool Claims(string folder) =>
        File.Exists(Path.Combine(folder, ModelFileName)) && File.Exists(Path.Combine(folder, OnnxEmotionConfig.FileName));

    public static OnnxEmotionModel Load(string folder)
    {
        var config = OnnxEmotionConfig.Load(Path.Combine(folder, OnnxEmotionConfig.FileName));
        var modelPath = Path.Combine(folder, ModelFileName);
        InferenceSession session;
        try { session = new InferenceSession(modelPath); }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{modelPath}: ONNX Runtime cannot load it: {e.Message}", e); }
        try
        {
            long parameters = Sentire.Tensors.Onnx.OnnxFile.Load(modelPath).Graph.Initializers.Sum(t => t.Dims.Aggregate(1L, (n, d) => n * d));
            return new OnnxEmotionModel(folder, config, session, parameters);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    static string Pick(IReadOnlyList<string> names, string? wanted, string what, string modelPath)
    {
        if (wanted is not null)
            return names.Contains(wanted) ? wanted
                : throw new InvalidDataException($"{modelPath}: no {what} named \"{wanted}\" ({OnnxEmotionConfig.FileName}); the graph's {what}s are {string.Join(", ", names)}");
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
