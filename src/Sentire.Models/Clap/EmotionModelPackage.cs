using System.Text.Json.Serialization;
using Sentire.Models.Dimensions;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Text;

namespace Sentire.Models.Clap;

/// <summary>config.json of a packaged emotion model: everything needed to rebuild it and run it as trained.</summary>
public sealed record EmotionModelConfig
{
    public const string FormatName = "sentire-emotion-clap";
    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = 1;
    public string Name { get; init; } = "";
    public LogMelFrontEndConfig FrontEnd { get; init; } = new();
    public LogMelEncoderConfig Encoder { get; init; } = new();
    public TextEncoderConfig TextEncoder { get; init; } = new(VocabSize: 1);
    public ClapHeadConfig Head { get; init; } = new();
    /// <summary>The label set the model was trained on: the default for zero-shot analysis.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
    public string PromptTemplate { get; init; } = "The emotion is {label}.";
    public double WindowSeconds { get; init; } = 2.0;
    public double WindowHopFraction { get; init; } = 0.5;
    /// <summary>The arousal/valence/dominance head in dimensions.safetensors, or null when the package has none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DimensionalHeadConfig? Dimensions { get; init; }
    /// <summary>A MobileNet of the teacher's shape (<see cref="MobileNetEncoder"/>) in place of the log-mel transformer
    /// (<see cref="Encoder"/>, then unused), or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MobileNetEncoderConfig? MobileNet { get; init; }
    /// <summary>A frozen Hugging Face speech encoder in place of the log-mel encoder (<see cref="PretrainedAudioTower"/>), or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PretrainedAudioEncoderConfig? AudioEncoder { get; init; }
}

/// <summary>
/// A packaged emotion model folder: config.json, model.safetensors (state dict of <see cref="ClapModel"/>) and
/// tokenizer.json, optionally dimensions.safetensors (a <see cref="DimensionalHead"/> trained on this package's
/// speech encoder; config.json then has a <c>dimensions</c> section). Saved atomically file by file; loaded with
/// strict key and shape checks. The head's file records the SHA-256 of the model.safetensors it was trained on,
/// so a head left beside a retrained encoder is recognised as stale instead of giving wrong numbers.
/// </summary>
public static class EmotionModelPackage
{
    public const string ConfigFile = PackageConfig.FileName, WeightsFile = "model.safetensors", TokenizerFile = "tokenizer.json", DimensionsFile = "dimensions.safetensors",
        ReferenceFile = "reference.safetensors";
    const string EncoderHashKey = "encoder_sha256";

    public static ClapModel Build(EmotionModelConfig config, Generator rngForDropout, Generator? rngForInit) =>
        new(config.AudioEncoder is { } pretrained ? PretrainedAudioTower.Load(pretrained)
            : config.MobileNet is { } mobileNet ? new MobileNetEncoder(mobileNet, rngForInit)
            : new LogMelEncoder(config.Encoder, rngForDropout, rngForInit),
            config.TextEncoder.Pretrained is { } text ? PretrainedTextTower.Load(text) : new TextEncoder(config.TextEncoder, rngForDropout, rngForInit), config.Head, rngForInit);

    public static void Save(string folder, EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer)
    {
        Directory.CreateDirectory(folder);
        PackageConfig.Write(folder, config);
        SafeTensors.Write(Path.Combine(folder, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = config.Format });
        tokenizer.Save(Path.Combine(folder, TokenizerFile));
        // New encoder weights make any head beside them stale; a package saved without a head has none.
        if (config.Dimensions is null) File.Delete(Path.Combine(folder, DimensionsFile));
    }

    /// <summary>Adds (or replaces) the dimensional head of the package in <paramref name="folder"/>: the weights first,
    /// then config.json with its <c>dimensions</c> section, each atomically, so the package stays loadable throughout.</summary>
    public static void SaveDimensionalHead(string folder, DimensionalHead head)
    {
        var config = ReadConfig(folder) with { Dimensions = head.Config };
        var metadata = new Dictionary<string, string> { ["format"] = "sentire-dimensional-head", [EncoderHashKey] = EncoderHash(folder) };
        SafeTensors.Write(Path.Combine(folder, DimensionsFile), head.StateDict(), metadata);
        PackageConfig.Write(folder, config);
    }

    /// <summary>The package's dimensional head in eval mode; null with the reason when it has none or the head is stale.</summary>
    public static (DimensionalHead? Head, string? Problem) LoadDimensionalHead(string folder, EmotionModelConfig config)
    {
        if (config.Dimensions is null) return (null, "the model has no arousal/valence/dominance head (train one with `sentire train dims`)");
        var path = Path.Combine(folder, DimensionsFile);
        if (!File.Exists(path)) return (null, $"{ConfigFile} names a dimensional head but {path} is missing");
        var head = new DimensionalHead(config.Dimensions, new Generator(0), rngForInit: null);
        using (var weights = SafeTensors.OpenModel(path))
        {
            var expected = EncoderHash(folder);
            if (!weights.Metadata.TryGetValue(EncoderHashKey, out var trainedOn) || trainedOn != expected)
                return (null, $"{path} was trained on another speech encoder than {WeightsFile} (sha256 {expected}, the head records {trainedOn ?? "none"}): retrain it with `sentire train dims`");
            head.LoadStateDict(weights, strict: true);
        }
        head.Eval();
        return (head, null);
    }

    /// <summary>Writes (atomically) the package's reference embedding: the mean clip embedding of the clips it was trained on,
    /// which <see cref="EmbeddingAlignment"/> moves a recording set-up's mean onto. Tied to model.safetensors by its hash.</summary>
    public static void SaveReference(string folder, ReferenceEmbedding reference)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "sentire-reference-embedding", [EncoderHashKey] = EncoderHash(folder),
            ["clips"] = reference.Clips.ToString(System.Globalization.CultureInfo.InvariantCulture), ["corpora"] = string.Join(",", reference.Corpora),
        };
        SafeTensors.Write(Path.Combine(folder, ReferenceFile), new Dictionary<string, Tensor> { ["mean"] = new(reference.Mean, 1, reference.Mean.Length) }, metadata);
    }

    /// <summary>The package's reference embedding; null with the reason when it has none or it belongs to other weights.</summary>
    public static (ReferenceEmbedding? Reference, string? Problem) LoadReference(string folder, int projectionSize)
    {
        var path = Path.Combine(folder, ReferenceFile);
        if (!File.Exists(path)) return (null, $"{folder} has no {ReferenceFile} (make one with `sentire train reference`)");
        using var file = SafeTensors.Open(path);
        var expected = EncoderHash(folder);
        if (!file.Metadata.TryGetValue(EncoderHashKey, out var madeFor) || madeFor != expected)
            return (null, $"{path} was made with other weights than {WeightsFile} (sha256 {expected}, it records {madeFor ?? "none"}): remake it with `sentire train reference`");
        if (!file.Entries.ContainsKey("mean") || file.ShapeOf("mean") is not [1, var p] || p != projectionSize)
            return (null, $"{path}: expected a tensor 'mean' of shape [1, {projectionSize}], found {(file.Entries.ContainsKey("mean") ? $"[{string.Join(", ", file.ShapeOf("mean"))}]" : "none")}");
        var mean = file.Get("mean").Data.ToArray();
        int clips = file.Metadata.TryGetValue("clips", out var n) && int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out var c) ? c : 0;
        var corpora = file.Metadata.TryGetValue("corpora", out var names) ? names.Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
        return (new ReferenceEmbedding(mean, clips, corpora), null);
    }

    /// <summary>Hex SHA-256 of the package's model.safetensors: identifies the speech encoder a head was trained on.</summary>
    public static string EncoderHash(string folder)
    {
        using var stream = File.OpenRead(Path.Combine(folder, WeightsFile));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <summary>Reads and checks config.json of a package folder.</summary>
    public static EmotionModelConfig ReadConfig(string folder) =>
        PackageConfig.Read<EmotionModelConfig>(folder, "an emotion model folder", "model config", c => c.Format, EmotionModelConfig.FormatName);

    public static (EmotionModelConfig Config, ClapModel Model, BpeTokenizer Tokenizer) Load(string folder)
    {
        var config = ReadConfig(folder);
        var model = Build(config, new Generator(0), rngForInit: null);
        using (var weights = SafeTensors.OpenModel(Path.Combine(folder, WeightsFile)))
            model.LoadStateDict(weights, strict: true);   // throws naming missing, unexpected and mis-shaped keys
        model.Eval();
        return (config, model, BpeTokenizer.Load(Path.Combine(folder, TokenizerFile)));
    }
}
