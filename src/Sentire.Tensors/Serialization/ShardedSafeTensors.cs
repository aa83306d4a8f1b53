using System.Collections;
using System.Text.Json;

namespace Sentire.Tensors.Serialization;

/// <summary>
/// A Hugging Face sharded checkpoint presented as one dictionary: "model.safetensors.index.json" (or
/// "pytorch_model.bin.index.json") holds {"metadata": {...}, "weight_map": {tensor name: shard file name}} and the
/// shards lie beside it, safetensors files or torch.save archives (<see cref="SafeTensors.OpenFile"/> tells them apart).
/// Every shard is mapped on open and every name of the weight map is checked to exist in its shard.
/// </summary>
public sealed class ShardedSafeTensors : ITensorStore
{
    public const string DefaultIndexName = "model.safetensors.index.json";

    /// <summary>The index of sharded torch.save checkpoints (pytorch_model-0000N-of-0000M.bin).</summary>
    public const string TorchIndexName = "pytorch_model.bin.index.json";

    readonly Dictionary<string, ITensorStore> shardOf;   // tensor name -> its shard, weight-map order
    readonly List<ITensorStore> shards;

    /// <summary>The index file's path as given.</summary>
    public string IndexPath { get; }

    /// <summary>The index's "metadata" object, values as text (e.g. "total_size").</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The shard files, in order of first appearance in the weight map.</summary>
    public IReadOnlyList<ITensorStore> Shards => shards;

    ShardedSafeTensors(string indexPath, Dictionary<string, ITensorStore> shardOf, List<ITensorStore> shards, Dictionary<string, string> metadata)
    {
        IndexPath = indexPath;
        this.shardOf = shardOf;
        this.shards = shards;
        Metadata = metadata;
    }

    public static ShardedSafeTensors Open(string indexPath)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e) { throw new SafeTensorsFormatException(indexPath, $"index is not valid JSON: {e.Message}", e); }

        var byFile = new Dictionary<string, ITensorStore>(StringComparer.Ordinal);
        var shards = new List<ITensorStore>();
        try
        {
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != JsonValueKind.Object)
                    throw new SafeTensorsFormatException(indexPath, "index has no \"weight_map\" object");
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                    foreach (var m in meta.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();

                var directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
                var shardOf = new Dictionary<string, ITensorStore>(StringComparer.Ordinal);
                foreach (var entry in weightMap.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String)
                        throw new SafeTensorsFormatException(indexPath, $"weight_map entry \"{entry.Name}\" is a JSON {entry.Value.ValueKind}, expected a file name");
                    var fileName = entry.Value.GetString()!;
                    if (!byFile.TryGetValue(fileName, out var shard))
                    {
                        var shardPath = Path.Combine(directory, fileName);
                        if (!File.Exists(shardPath))
                            throw new SafeTensorsFormatException(indexPath, $"shard \"{fileName}\" (holding \"{entry.Name}\") does not exist in {directory}");
                        shard = SafeTensors.OpenFile(shardPath);
                        byFile[fileName] = shard;
                        shards.Add(shard);
                    }
                    if (!shard.ContainsKey(entry.Name))
                        throw new SafeTensorsFormatException(indexPath, $"weight_map puts \"{entry.Name}\" in \"{fileName}\", which does not hold it");
                    shardOf[entry.Name] = shard;
                }
                return new ShardedSafeTensors(indexPath, shardOf, shards, metadata);
            }
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    public Tensor Get(string name) => shardOf.TryGetValue(name, out var shard) ? shard.Get(name)
        : throw new KeyNotFoundException($"{IndexPath}: no tensor named \"{name}\" in the weight map ({shardOf.Count} tensors)");

    public int[] ShapeOf(string name) => shardOf.TryGetValue(name, out var shard) ? shard.ShapeOf(name)
        : throw new KeyNotFoundException($"{IndexPath}: no tensor named \"{name}\" in the weight map ({shardOf.Count} tensors)");

    public SafeTensorsDType DTypeOf(string name) => shardOf.TryGetValue(name, out var shard) ? shard.DTypeOf(name)
        : throw new KeyNotFoundException($"{IndexPath}: no tensor named \"{name}\" in the weight map ({shardOf.Count} tensors)");

    public Dictionary<string, Tensor> LoadAll()
    {
        var all = new Dictionary<string, Tensor>(shardOf.Count, StringComparer.Ordinal);
        foreach (var (name, shard) in shardOf) all[name] = shard.Get(name);
        return all;
    }

    public void Dispose()
    {
        foreach (var s in shards) s.Dispose();
    }

    public Tensor this[string key] => Get(key);
    public IEnumerable<string> Keys => shardOf.Keys;
    public IEnumerable<Tensor> Values => shardOf.Select(kv => kv.Value.Get(kv.Key));
    public int Count => shardOf.Count;
    public bool ContainsKey(string key) => shardOf.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
    {
        value = shardOf.TryGetValue(key, out var shard) ? shard.Get(key) : null;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        foreach (var (name, shard) in shardOf) yield return new(name, shard.Get(name));
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
