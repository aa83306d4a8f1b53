using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Sentire.Tensors.Serialization;

/// <summary>
/// The tensors of a store whose names start with <c>prefix</c>, under their names without it (a checkpoint section, or
/// the encoder inside a Hugging Face task checkpoint). An optional <c>rename</c> maps each stripped name to the name the
/// model uses (old layouts, e.g. LayerNorm.gamma -> LayerNorm.weight); the first stored name wins when two map to one.
/// Lazy, like the store it wraps: shapes come from headers and each tensor is converted when loaded. Disposing the
/// view leaves the wrapped store open (it belongs to the caller).
/// </summary>
public sealed class PrefixedTensorStore : ITensorStore
{
    readonly ITensorStore store;
    readonly Dictionary<string, string> stored = new(StringComparer.Ordinal);   // own name -> name in the store

    public PrefixedTensorStore(ITensorStore store, string prefix, Func<string, string>? rename = null)
    {
        this.store = store;
        Prefix = prefix;
        foreach (var key in store.Keys)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var own = key[prefix.Length..];
            stored.TryAdd(rename is null ? own : rename(own), key);
        }
    }

    public string Prefix { get; }

    /// <summary>The full name in the wrapped store of the tensor this view calls <paramref name="own"/>.</summary>
    public string StoredName(string own) =>
        stored.TryGetValue(own, out var s) ? s : throw new KeyNotFoundException($"no tensor '{own}' under the prefix \"{Prefix}\"");

    public IReadOnlyDictionary<string, string> Metadata => store.Metadata;
    public Tensor Get(string name) => store.Get(StoredName(name));
    public int[] ShapeOf(string name) => store.ShapeOf(StoredName(name));
    public SafeTensorsDType DTypeOf(string name) => store.DTypeOf(StoredName(name));
    public Dictionary<string, Tensor> LoadAll() => stored.Keys.ToDictionary(k => k, Get, StringComparer.Ordinal);
    public void Dispose() { }

    public Tensor this[string key] => Get(key);
    public IEnumerable<string> Keys => stored.Keys;
    public IEnumerable<Tensor> Values => stored.Keys.Select(Get);
    public int Count => stored.Count;
    public bool ContainsKey(string key) => stored.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value)
    {
        value = stored.ContainsKey(key) ? Get(key) : null;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        stored.Keys.Select(k => new KeyValuePair<string, Tensor>(k, Get(k))).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
