using System.Text.Json;

namespace Sentire.Models.HuggingFace;

/// <summary>
/// The config.json of a Hugging Face checkpoint folder, read leniently: checkpoints written by different
/// transformers versions omit fields or add new ones, so each model family asks for what it needs with the
/// default the transformers class uses, and a present field of the wrong type is an error naming the file.
/// </summary>
public sealed class HfConfig
{
    public const string FileName = "config.json";

    readonly JsonElement root;

    HfConfig(string path, JsonElement root)
    {
        FilePath = path;
        this.root = root;
    }

    public string FilePath { get; }

    /// <summary>Reads <c>folder/config.json</c>.</summary>
    public static HfConfig Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: checkpoint folder not found");
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: not a Hugging Face checkpoint folder (no {FileName})", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            return new HfConfig(path, doc.RootElement.Clone());
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }

    public bool Has(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public int Int(string key, int fallback) => Get(key, fallback, JsonValueKind.Number, v => v.GetInt32());
    public double Double(string key, double fallback) => Get(key, fallback, JsonValueKind.Number, v => v.GetDouble());
    public string String(string key, string fallback) => Get(key, fallback, JsonValueKind.String, v => v.GetString()!);

    public bool Bool(string key, bool fallback) => !Has(key) ? fallback
        : root.GetProperty(key).ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            var kind => throw new InvalidDataException($"{FilePath}: '{key}' is {kind}, expected true or false"),
        };

    public int[] Ints(string key, int[] fallback) => Get(key, fallback, JsonValueKind.Array,
        v => v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetInt32()
            : throw new InvalidDataException($"{FilePath}: '{key}' holds {e.ValueKind}, expected numbers")).ToArray());

    /// <summary>The raw element (e.g. <c>rope_scaling</c>, <c>architectures</c>), or null when absent.</summary>
    public JsonElement? Element(string key) => Has(key) ? root.GetProperty(key) : null;

    T Get<T>(string key, T fallback, JsonValueKind kind, Func<JsonElement, T> read)
    {
        if (!Has(key)) return fallback;
        var v = root.GetProperty(key);
        if (v.ValueKind != kind) throw new InvalidDataException($"{FilePath}: '{key}' is {v.ValueKind}, expected {kind}");
        try { return read(v); }
        catch (FormatException e) { throw new InvalidDataException($"{FilePath}: '{key}' = {v} is out of range ({e.Message})", e); }
    }
}
