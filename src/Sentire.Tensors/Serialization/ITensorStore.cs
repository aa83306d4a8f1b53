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
