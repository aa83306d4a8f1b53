using Sentire.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Text;

namespace Sentire.Models.Clap;

/// <summary>config.json of a packaged emotion model: everything needed to rebuild it and run it as trained.</summary>
public sealed record EmotionModelConfig
{
    public string Format { get; init; } = "sentire-emotion-clap";
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
}

/// <summary>
/// A packaged emotion model folder: config.json, model.safetensors (state dict of <see cref="ClapModel"/>) and
/// tokenizer.json. Saved atomically file by file; loaded with strict key and shape checks.
/// </summary>
public static class EmotionModelPackage
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", TokenizerFile = "tokenizer.json";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static ClapModel Build(EmotionModelConfig config, Generator rngForDropout, Generator? rngForInit) =>
        new(new LogMelEncoder(config.Encoder, rngForDropout, rngForInit), new TextEncoder(config.TextEncoder, rngForDropout, rngForInit), config.Head, rngForInit);

    public static void Save(string folder, EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer)
    {
        Directory.CreateDirectory(folder);
        var configJson = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(config, Json));
        AtomicFile.Write(Path.Combine(folder, ConfigFile), s => s.Write(configJson));
        SafeTensors.Write(Path.Combine(folder, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = config.Format });
        tokenizer.Save(Path.Combine(folder, TokenizerFile));
    }

    public static (EmotionModelConfig Config, ClapModel Model, BpeTokenizer Tokenizer) Load(string folder)
    {
        var configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{folder}: not an emotion model folder (no {ConfigFile})", configPath);
        EmotionModelConfig config;
        try { config = JsonSerializer.Deserialize<EmotionModelConfig>(File.ReadAllText(configPath), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{configPath}: not a valid model config ({e.Message})", e); }
        if (config.Format != "sentire-emotion-clap") throw new InvalidDataException($"{configPath}: format is '{config.Format}', expected 'sentire-emotion-clap'");
        var model = Build(config, new Generator(0), rngForInit: null);
        using (var weights = SafeTensors.OpenModel(Path.Combine(folder, WeightsFile)))
            model.LoadStateDict(weights, strict: true);   // throws naming missing, unexpected and mis-shaped keys
        model.Eval();
        return (config, model, BpeTokenizer.Load(Path.Combine(folder, TokenizerFile)));
    }
}
