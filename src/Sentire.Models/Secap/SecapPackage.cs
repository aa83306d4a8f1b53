using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sentire.IO;
using Sentire.Models.Clap;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.Secap;

/// <summary>config.json of a packaged SECap captioner.</summary>
public sealed record SecapPackageConfig
{
    public string Format { get; init; } = "sentire-secap";
    public int Version { get; init; } = 1;
    public string Name { get; init; } = "";
    /// <summary>The packaged emotion model whose audio encoder is the frozen speech encoder, relative to this folder.</summary>
    public string SpeechEncoder { get; init; } = "../emotion-clap-small";
    /// <summary>SHA-256 of the speech encoder's weights the Q-Former was trained on: a different encoder is refused.</summary>
    public string SpeechEncoderSha256 { get; init; } = "";
    public double MaxSeconds { get; init; } = 14;
    public QFormerConfig QFormer { get; init; } = new(VocabSize: 1);
    public SecapInputModality InputModality { get; init; } = SecapInputModality.Q;
    /// <summary>The frozen caption LM folder, relative to this folder: "language_model" (copied in) or the path of a
    /// Hugging Face checkpoint too large to copy.</summary>
    public string LanguageModel { get; init; } = SecapPackage.LanguageModelFolder;
    /// <summary>Storage of the LM's matrices when loaded: f32 or bf16.</summary>
    public LanguageModelPrecision LanguageModelPrecision { get; init; } = LanguageModelPrecision.F32;
}

/// <summary>
/// A packaged captioner folder: config.json, model.safetensors (the <see cref="SecapModel"/>: Q-Former and projection)
/// and language_model/ (the frozen caption LM with its tokenizer, Hugging Face layout). The speech encoder is the
/// emotion model named in the config, checked by the hash of its weights.
/// </summary>
public static class SecapPackage
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", LanguageModelFolder = "language_model";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Sha256Of(string file)
    {
        using var s = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>LM folders up to this size are copied into the package (Sentire's caption LM is a few MB); larger ones
    /// (Hugging Face checkpoints) are referenced by a relative path.</summary>
    public const long CopyLanguageModelMaxBytes = 256L << 20;

    /// <summary>What <see cref="SecapPackageConfig.LanguageModel"/> records for <paramref name="languageModelFolder"/>
    /// in a package written to <paramref name="packageFolder"/>.</summary>
    public static string LanguageModelEntry(string packageFolder, string languageModelFolder) =>
        Directory.GetFiles(languageModelFolder).Sum(f => new FileInfo(f).Length) <= CopyLanguageModelMaxBytes
            ? LanguageModelFolder : Path.GetRelativePath(packageFolder, Path.GetFullPath(languageModelFolder));

    /// <summary>The caption LM folder of a package.</summary>
    public static string LanguageModelPath(string folder, SecapPackageConfig config) => Path.GetFullPath(Path.Combine(folder, config.LanguageModel));

    public static void Save(string folder, SecapPackageConfig config, SecapModel model, string languageModelFolder)
    {
        Directory.CreateDirectory(folder);
        var json = JsonSerializer.SerializeToUtf8Bytes(config, Json);
        AtomicFile.Write(Path.Combine(folder, ConfigFile), s => s.Write(json));
        SafeTensors.Write(Path.Combine(folder, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = config.Format });
        var lmTarget = Path.Combine(folder, LanguageModelFolder);
        if (config.LanguageModel == LanguageModelFolder && Path.GetFullPath(languageModelFolder) != Path.GetFullPath(lmTarget))
        {
            Directory.CreateDirectory(lmTarget);
            foreach (var file in Directory.GetFiles(languageModelFolder))
            {
                var bytes = File.ReadAllBytes(file);
                AtomicFile.Write(Path.Combine(lmTarget, Path.GetFileName(file)), s => s.Write(bytes));
            }
        }
    }

    public static SecapPackageConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: not a captioning model folder (no {ConfigFile})", path);
        SecapPackageConfig config;
        try { config = JsonSerializer.Deserialize<SecapPackageConfig>(File.ReadAllText(path), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid captioner config ({e.Message})", e); }
        if (config.Format != "sentire-secap") throw new InvalidDataException($"{path}: format is '{config.Format}', expected 'sentire-secap'");
        return config;
    }

    /// <summary>Resolves and checks the speech encoder folder named by <paramref name="config"/>.</summary>
    public static string SpeechEncoderFolder(string folder, SecapPackageConfig config)
    {
        var encoder = Path.GetFullPath(Path.Combine(folder, config.SpeechEncoder));
        var weights = Path.Combine(encoder, EmotionModelPackage.WeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{folder}: the speech encoder {encoder} named in {ConfigFile} is missing", weights);
        if (config.SpeechEncoderSha256.Length > 0 && Sha256Of(weights) != config.SpeechEncoderSha256)
            throw new InvalidDataException($"{folder}: the speech encoder at {encoder} is not the one this captioner was trained on (weights SHA-256 differs from {config.SpeechEncoderSha256})");
        return encoder;
    }

    public static SecapModel LoadModel(string folder, SecapPackageConfig config, int lmHiddenSize)
    {
        var model = new SecapModel(config.QFormer, lmHiddenSize, new Generator(0), rngForInit: null);
        using (var weights = SafeTensors.OpenModel(Path.Combine(folder, WeightsFile)))
            model.LoadStateDict(weights, strict: true);
        model.Eval();
        return model;
    }
}
