using System.Text.Json;
using System.Text.Json.Serialization;
using Sentire.IO;

namespace Sentire.Models;

/// <summary>
/// The config.json of every Sentire model package (the Emo-CLAP model, the student, the SECap captioner): one JSON
/// style (snake_case keys, indented, NaN and infinities by name), read with errors that name the file and what was
/// expected, written atomically.
/// </summary>
public static class PackageConfig
{
    public const string FileName = "config.json";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Reads <paramref name="folder"/>/config.json and checks its format field.</summary>
    /// <param name="folderKind">what the folder should be, for the error when it has no config ("an emotion model folder").</param>
    /// <param name="configKind">what the file should hold, for the error when it does not parse ("model config").</param>
    public static T Read<T>(string folder, string folderKind, string configKind, Func<T, string> format, string expectedFormat)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: not {folderKind} (no {FileName})", path);
        T config;
        try { config = JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid {configKind} ({e.Message})", e); }
        if (format(config) != expectedFormat) throw new InvalidDataException($"{path}: format is '{format(config)}', expected '{expectedFormat}'");
        return config;
    }

    /// <summary>Writes <paramref name="config"/> as <paramref name="folder"/>/config.json, replacing any earlier one atomically.</summary>
    public static void Write<T>(string folder, T config)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(config, Json);
        AtomicFile.Write(Path.Combine(folder, FileName), s => s.Write(json));
    }
}
