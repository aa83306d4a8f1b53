namespace Sentire.Tensors.Serialization;

/// <summary>
/// Named tensors read lazily from disk (one safetensors file or a set of shards). As a dictionary, each
/// access converts the stored tensor anew; <see cref="LoadAll"/> reads everything once.
/// Module.LoadStateDict accepts a store directly, so a checkpoint is never held twice in memory.
/// </summary>
public interface ITensorStore : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    /// <summary>String metadata of the file (or of the shard index).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>One tensor as float32; <see cref="KeyNotFoundException"/> names the file when absent.</summary>
    Tensor Get(string name);

    /// <summary>The stored shape of a tensor, read from the header without loading data.</summary>
    int[] ShapeOf(string name);

    /// <summary>How a tensor is stored on disk (F32, F16, BF16, I64, ...), read from the header; <see cref="Get"/>
    /// converts every type to float32.</summary>
    SafeTensorsDType DTypeOf(string name);

    /// <summary>Every tensor as float32.</summary>
    Dictionary<string, Tensor> LoadAll();
}

/// <summary>What a store holds, by element type.</summary>
public static class TensorStores
{
    /// <summary>Elements per stored dtype as shares, largest first, e.g. "F16 100%" ("unknown" for an empty store).</summary>
    public static string Precision(this ITensorStore store) =>
        FormatShares(store.Keys.GroupBy(store.DTypeOf).ToDictionary(g => g.Key, g => g.Sum(name => store.ShapeOf(name).Aggregate(1L, (n, s) => n * s))));

    /// <summary>Element counts by type as shares, largest first ("F16 96.1%, F32 3.9%"); "unknown" when there are none.</summary>
    public static string FormatShares(IReadOnlyDictionary<SafeTensorsDType, long> elements)
    {
        long total = elements.Values.Sum();
        if (total == 0) return "unknown";
        return string.Join(", ", elements.Where(c => c.Value > 0).OrderByDescending(c => c.Value).Select(c =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Key} {100.0 * c.Value / total:0.#}%")));
    }

    /// <summary>The 16-bit format every 2-D floating tensor of the store has (F16 or BF16), or null when any matrix is
    /// stored otherwise (F32, mixed): the format in which a loader can keep the weight matrices without changing a value.</summary>
    public static HalfFormat? MatrixHalfFormat(this ITensorStore store)
    {
        var types = store.Keys.Where(k => store.ShapeOf(k).Length == 2).Select(store.DTypeOf).Distinct().ToList();
        return types switch
        {
            [SafeTensorsDType.F16] => HalfFormat.Float16,
            [SafeTensorsDType.BF16] => HalfFormat.BFloat16,
            _ => null,
        };
    }
}
